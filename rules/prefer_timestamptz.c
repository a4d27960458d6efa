#include <string.h>

#include "lint/columns.h"
#include "lint/rule.h"

static void check_column(struct pgs_check *ctx, const struct pgs_coldef *c, void *data)
{
	(void)data;
	if (!c->builtin || strcmp(c->builtin, "timestamp") != 0)
		return;
	struct pgs_arena *arena = pgs_check_arena(ctx);
	const char *written = pgs_span_text(arena, pgs_check_text(ctx), c->base_span);
	struct pgs_diag *d =
	    pgs_report(ctx, c->type_span, "column %s is %s: a wall-clock time with no time zone",
		       pgs_check_quote(ctx, c->column), written);
	pgs_diag_note(ctx, d,
		      "now() and CURRENT_TIMESTAMP are timestamptz: stored here they are "
		      "converted with the session's TimeZone, so sessions in different zones "
		      "write different values for the same instant, and an hour repeats when "
		      "daylight saving time ends");
	pgs_diag_help(ctx, d,
		      "use timestamptz: the same 8 bytes, it stores an instant (as UTC) and shows "
		      "it in each session's time zone");
	/* ALTER COLUMN ... TYPE may carry a USING written for that type: no fix */
	if (c->kind == PGS_COLDEF_ALTER_TYPE)
		return;
	pgs_diag_fix(ctx, d, "use timestamptz", false);
	pgs_diag_edit(ctx, d, c->base_span,
		      pgs_arena_printf(arena, "timestamptz%s", pgs_typmods_text(arena, c->type)));
}

static void check(struct pgs_check *ctx)
{
	pgs_coldefs_each(ctx, check_column, NULL);
}

const struct pgs_rule pgs_rule_prefer_timestamptz = {
    .id = "M403",
    .name = "prefer-timestamptz",
    .severity = PGS_SEV_INFO,
    .summary = "timestamp without time zone stores a wall-clock time, not an instant",
    .docs = "## Problem\n\n"
	    "`timestamp` (`timestamp without time zone`) stores a date and a wall-clock\n"
	    "time with no time zone. Values written from `now()` or `CURRENT_TIMESTAMP`\n"
	    "(which are `timestamptz`) are converted with the writing session's\n"
	    "`TimeZone`, so application servers in different zones, or a changed\n"
	    "setting, store different values for the same instant; when daylight saving\n"
	    "time ends, an hour of local times happens twice and their order is lost.\n\n"
	    "Flagged in CREATE TABLE, ADD COLUMN and ALTER COLUMN ... TYPE, however\n"
	    "written (`timestamp(3)`, `pg_catalog.timestamp`, arrays).\n\n"
	    "## Safe alternative\n\n"
	    "Use `timestamptz` (`timestamp with time zone`): the same 8 bytes, it stores\n"
	    "an instant as UTC and displays it in each session's time zone. In CREATE\n"
	    "TABLE and ADD COLUMN the fix replaces the type (keeping a precision); it is\n"
	    "marked unsafe because values are then interpreted differently. Keep `timestamp` for "
	    "the rare values that\n"
	    "really are local times with no zone (a store's opening hour).\n",
    .example_bad = "ALTER TABLE orders ADD COLUMN shipped_at timestamp;",
    .example_good = "ALTER TABLE orders ADD COLUMN shipped_at timestamptz;",
    .check = check,
};
