/*
 * The NOT NULL sequence (see planner/plan.h): NOT NULL on a column of an
 * existing table without a scan under a lock that blocks writes.
 */
#include <string.h>

#include "core/quote.h"
#include "lint/rule.h"
#include "planner/build.h"
#include "planner/deparse.h"
#include "planner/guard.h"
#include "planner/plan.h"

bool pgs_plan_native_not_null(struct pgs_check *ctx)
{
	return pgs_check_pg_version(ctx) >= 18;
}

const char *pgs_plan_not_null_name(struct pgs_plan *plan, struct pgs_check *ctx,
				   const char *relname, const char *col)
{
	return pgs_build_name(&plan->arena, relname, col,
			      pgs_plan_native_not_null(ctx) ? "not_null" : "pgstage_not_null");
}

void pgs_plan_not_null_not_valid(struct pgs_plan *plan, struct pgs_check *ctx,
				 PgQuery__RangeVar *rel, const char **cols, const char **names,
				 size_t n)
{
	struct pgs_arena *a = &plan->arena;
	PgQuery__Node **checks = pgs_arena_array(a, n ? n : 1, sizeof(*checks));

	for (size_t i = 0; i < n; i++)
		checks[i] = pgs_build_alter_cmd(
		    a, PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint, NULL,
		    pgs_build_check(a, names[i], pgs_build_is_not_null(a, cols[i]), true));
	PgQuery__Node *as_checks = pgs_build_alter_table(a, rel, checks, n);
	if (!pgs_plan_native_not_null(ctx)) {
		pgs_plan_node(plan, ctx, as_checks);
		return;
	}
	/* PostgreSQL 18 syntax, which the 15 grammar lacks: written as text; the
	 * CHECKs stand in for it (the same proof of NOT NULL to pgstage's model) */
	struct pgs_error err;
	const char *stand_in = pgs_deparse(a, as_checks, &err);
	if (!stand_in) {
		if (!plan->failed) {
			plan->error = err;
			plan->failed = true;
		}
		return;
	}
	const char *sql = pgs_arena_printf(a, "ALTER TABLE %s", pgs_guard_rel(a, rel));
	for (size_t i = 0; i < n; i++)
		sql = pgs_arena_printf(a, "%s%s ADD CONSTRAINT %s NOT NULL %s NOT VALID", sql,
				       i ? "," : "", pgs_quote_ident(a, names[i]),
				       pgs_quote_ident(a, cols[i]));
	pgs_plan_sql_stand_in(plan, ctx, sql, stand_in);
}

void pgs_plan_not_null_sequence(struct pgs_plan *plan, struct pgs_check *ctx,
				PgQuery__RangeVar *rel, const char *table, const char **cols,
				size_t n, const char *why)
{
	struct pgs_arena *a = &plan->arena;
	const char **names = pgs_arena_array(a, n ? n : 1, sizeof(*names));

	for (size_t i = 0; i < n; i++)
		names[i] = pgs_plan_not_null_name(plan, ctx, rel->relname, cols[i]);
	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL, why,
		       pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief: no scan", table));
	pgs_plan_not_null_not_valid(plan, ctx, rel, cols, names, n);
	pgs_plan_marker(plan, pgs_guard_constraint_exists(a, pgs_guard_rel(a, rel), names[0]));
	for (size_t i = 0; i < n; i++)
		pgs_plan_validate(plan, ctx, rel, table, names[i], false);
	pgs_plan_set_not_null(plan, ctx, rel, table, cols, names, n);
}

void pgs_plan_set_not_null_steps(struct pgs_plan *plan, struct pgs_check *ctx,
				 PgQuery__RangeVar *rel, const char *table, const char **cols,
				 const char **checks, size_t n)
{
	struct pgs_arena *a = &plan->arena;
	PgQuery__Node **set = pgs_arena_array(a, n, sizeof(*set));
	PgQuery__Node **drop = pgs_arena_array(a, n, sizeof(*drop));

	for (size_t i = 0; i < n; i++) {
		set[i] = pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull, cols[i],
					     NULL);
		drop[i] = pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint,
					      checks[i], NULL);
	}
	/* two statements: in one, DROP CONSTRAINT would run before the NOT NULL check
	 * (ALTER TABLE drops in an earlier pass) and the scan would be back */
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, set, n));
	if (pgs_check_pg_version(ctx) < 12) {
		/* the user's NOT NULL, with the scan no rewrite avoids before 12 */
		pgs_plan_mark_kept(plan, ctx);
		pgs_plan_note(
		    plan, ctx,
		    "before PostgreSQL 12 SET NOT NULL scans %s under ACCESS EXCLUSIVE even "
		    "with a valid CHECK (PostgreSQL 12+ skips the scan)",
		    table);
	}
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, drop, n));
}

void pgs_plan_set_not_null(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
			   const char *table, const char **cols, const char **checks, size_t n)
{
	if (pgs_plan_native_not_null(ctx))
		return; /* the VALIDATE made them NOT NULL */
	if (pgs_check_pg_version(ctx) < 12)
		pgs_plan_stage(
		    plan, PGS_STAGE_TRANSACTIONAL,
		    "SET NOT NULL, then drop the CHECK: before PostgreSQL 12 SET NOT NULL "
		    "scans even with a valid CHECK",
		    pgs_arena_printf(&plan->arena, "ACCESS EXCLUSIVE on %s during a full scan",
				     table));
	else
		pgs_plan_stage(
		    plan, PGS_STAGE_TRANSACTIONAL,
		    "SET NOT NULL skips its scan: a validated CHECK proves it (PostgreSQL "
		    "12+); the CHECK is then dropped",
		    pgs_arena_printf(&plan->arena, "ACCESS EXCLUSIVE on %s, brief: no scan",
				     table));
	pgs_plan_set_not_null_steps(plan, ctx, rel, table, cols, checks, n);
	const char *marker = NULL;
	for (size_t i = 0; i < n; i++)
		marker =
		    pgs_guard_and(&plan->arena, marker,
				  pgs_guard_column_not_null(
				      &plan->arena, pgs_guard_rel(&plan->arena, rel), cols[i]));
	pgs_plan_marker(plan, marker);
}
