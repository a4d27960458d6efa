#include <string.h>

#include "lint/columns.h"
#include "lint/rule.h"

static void check_column(struct pgs_check *ctx, const struct pgs_coldef *c, void *data)
{
	(void)data;
	if (!c->builtin || strcmp(c->builtin, "varchar") != 0 || c->type->n_typmods != 1)
		return;
	struct pgs_arena *arena = pgs_check_arena(ctx);
	const char *column = pgs_check_quote(ctx, c->column);
	const char *written = pgs_span_text(arena, pgs_check_text(ctx), c->base_span);
	const char *limit = pgs_typmods_text(arena, c->type);
	/* "(20)" -> "20" */
	const char *n = pgs_arena_strndup(arena, limit + 1, strlen(limit) - 2);

	struct pgs_diag *d = pgs_report(ctx, c->type_span,
					"column %s is %s: its length limit can only change with "
					"ALTER COLUMN ... TYPE",
					column, written);
	pgs_diag_note(ctx, d,
		      "text and varchar are stored and compared alike; changing the length of a "
		      "varchar takes ACCESS EXCLUSIVE and fails while a view uses the column");
	pgs_diag_help(ctx, d,
		      "use text, with CHECK (char_length(%s) <= %s) if the limit is a rule of the "
		      "data: a CHECK can later be replaced NOT VALID and validated without "
		      "blocking",
		      column, n);
	/* Only a new table gets the CHECK for free: on ADD COLUMN it would scan. */
	if (c->kind != PGS_COLDEF_CREATE || c->type->n_array_bounds > 0)
		return;
	pgs_diag_fix(ctx, d, "use text with a CHECK on the length", false);
	pgs_diag_edit(ctx, d, c->base_span, "text");
	pgs_diag_edit(ctx, d, (struct pgs_span){c->def_span.end, c->def_span.end},
		      pgs_arena_printf(arena, " CHECK (char_length(%s) <= %s)", column, n));
}

static void check(struct pgs_check *ctx)
{
	pgs_coldefs_each(ctx, check_column, NULL);
}

const struct pgs_rule pgs_rule_prefer_text_over_varchar = {
    .id = "M402",
    .name = "prefer-text-over-varchar",
    .severity = PGS_SEV_INFO,
    .summary = "varchar(n): a length limit in the type is hard to change",
    .docs = "## Problem\n\n"
	    "In PostgreSQL `varchar(n)` is `text` with a length check built into the type;\n"
	    "it is neither smaller nor faster. The limit is hard to change: raising it is\n"
	    "`ALTER COLUMN ... TYPE`, which takes ACCESS EXCLUSIVE and fails while a view\n"
	    "or rule uses the column, and lowering it rewrites the table. Limits chosen up\n"
	    "front (`varchar(255)`) are often arbitrary and later rejected real data.\n\n"
	    "Flagged: `varchar(n)`, `character varying(n)`, `pg_catalog.varchar(n)` and\n"
	    "their arrays in CREATE TABLE, ADD COLUMN and ALTER COLUMN ... TYPE. A\n"
	    "`varchar` without a length is `text` under another name and is not flagged.\n\n"
	    "## Safe alternative\n\n"
	    "Use `text`. If the limit is a real rule of the data, add\n"
	    "`CHECK (char_length(c) <= n)`: a CHECK can be replaced by adding the new\n"
	    "one `NOT VALID`, validating it (reads and writes continue) and dropping the\n"
	    "old one.\n\n"
	    "In CREATE TABLE the fix writes `text` and adds the CHECK; it is marked unsafe\n"
	    "because it is not quite the same: an over-long value whose excess is spaces\n"
	    "is silently truncated by `varchar(n)` but rejected by the CHECK, an explicit\n"
	    "cast no longer truncates, and clients that read the declared length (form\n"
	    "generators, ORMs) see none. On an existing table no fix is offered: adding\n"
	    "a column with a CHECK scans the whole table.\n",
    .example_bad = "CREATE TABLE users (id bigint PRIMARY KEY, email varchar(255) NOT NULL);",
    .example_good = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL,\n"
		    "                    nickname varchar);",
    .check = check,
};
