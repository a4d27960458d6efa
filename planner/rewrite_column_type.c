/*
 * ALTER TABLE t ALTER COLUMN c TYPE new [USING expr], alone, when it
 * rewrites an existing table: expand/contract instead of a rewrite under
 * ACCESS EXCLUSIVE.
 *
 *   1. ADD COLUMN c_pgstage_new new; a trigger keeps it equal to expr on every
 *      insert and update; CHECK (c_pgstage_new IS NOT NULL) NOT VALID if c is
 *      NOT NULL
 *   2. backfill c_pgstage_new for existing rows, in batches
 *   3. VALIDATE the check                                (NOT NULL only)
 *   4. checkpoint: deploy code that works with the new type
 *   5. one brief transaction: drop the trigger, rename c away and
 *      c_pgstage_new to c, SET NOT NULL (proven by the check on 12+), drop the
 *      old c
 *
 * Only plain columns: no default, not in an index or constraint, on a table
 * without children that no foreign key references; otherwise the statement
 * stays as written with a note. The column moves to the end of the table.
 */
#include <string.h>

#include "lint/quote.h"
#include "lint/rule.h"
#include "lint/walk.h"
#include "planner/backfill.h"
#include "planner/build.h"
#include "planner/deparse.h"
#include "planner/plan.h"

struct uses {
	const char *column;
	bool found;
};

static void index_uses(void *data, const char *key, void *value)
{
	struct uses *u = data;
	const struct pgs_index *ix = value;

	(void)key;
	for (size_t i = 0; i < ix->n_columns; i++)
		u->found |= !ix->columns[i] || strcmp(ix->columns[i], u->column) == 0;
	u->found |= ix->partial;
}

/* Why the column can't be swapped for a new one, or NULL when it can. */
static const char *not_plain(struct pgs_arena *a, struct pgs_model *model, struct pgs_table *t,
			     const char *column)
{
	struct pgs_column *col = t ? pgs_table_column(t, column) : NULL;

	if (!t || t->partial || !col)
		return "the migration history does not show the table's columns";
	if (t->kind != 'r' || t->has_children)
		return "the table is partitioned or has inheritance children";
	if (t->referenced)
		return "a foreign key references the table";
	if (col->has_default)
		return "the column has a default";
	for (size_t i = 0; i < t->n_constraints; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		if (!c->dropped &&
		    (pgs_names_contain(c->columns, c->n_columns, column) ||
		     (c->kind == PGS_CON_CHECK && !c->n_columns)))
			return pgs_arena_printf(a, "constraint %s uses the column", c->name);
	}
	struct uses u = {column, false};
	pgs_model_each_index_of(model, t->key, index_uses, &u);
	if (u.found)
		return "an index uses the column";
	return NULL;
}

/* ColumnRef c -> NEW.c: the trigger reads the row being written. */
static bool qualify_with_new(void *data, const PgQuery__Node *n)
{
	struct pgs_arena *a = data;

	if (n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return true;
	PgQuery__ColumnRef *cr = n->column_ref;
	if (cr->n_fields != 1 || cr->fields[0]->node_case != PG_QUERY__NODE__NODE_STRING)
		return false;
	PgQuery__Node **fields = pgs_arena_array(a, 2, sizeof(*fields));
	fields[0] = pgs_build_string(a, "new");
	fields[1] = cr->fields[0];
	cr->fields = fields;
	cr->n_fields = 2;
	return false;
}

/* Whether every column reference in the expression is a bare column name. */
static bool bare_refs(void *data, const PgQuery__Node *n)
{
	bool *ok = data;

	if (n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
		*ok &= n->column_ref->n_fields == 1;
		return false;
	}
	/* a sub-select could read other tables or name columns of its own */
	*ok &= n->node_case != PG_QUERY__NODE__NODE_SUB_LINK;
	return true;
}

/* An expression as SQL text. */
static const char *expr_sql(struct pgs_plan *plan, PgQuery__Node *expr)
{
	struct pgs_error err;
	const char *select = pgs_deparse(&plan->arena, pgs_build_select(&plan->arena, expr), &err);

	if (!select || strncmp(select, "SELECT ", 7) != 0) {
		if (!plan->failed) {
			plan->error = err;
			plan->failed = true;
		}
		return NULL;
	}
	return select + 7;
}

bool pgs_rewrite_column_type(struct pgs_plan *plan, struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_STMT ||
	    node->alter_table_stmt->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ||
	    node->alter_table_stmt->n_cmds != 1 ||
	    node->alter_table_stmt->cmds[0]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
		return false;
	const PgQuery__AlterTableCmd *cmd = node->alter_table_stmt->cmds[0]->alter_table_cmd;
	if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType || !cmd->def ||
	    cmd->def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
		return false;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!e || !e->rewrite || pgs_check_created_in_this_file(ctx, e->relation))
		return false;

	struct pgs_arena *a = &plan->arena;
	struct pgs_model *model = pgs_check_model(ctx);
	PgQuery__RangeVar *rel = node->alter_table_stmt->relation;
	struct pgs_table *t = pgs_model_table(model, rel);
	const char *col = cmd->name;
	const char *table = pgs_check_relation_label(ctx, e->relation);
	const PgQuery__ColumnDef *def = cmd->def->column_def;
	const char *why = not_plain(a, model, t, col);
	bool bare = true;
	if (!why && def->raw_default)
		pgs_walk(def->raw_default, bare_refs, &bare);
	if (!why && !bare)
		why = "its USING expression reads more than the row's own columns";
	if (why) {
		pgs_plan_note(plan, ctx,
			      "the type change of %s.%s stays as written: no expand/contract plan "
			      "because %s",
			      table, pgs_quote_ident(a, col), why);
		return false;
	}

	bool not_null = pgs_table_column(t, col)->not_null;
	const char *new_col = pgs_build_name(a, col, NULL, "pgstage_new");
	const char *old_col = pgs_build_name(a, col, NULL, "pgstage_old");
	const char *sync = pgs_build_name(a, rel->relname, col, "pgstage_sync");
	const char *check = pgs_build_name(a, rel->relname, col, "not_null");
	const char *schema = rel->schemaname && *rel->schemaname ? rel->schemaname : NULL;
	const char *sync_fn = schema ? pgs_arena_printf(a, "%s.%s", pgs_quote_ident(a, schema),
							pgs_quote_ident(a, sync))
				     : pgs_quote_ident(a, sync);
	const char *rel_sql = pgs_quote_relation(a, e->relation);

	/* the value of the new column: USING expr, or the column itself (assignment cast) */
	PgQuery__Node *value = def->raw_default ? pgs_build_copy(a, def->raw_default)
						: pgs_build_column_ref(a, col);
	const char *backfill_expr = expr_sql(plan, value);
	PgQuery__Node *row_value = pgs_build_copy(a, value);
	pgs_walk(row_value, qualify_with_new, a);
	const char *trigger_expr = expr_sql(plan, row_value);
	if (!backfill_expr || !trigger_expr)
		return true;

	/* 1: the new column, kept in step by a trigger */
	PgQuery__ColumnDef *nd = pgs_arena_alloc(a, sizeof(*nd));
	PgQuery__ColumnDef nd_init = PG_QUERY__COLUMN_DEF__INIT;
	*nd = nd_init;
	nd->colname = (char *)new_col;
	nd->type_name = def->type_name;
	nd->coll_clause = def->coll_clause;
	nd->is_local = true;
	nd->location = -1;
	PgQuery__Node *nd_node = pgs_arena_alloc(a, sizeof(*nd_node));
	*nd_node = *cmd->def;
	nd_node->column_def = nd;
	PgQuery__Node *add =
		pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn, NULL, nd_node);
	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
		       pgs_arena_printf(a, "add %s of the new type, kept equal to %s by a trigger "
					   "on every insert and update",
					pgs_quote_ident(a, new_col), pgs_quote_ident(a, col)),
		       pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief: no rewrite", table));
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &add, 1));
	pgs_plan_text(plan, ctx,
		      pgs_arena_printf(a,
				       "CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS "
				       "$pgstage$\nBEGIN\n  NEW.%s := %s;\n  RETURN NEW;\nEND\n"
				       "$pgstage$",
				       sync_fn, pgs_quote_ident(a, new_col), trigger_expr));
	pgs_plan_text(plan, ctx,
		      pgs_arena_printf(a,
				       "CREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s FOR EACH "
				       "ROW EXECUTE FUNCTION %s()",
				       pgs_quote_ident(a, sync), rel_sql, sync_fn));
	if (not_null) {
		PgQuery__Node *chk = pgs_build_alter_cmd(
			a, PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint, NULL,
			pgs_build_check(a, check, pgs_build_is_not_null(a, new_col), true));
		pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &chk, 1));
	}

	/* 2: existing rows */
	const char *pk = pgs_backfill_primary_key(t);
	pgs_plan_stage(plan, PGS_STAGE_BACKFILL,
		       pgs_arena_printf(a, "fill %s for existing rows, %zu rows per transaction%s",
					pgs_quote_ident(a, new_col), plan->opts.batch_size,
					pk ? ", by primary key" : ", by ranges of table pages"),
		       pgs_arena_printf(a, "ROW EXCLUSIVE on %s: the rows of one batch at a time",
					table));
	const char *qnew = pgs_quote_ident(a, new_col);
	pgs_plan_sql(plan, ctx,
		     pgs_backfill_sql(a, rel_sql,
				      pgs_arena_printf(a, "UPDATE %s SET %s = %s", rel_sql, qnew,
						       backfill_expr),
				      pgs_arena_printf(a, "%s IS NULL", qnew),
				      pk ? pgs_quote_ident(a, pk) : NULL, plan->opts.batch_size),
		     false);

	/* 3: NOT NULL proven without a lock that blocks writes */
	if (not_null)
		pgs_plan_validate(plan, ctx, rel, table, check, false);

	/* 4, 5: the swap, after the application is ready for the new type */
	pgs_plan_stage(plan, PGS_STAGE_CHECKPOINT,
		       pgs_arena_printf(a, "deploy application code that works with %s.%s as the "
					   "new type before the swap",
					table, pgs_quote_ident(a, col)),
		       NULL);
	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
		       pgs_arena_printf(a, "swap %s in for %s and drop the old column: catalog "
					   "changes only",
					pgs_quote_ident(a, new_col), pgs_quote_ident(a, col)),
		       pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief: no rewrite, no scan",
					table));
	pgs_plan_text(plan, ctx,
		      pgs_arena_printf(a, "DROP TRIGGER %s ON %s", pgs_quote_ident(a, sync),
				       rel_sql));
	pgs_plan_text(plan, ctx, pgs_arena_printf(a, "DROP FUNCTION %s()", sync_fn));
	pgs_plan_text(plan, ctx,
		      pgs_arena_printf(a, "ALTER TABLE %s RENAME COLUMN %s TO %s", rel_sql,
				       pgs_quote_ident(a, col), pgs_quote_ident(a, old_col)));
	pgs_plan_text(plan, ctx,
		      pgs_arena_printf(a, "ALTER TABLE %s RENAME COLUMN %s TO %s", rel_sql,
				       pgs_quote_ident(a, new_col), pgs_quote_ident(a, col)));
	if (not_null) {
		PgQuery__Node *set = pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull,
							 col, NULL);
		PgQuery__Node *drop = pgs_build_alter_cmd(
			a, PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint, check, NULL);
		/* separate statements: DROP CONSTRAINT would run first and bring the scan back */
		pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &set, 1));
		if (pgs_check_pg_version(ctx) < 12) {
			pgs_plan_mark_kept(plan);
			pgs_plan_note(plan, ctx,
				      "before PostgreSQL 12 SET NOT NULL scans %s under ACCESS "
				      "EXCLUSIVE even with a valid CHECK (PostgreSQL 12+ skips the "
				      "scan)",
				      table);
		}
		pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &drop, 1));
	}
	PgQuery__Node *drop_old =
		pgs_build_alter_cmd(a, PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn, old_col, NULL);
	pgs_plan_node(plan, ctx, pgs_build_alter_table(a, rel, &drop_old, 1));
	return true;
}
