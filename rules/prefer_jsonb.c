#include <string.h>

#include "lint/columns.h"
#include "lint/rule.h"

static void check_column(struct pgs_check *ctx, const struct pgs_coldef *c, void *data)
{
	(void)data;
	if (!c->builtin || strcmp(c->builtin, "json") != 0)
		return;
	const char *written =
	    pgs_span_text(pgs_check_arena(ctx), pgs_check_text(ctx), c->base_span);
	struct pgs_diag *d = pgs_report(ctx, c->type_span,
					"column %s is %s: stored as text and parsed again on every "
					"access",
					pgs_check_quote(ctx, c->column), written);
	pgs_diag_note(ctx, d,
		      "json has no equality operator: SELECT DISTINCT, GROUP BY, UNION and "
		      "unique indexes fail on it, and it has no GIN index support");
	pgs_diag_help(ctx, d,
		      "use jsonb; keep json only when duplicate keys, key order or whitespace "
		      "must be kept as written");
	/* ALTER COLUMN ... TYPE may carry a USING written for that type: no fix */
	if (c->kind == PGS_COLDEF_ALTER_TYPE)
		return;
	pgs_diag_fix(ctx, d, "use jsonb", false);
	pgs_diag_edit(ctx, d, c->base_span, "jsonb");
}

static void check(struct pgs_check *ctx)
{
	pgs_coldefs_each(ctx, check_column, NULL);
}

const struct pgs_rule pgs_rule_prefer_jsonb = {
    .id = "M406",
    .name = "prefer-jsonb",
    .severity = PGS_SEV_INFO,
    .summary = "json columns: use jsonb",
    .docs = "## Problem\n\n"
	    "`json` stores the input text as is and parses it again whenever a value is\n"
	    "used. It has no equality operator, so `SELECT DISTINCT`, `GROUP BY`,\n"
	    "`UNION` and unique indexes fail on it (\"could not identify an equality\n"
	    "operator for type json\"), and GIN indexes and the containment operators\n"
	    "(`@>`, `?`) don't support it.\n\n"
	    "Flagged in CREATE TABLE, ADD COLUMN and ALTER COLUMN ... TYPE.\n\n"
	    "## Safe alternative\n\n"
	    "Use `jsonb`. In CREATE TABLE and ADD COLUMN the fix replaces the type; it\n"
	    "is marked unsafe: jsonb keeps only the last of duplicate keys, orders keys\n"
	    "its own way and drops insignificant whitespace. Keep `json` when the\n"
	    "document must come back exactly as written.\n",
    .example_bad = "ALTER TABLE events ADD COLUMN payload json;",
    .example_good = "ALTER TABLE events ADD COLUMN payload jsonb;",
    .check = check,
};
