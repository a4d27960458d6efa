/*
 * UPDATE t SET ... / DELETE FROM t without a WHERE, on an existing table: one
 * long transaction that locks every row. Planned as a backfill stage that
 * applies the same statement in batches, a transaction each, keyed on the
 * single-column primary key or, without one, on ranges of table pages.
 *
 * Only when the batched form is the same statement and safe to re-run after
 * a failed batch: no FROM / USING / RETURNING / WITH, the primary key is not
 * assigned (batches are keyed on it), and no SET expression reads a column
 * the SET assigns (a re-run would apply it twice to the rows already done).
 * A statement with a WHERE stays as written: the lint rules judge it.
 */
#include <string.h>

#include "lint/quote.h"
#include "lint/rule.h"
#include "lint/walk.h"
#include "planner/backfill.h"
#include "planner/deparse.h"
#include "planner/plan.h"

struct reads_assigned {
	PgQuery__Node **targets; /* the SET list's ResTargets */
	size_t n;
	const char *relname, *alias;
	const char *column; /* out: the assigned column read, or "*" for a whole row */
};

static bool assigned(const struct reads_assigned *r, const char *name)
{
	for (size_t i = 0; name && i < r->n; i++)
		if (strcmp(r->targets[i]->res_target->name, name) == 0)
			return true;
	return false;
}

static bool find_assigned_read(void *data, const PgQuery__Node *n)
{
	struct reads_assigned *r = data;

	if (r->column || n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return !r->column;
	const PgQuery__ColumnRef *cr = n->column_ref;
	const PgQuery__Node *last = cr->n_fields ? cr->fields[cr->n_fields - 1] : NULL;
	const char *name = last ? pgs_node_string(last) : NULL;
	if (!name) /* t.* */
		r->column = "*";
	else if (assigned(r, name))
		r->column = name;
	else if (cr->n_fields == 1 &&
		 (strcmp(name, r->relname) == 0 || (r->alias && strcmp(name, r->alias) == 0)))
		r->column = "*"; /* the whole row, as a composite value */
	return false;
}

/* Why an UPDATE without WHERE can't be batched, or NULL when it can. */
static const char *update_obstacle(struct pgs_arena *a, const PgQuery__UpdateStmt *us,
				   const char *pk)
{
	if (us->n_from_clause || us->n_returning_list || us->with_clause)
		return "a batched form can't keep its FROM, RETURNING or WITH";
	for (size_t i = 0; i < us->n_target_list; i++) {
		const PgQuery__Node *t = us->target_list[i];
		if (t->node_case != PG_QUERY__NODE__NODE_RES_TARGET || !t->res_target->name)
			return "pgstage can't read its SET list";
		if (t->res_target->val &&
		    t->res_target->val->node_case == PG_QUERY__NODE__NODE_MULTI_ASSIGN_REF)
			return "pgstage can't rewrite SET (a, b) = ... yet";
		if (pk && strcmp(t->res_target->name, pk) == 0)
			return pgs_arena_printf(a,
						"it assigns the primary key %s, which the "
						"batches are keyed on",
						pgs_quote_ident(a, pk));
	}
	struct reads_assigned r = {us->target_list, us->n_target_list, us->relation->relname,
				   us->relation->alias ? us->relation->alias->aliasname : NULL,
				   NULL};
	for (size_t i = 0; i < us->n_target_list && !r.column; i++)
		pgs_walk(us->target_list[i], find_assigned_read, &r);
	if (r.column)
		return pgs_arena_printf(
		    a,
		    "SET reads %s: a re-run of a batched form after a "
		    "failed batch would apply it twice to the rows already done",
		    strcmp(r.column, "*") == 0 ? "the whole row, with the columns it assigns"
					       : pgs_arena_printf(a, "%s, which it assigns",
								  pgs_quote_ident(a, r.column)));
	return NULL;
}

/* Why page ranges can't cover the table's rows, or NULL when they can. */
static const char *pages_obstacle(const struct pgs_table *t)
{
	if (!t || t->partial)
		return "the history doesn't know the table's primary key (pass its schema with "
		       "--context)";
	if (t->kind != 'r' || t->has_children)
		return "it has no single-column primary key to batch on, and page ranges of the "
		       "parent miss the rows of its partitions or children";
	return NULL;
}

bool pgs_rewrite_dml(struct pgs_plan *plan, struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);
	bool update = node->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT;

	if (!update && node->node_case != PG_QUERY__NODE__NODE_DELETE_STMT)
		return false;
	const PgQuery__UpdateStmt *us = update ? node->update_stmt : NULL;
	const PgQuery__DeleteStmt *ds = update ? NULL : node->delete_stmt;
	if (update ? us->where_clause != NULL : ds->where_clause != NULL)
		return false;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!e || pgs_check_created_in_this_file(ctx, e->relation))
		return false;

	struct pgs_arena *a = &plan->arena;
	PgQuery__RangeVar *rel = update ? us->relation : ds->relation;
	struct pgs_table *t = pgs_model_table(pgs_check_model(ctx), rel);
	const char *pk = pgs_backfill_primary_key(t);
	const char *table = pgs_check_relation_label(ctx, e->relation);
	const char *obstacle = update ? update_obstacle(a, us, pk)
			       : ds->n_using_clause || ds->n_returning_list || ds->with_clause
				   ? "a batched form can't keep its USING, RETURNING or WITH"
				   : NULL;
	if (!obstacle && !pk)
		obstacle = pages_obstacle(t);
	if (obstacle) {
		pgs_plan_note(plan, ctx,
			      "%s of every row of %s stays as written (one transaction that locks "
			      "every row): %s",
			      update ? "UPDATE" : "DELETE", table, obstacle);
		return false;
	}

	/* the statement as it is (it has no WHERE): each batch adds its range */
	struct pgs_error err;
	const char *body = pgs_deparse(a, node, &err);
	if (!body) {
		plan->error = err;
		plan->failed = true;
		return true;
	}
	if (strstr(body, "$pgstage$")) {
		pgs_plan_note(plan, ctx,
			      "%s of every row of %s stays as written: its text holds "
			      "the quote $pgstage$ the batched form needs",
			      update ? "UPDATE" : "DELETE", table);
		return false;
	}
	pgs_plan_stage(
	    plan, PGS_STAGE_BACKFILL,
	    pgs_arena_printf(
		a,
		"%s every row of %s in batches (%s), each its own "
		"transaction, instead of in one that locks every row",
		update ? "update" : "delete", table,
		pk ? pgs_arena_printf(a, "%zu rows by primary key", plan->opts.batch_size)
		   : "ranges of table pages"),
	    pgs_arena_printf(a, "ROW EXCLUSIVE on %s: the rows of one batch at a time", table));
	pgs_plan_sql(plan, ctx,
		     pgs_backfill_sql(a, pgs_quote_relation(a, e->relation), body, NULL,
				      pk ? pgs_quote_ident(a, pk) : NULL, plan->opts.batch_size),
		     false);
	return true;
}
