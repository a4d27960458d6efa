#include "lint/rule.h"

/* Reported by the engine for suppression comments that suppress nothing. */
const struct pgs_rule pgs_rule_unused_ignore = {
	.id = "M900",
	.name = "unused-ignore",
	.severity = PGS_SEV_WARNING,
	.summary = "a pgstage-ignore comment suppresses nothing",
	.docs = "## Problem\n\n"
		"A `-- pgstage-ignore RULE: reason` comment names a rule that does not report\n"
		"the statement after it (or, for `-- pgstage-ignore-file`, anything in the\n"
		"file). Stale suppressions hide nothing today but will hide a real finding\n"
		"tomorrow.\n\n"
		"## What to do\n\n"
		"Remove the comment, or move it right above the statement it is meant for.\n",
	.example_bad = "-- pgstage-ignore require-concurrent-index: small table\n"
		       "ALTER TABLE users ADD COLUMN note text;",
	.example_good = "-- pgstage-ignore require-concurrent-index: small table\n"
			"CREATE INDEX users_note_idx ON users (note);",
	.check = NULL,
};
