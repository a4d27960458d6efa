/*
 * ALTER TABLE t ADD COLUMN c type ..., alone, on an existing table.
 *
 * DEFAULT volatile() [NOT NULL] (PostgreSQL 11+; before 11 every default
 * rewrites and the same plan applies to any default):
 *   1. ADD COLUMN c type; SET DEFAULT (new rows)
 *   2. backfill existing rows in batches, each its own transaction
 *   3. CHECK (c IS NOT NULL) NOT VALID (only for NOT NULL)
 *   4. VALIDATE the check              (only for NOT NULL)
 *   5. SET NOT NULL, DROP the check     (only for NOT NULL)
 *
 * The CHECK comes after the backfill: a NOT VALID check still applies to
 * every row written, so before the backfill every update of a row not yet
 * filled would fail (old code does not write c).
 *
 * NOT NULL without a default (fails on a table with rows):
 *   1. ADD COLUMN c type, nullable
 *   2. checkpoint: the application writes c and fills existing rows
 *   3. CHECK (c IS NOT NULL) NOT VALID; 4. VALIDATE; 5. SET NOT NULL, DROP the check
 */
#include <string.h>

#include "lint/pgdata/pgdata.h"
#include "lint/quote.h"
#include "lint/rule.h"
#include "lint/volatility.h"
#include "planner/backfill.h"
#include "planner/build.h"
#include "planner/deparse.h"
#include "planner/guard.h"
#include "planner/plan.h"

/*
 * The NOT NULL sequence once every row has a value: CHECK (col IS NOT NULL)
 * NOT VALID in a brief stage of its own, VALIDATE it, then SET NOT NULL
 * (without a scan on 12+) and drop the check.
 */
static void not_null_sequence(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
			      const char *table, const char *col, const char *check,
			      const char *why)
{
	struct pgs_arena *a = &plan->arena;
	PgQuery__Node *chk =
	    pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint, NULL,
				pgs_build_check(a, check, pgs_build_is_not_null(a, col), true));

	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL, why,
		       pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief: no scan", table));
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &chk, 1));
	pgs_plan_marker(plan, pgs_guard_constraint_exists(a, pgs_guard_rel(a, rel), check));
	pgs_plan_validate(plan, ctx, rel, table, check, false);
	pgs_plan_set_not_null(plan, ctx, rel, table, &col, &check, 1);
}

/* ADD COLUMN as written minus its DEFAULT and NOT NULL: instant, no rewrite. */
static PgQuery__Node *bare_add_column(struct pgs_arena *a, const PgQuery__AlterTableCmd *cmd)
{
	PgQuery__ColumnDef *bare = pgs_arena_alloc(a, sizeof(*bare));
	PgQuery__Node *bare_node = pgs_arena_alloc(a, sizeof(*bare_node));

	*bare = *cmd->def->column_def;
	*bare_node = *cmd->def;
	bare->raw_default = NULL;
	bare->is_not_null = false;
	bare->n_constraints = 0;
	bare->constraints = NULL;
	bare_node->column_def = bare;
	return pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn, NULL, bare_node);
}

/*
 * NOT NULL without a default on a table with rows fails: existing rows have
 * no value. Add the column nullable; at a checkpoint the application starts
 * writing it and fills the existing rows (only it knows their values); then
 * the NOT NULL sequence.
 */
static void plan_required_column(struct pgs_plan *plan, struct pgs_check *ctx,
				 PgQuery__RangeVar *rel, const char *table,
				 const PgQuery__AlterTableCmd *cmd)
{
	struct pgs_arena *a = &plan->arena;
	const char *col = cmd->def->column_def->colname;
	const char *check = pgs_build_name(a, rel->relname, col, "not_null");
	PgQuery__Node *add = bare_add_column(a, cmd);

	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
		       pgs_arena_printf(a,
					"add %s nullable: the rows already in %s have no value "
					"for it, and NOT NULL would fail on them",
					pgs_quote_ident(a, col), table),
		       pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief: no rewrite", table));
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &add, 1));
	pgs_plan_marker(plan, pgs_guard_column_exists(a, pgs_guard_rel(a, rel), col));
	pgs_plan_stage(plan, PGS_STAGE_CHECKPOINT,
		       pgs_arena_printf(a,
					"deploy application code that writes %s on every insert "
					"and update, and fill it for the existing rows of %s: the "
					"next stages fail while a row has none",
					pgs_quote_ident(a, col), table),
		       NULL);
	not_null_sequence(plan, ctx, rel, table, col, check,
			  pgs_arena_printf(a,
					   "require %s for new rows; existing rows are checked "
					   "in the next stage",
					   pgs_quote_ident(a, col)));
}

bool pgs_rewrite_add_column(struct pgs_plan *plan, struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
	    node->alter_table_stmt->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
	    node->alter_table_stmt->n_cmds != 1)
		return false;
	const PgQuery__AlterTableCmd *cmd = node->alter_table_stmt->cmds[0]->alter_table_cmd;
	if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn || !cmd->def ||
	    cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
		return false;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!e || pgs_check_created_in_this_file(ctx, e->relation))
		return false;

	/* only DEFAULT and NOT NULL: other column constraints would need their own steps */
	const PgQuery__ColumnDef *def = cmd->def->column_def;
	PgQuery__Node *dflt = def->raw_default;
	bool not_null = def->is_not_null;
	for (size_t i = 0; i < def->n_constraints; i++) {
		const PgQuery__Constraint *c = def->constraints[i]->constraint;
		if (def->constraints[i]->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			return false;
		if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT)
			dflt = c->raw_expr;
		else if (c->contype == PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL)
			not_null = true;
		else if (c->contype != PG_QUERY__CONSTR_TYPE__CONSTR_NULL)
			return false;
	}

	struct pgs_arena *a = &plan->arena;
	PgQuery__RangeVar *rel = node->alter_table_stmt->relation;
	const char *table = pgs_check_relation_label(ctx, e->relation);
	struct pgs_table *t = pgs_model_table(pgs_check_model(ctx), rel);
	if (!dflt) {
		struct pgs_column_add add = pgs_effects_add_column(pgs_check_model(ctx), a, t, cmd,
								   pgs_check_pg_version(ctx));
		if (!add.needs_value || add.rewrite || !not_null)
			return false;
		plan_required_column(plan, ctx, rel, table, cmd);
		return true;
	}
	if (!e->rewrite ||
	    (e->cause != PGS_CAUSE_VOLATILE_DEFAULT && e->cause != PGS_CAUSE_DEFAULT_BEFORE_11))
		return false;

	struct pgs_error err;
	const char *col = def->colname;
	const char *select = pgs_deparse(a, pgs_build_select(a, dflt), &err);
	if (!select || strncmp(select, "SELECT ", 7) != 0) {
		plan->error = err;
		plan->failed = true;
		return true;
	}
	const char *expr = select + 7;

	/* 1: the column, empty; the default for new rows */
	PgQuery__Node *add = bare_add_column(a, cmd);
	PgQuery__Node *set_default =
	    pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault, col, dflt);
	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
		       pgs_arena_printf(a,
					"add %s without a default (instant), then give new rows "
					"the default",
					pgs_quote_ident(a, col)),
		       pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief: no rewrite", table));
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &add, 1));
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &set_default, 1));
	pgs_plan_marker(plan, pgs_guard_column_exists(a, pgs_guard_rel(a, rel), col));

	/* 2: existing rows, in batches; each row filled once (a volatile default
	 * must not be drawn again for a row that has its value) */
	const char *qcol = pgs_quote_ident(a, col);
	pgs_plan_fill(plan, ctx, t, e->relation, col, expr,
		      pgs_arena_printf(a, "%s IS NULL", qcol));

	/* 3-5: NOT NULL without a scan under ACCESS EXCLUSIVE, once every row has a value */
	if (not_null)
		not_null_sequence(
		    plan, ctx, rel, table, col, pgs_build_name(a, rel->relname, col, "not_null"),
		    pgs_arena_printf(a,
				     "require %s for new rows: every row has a value now; "
				     "existing rows are checked in the next stage",
				     qcol));
	return true;
}
