#include "lint/rule.h"

/* Reported by the engine for malformed suppression comments. */
const struct pgs_rule pgs_rule_invalid_ignore = {
	.id = "M901",
	.name = "invalid-ignore",
	.severity = PGS_SEV_ERROR,
	.summary = "a pgstage-ignore comment names no rule, or a rule that doesn't exist",
	.docs = "## Problem\n\n"
		"Suppressions must say what they suppress: `-- pgstage-ignore RULE: reason`,\n"
		"where RULE is a rule name or id (`pgstage rules` lists them). A bare\n"
		"`-- pgstage-ignore` or a misspelt name would otherwise silently suppress\n"
		"nothing, or everything.\n\n"
		"## What to do\n\n"
		"Name the rule, and give the reason after a colon.\n",
	.example_bad = "-- pgstage-ignore\nCREATE INDEX users_note_idx ON users (note);",
	.example_good = "-- pgstage-ignore require-concurrent-index: the table is tiny\n"
			"CREATE INDEX users_note_idx ON users (note);",
	.check = NULL,
};
