#include <string.h>

#include "lint/columns.h"
#include "lint/rule.h"

static void check_column(struct pgs_check *ctx, const struct pgs_coldef *c, void *data)
{
	(void)data;
	/* bpchar is char(n) / character(n); "char" (quoted) is the one-byte type */
	if (!c->builtin || strcmp(c->builtin, "bpchar") != 0)
		return;
	struct pgs_arena *arena = pgs_check_arena(ctx);
	const char *column = pgs_check_quote(ctx, c->column);
	const char *written = pgs_span_text(arena, pgs_check_text(ctx), c->base_span);
	const char *limit = pgs_typmods_text(arena, c->type);
	const char *n = *limit ? pgs_arena_strndup(arena, limit + 1, strlen(limit) - 2) : NULL;

	struct pgs_diag *d;
	if (n && !strchr(written, '('))
		d = pgs_report(ctx, c->type_span,
			       "column %s is %s, that is char(%s): values are padded with spaces",
			       column, written, n);
	else if (n)
		d = pgs_report(ctx, c->type_span,
			       "column %s is %s: values are padded with spaces to %s characters",
			       column, written, n);
	else
		d = pgs_report(ctx, c->type_span,
			       "column %s is %s: trailing spaces of its values are ignored", column,
			       written);
	pgs_diag_note(ctx, d,
		      "trailing spaces are insignificant ('a'::char(3) = 'a  ') and dropped when "
		      "a value is cast to text; the padding is stored, and char(n) is no faster "
		      "than text");
	if (n)
		pgs_diag_help(ctx, d,
			      "use text (or varchar), with CHECK (char_length(%s) <= %s) if the "
			      "length is a rule of the data",
			      column, n);
	else
		pgs_diag_help(ctx, d, "use text");
	/* Only a new table gets the CHECK for free: on ADD COLUMN it would scan. */
	if (c->kind != PGS_COLDEF_CREATE || c->type->n_array_bounds > 0)
		return;
	pgs_diag_fix(ctx, d, n ? "use text with a CHECK on the length" : "use text", false);
	pgs_diag_edit(ctx, d, c->base_span, "text");
	if (n)
		pgs_diag_edit(ctx, d, (struct pgs_span){c->def_span.end, c->def_span.end},
			      pgs_arena_printf(arena, " CHECK (char_length(%s) <= %s)", column, n));
}

static void check(struct pgs_check *ctx)
{
	pgs_coldefs_each(ctx, check_column, NULL);
}

const struct pgs_rule pgs_rule_prefer_text_over_char = {
    .id = "M404",
    .name = "prefer-text-over-char",
    .severity = PGS_SEV_INFO,
    .summary = "char(n) pads values with spaces and ignores trailing spaces",
    .docs = "## Problem\n\n"
	    "`char(n)` (`character(n)`, `bpchar`; plain `char` is `char(1)`) pads every\n"
	    "value with spaces to n characters, stores the padding, and treats trailing\n"
	    "spaces as insignificant: `'a'::char(3) = 'a  '`, and casting to text drops\n"
	    "them. It is no faster than `text` in PostgreSQL, and the padding surprises\n"
	    "application code that compares or concatenates values.\n\n"
	    "Flagged in CREATE TABLE, ADD COLUMN and ALTER COLUMN ... TYPE, however\n"
	    "written (`char`, `character(2)`, `pg_catalog.bpchar`, arrays). The quoted\n"
	    "`\"char\"` is a different type, a single byte used by the system catalogs, and\n"
	    "is not flagged.\n\n"
	    "## Safe alternative\n\n"
	    "Use `text` (or `varchar`), with `CHECK (char_length(c) <= n)` (or `= n`) if\n"
	    "the length is a rule of the data. In CREATE TABLE the fix writes `text` and\n"
	    "adds that CHECK; it is marked unsafe because comparisons then see trailing\n"
	    "spaces. On an existing table no fix is offered: adding a column with a\n"
	    "CHECK scans the whole table.\n",
    .example_bad = "CREATE TABLE countries (code char(2) PRIMARY KEY, name text NOT NULL);",
    .example_good = "CREATE TABLE countries (code text PRIMARY KEY CHECK (char_length(code) = 2),\n"
		    "                        kind \"char\" NOT NULL);",
    .check = check,
};
