#include "lint/rule.h"

/* Reported by the engine (lint/overlap.h finds it), once per file. */
const struct pgs_rule pgs_rule_context_includes_migration = {
    .id = "M001",
    .name = "context-includes-migration",
    .severity = PGS_SEV_ERROR,
    .summary = "the --context schema already has what the migration does, so its dangers are "
	       "hidden",
    .docs = "## Problem\n\n"
	    "The schema `--context` describes already has the effect of a statement of the\n"
	    "migration: the column it adds exists, the column it changes already has the new\n"
	    "type, the index or table it creates exists, what it renames is already renamed,\n"
	    "the column it drops is gone. That happens when the context was taken after the\n"
	    "migration ran: the `db/schema.sql` dbmate writes after migrating, a `pg_dump` of a\n"
	    "database that is already migrated.\n\n"
	    "pgstage checks the migration against the schema the context describes, so the\n"
	    "migration then looks harmless: `ALTER COLUMN ... TYPE bigint` on a column that is\n"
	    "already `bigint` rewrites nothing, and is not reported. On the real database, where\n"
	    "the column is still `integer`, it rewrites the table under ACCESS EXCLUSIVE.\n\n"
	    "Only objects that come from the context count, never those an earlier migration\n"
	    "of the run created or changed; statements written to be re-run (`IF NOT EXISTS`,\n"
	    "`IF EXISTS`, `OR REPLACE`) never count. A drop counts only on a table whose columns\n"
	    "the context fully knows. It is reported once per file, at the first such statement;\n"
	    "`explain` and `plan` say the same as a warning, and a plan gets a note at its top.\n\n"
	    "## What to do\n\n"
	    "Give `--context` the schema from before the migration: a dump taken before it ran\n"
	    "(from the main branch, say), or the migrations directory, whose files from the\n"
	    "migration on pgstage leaves out.\n",
    .example_bad = "-- with --context db/schema.sql, dumped after this migration ran\n"
		   "ALTER TABLE orders ALTER COLUMN order_id TYPE bigint;",
    .example_good = "-- with --context db/migrations (files from this one on are left out)\n"
		    "ALTER TABLE orders ALTER COLUMN order_id TYPE bigint;",
    .check = NULL,
};
