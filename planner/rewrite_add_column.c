/*
 * ALTER TABLE t ADD COLUMN c type DEFAULT volatile() [NOT NULL], alone, on an
 * existing table (PostgreSQL 11+; before 11 every default rewrites and the
 * same plan applies to any default):
 *
 *   1. ADD COLUMN c type; SET DEFAULT (new rows); CHECK (c IS NOT NULL) NOT VALID
 *   2. backfill existing rows in batches, each its own transaction
 *   3. VALIDATE the check           (only for NOT NULL)
 *   4. SET NOT NULL, DROP the check  (only for NOT NULL)
 */
#include <string.h>

#include "lint/pgdata/pgdata.h"
#include "lint/quote.h"
#include "lint/rule.h"
#include "lint/volatility.h"
#include "planner/backfill.h"
#include "planner/build.h"
#include "planner/deparse.h"
#include "planner/plan.h"

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
	if (!e || pgs_check_created_in_this_file(ctx, e->relation) || !e->rewrite ||
	    (e->cause != PGS_CAUSE_VOLATILE_DEFAULT && e->cause != PGS_CAUSE_DEFAULT_BEFORE_11))
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
	if (!dflt)
		return false;

	struct pgs_arena *a = &plan->arena;
	struct pgs_error err;
	PgQuery__RangeVar *rel = node->alter_table_stmt->relation;
	const char *table = pgs_check_relation_label(ctx, e->relation);
	const char *col = def->colname;
	const char *select = pgs_deparse(a, pgs_build_select(a, dflt), &err);
	if (!select || strncmp(select, "SELECT ", 7) != 0) {
		plan->error = err;
		plan->failed = true;
		return true;
	}
	const char *expr = select + 7;

	/* 1: the column, empty; the default for new rows; the NOT NULL check for new rows */
	PgQuery__ColumnDef bare = *def;
	PgQuery__Node bare_node = *cmd->def;
	bare.raw_default = NULL;
	bare.is_not_null = false;
	bare.n_constraints = 0;
	bare.constraints = NULL;
	bare_node.column_def = &bare;
	PgQuery__Node *add = pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn, NULL,
						 &bare_node);
	PgQuery__Node *set_default =
		pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault, col, dflt);
	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
		       pgs_arena_printf(a, "add %s without a default (instant), then give new rows "
				       "the default",
					pgs_quote_ident(a, col)),
		       pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief: no rewrite", table));
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &add, 1));
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &set_default, 1));
	const char *check = NULL;
	if (not_null) {
		check = pgs_build_name(a, rel->relname, col, "not_null");
		PgQuery__Node *chk = pgs_build_alter_cmd(
			a, PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint, NULL,
			pgs_build_check(a, check, pgs_build_is_not_null(a, col), true));
		pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &chk, 1));
	}

	/* 2: existing rows, in batches */
	struct pgs_table *t = pgs_model_table(pgs_check_model(ctx), rel);
	const char *pk = pgs_backfill_primary_key(t);
	const char *rel_sql = pgs_quote_relation(a, e->relation);
	const char *qcol = pgs_quote_ident(a, col);
	pgs_plan_stage(plan, PGS_STAGE_BACKFILL,
		       pgs_arena_printf(a, "fill %s for existing rows, %zu rows per transaction%s",
					pgs_quote_ident(a, col), plan->opts.batch_size,
					pk ? ", by primary key" : ", by ranges of table pages"),
		       pgs_arena_printf(a, "ROW EXCLUSIVE on %s: the rows of one batch at a time",
					table));
	pgs_plan_sql(plan, ctx,
		     pgs_backfill_sql(a, rel_sql,
				      pgs_arena_printf(a, "UPDATE %s SET %s = %s", rel_sql, qcol, expr),
				      pgs_arena_printf(a, "%s IS NULL", qcol),
				      pk ? pgs_quote_ident(a, pk) : NULL, plan->opts.batch_size),
		     false);

	/* 3, 4: NOT NULL without a scan under ACCESS EXCLUSIVE */
	if (not_null) {
		PgQuery__Node *validate = pgs_build_alter_cmd(
			a, PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint, check, NULL);
		pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
			       pgs_arena_printf(a, "validate %s: scans the table without blocking "
						   "reads or writes",
						pgs_quote_ident(a, check)),
			       pgs_arena_printf(a, "SHARE UPDATE EXCLUSIVE on %s during the scan",
						table));
		pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &validate, 1));
		if (pgs_check_pg_version(ctx) >= 12) {
			pgs_plan_set_not_null(plan, ctx, rel, table, &col, &check, 1);
		} else {
			pgs_plan_note(plan, ctx,
				      "before PostgreSQL 12 SET NOT NULL scans even with a valid "
				      "CHECK: the plan keeps the validated CHECK %s instead of NOT "
				      "NULL",
				      pgs_quote_ident(a, check));
		}
	}
	return true;
}
