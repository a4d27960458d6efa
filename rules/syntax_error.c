#include "lint/rule.h"

/* Reported by the engine for statements libpg_query can't parse. */
const struct pgs_rule pgs_rule_syntax_error = {
	.id = "M000",
	.name = "syntax-error",
	.severity = PGS_SEV_ERROR,
	.summary = "a statement does not parse with PostgreSQL's grammar",
	.docs = "## Problem\n\n"
		"The statement is not valid SQL for PostgreSQL 15's grammar (pgstage parses with\n"
		"libpg_query, PostgreSQL's own parser). PostgreSQL would reject it, so the\n"
		"migration would fail at this point.\n\n"
		"The rest of the file is still checked: the text is split into statements and\n"
		"each is parsed on its own.\n\n"
		"With `--pg-version 16` or later the statement may be valid for that server:\n"
		"it is reported once, as info (it does not fail CI), saying it could not be\n"
		"checked.\n\n"
		"## What to do\n\n"
		"Fix the statement. If it uses syntax from PostgreSQL 16 or later, note that the\n"
		"grammar pgstage knows is PostgreSQL 15's: pass the server's `--pg-version`.\n",
	.example_bad = "ALTER TABLE users ADD COLUMN;",
	.example_good = "ALTER TABLE users ADD COLUMN note text;",
	.check = NULL,
};
