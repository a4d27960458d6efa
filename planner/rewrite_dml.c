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

#include "core/quote.h"
#include "lint/rule.h"
#include "core/volatility.h"
#include "core/walk.h"
#include "planner/backfill.h"
#include "planner/build.h"
#include "planner/deparse.h"
#include "planner/plan.h"

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
	const char *read = pgs_backfill_update_reads_assigned(us);
	if (read)
		return pgs_arena_printf(
		    a,
		    "SET reads %s: a re-run of a batched form after a "
		    "failed batch would apply it twice to the rows already done",
		    strcmp(read, "*") == 0
			? "the whole row, with the columns it assigns"
			: pgs_arena_printf(a, "%s, which it assigns", pgs_quote_ident(a, read)));
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

/*
 * Page ranges miss a row the application updates meanwhile when its new
 * version lands on a page already passed: an UPDATE by pages gets more
 * passes over the rows that still differ from what it sets, so every SET
 * value must be one the rows can be compared with. The predicate, or NULL
 * with *why set.
 */
static const char *update_pending(struct pgs_plan *plan, const PgQuery__UpdateStmt *us,
				  int pg_version, const char **why)
{
	struct pgs_arena *a = &plan->arena;
	const char *cols = NULL, *vals = NULL;

	for (size_t i = 0; i < us->n_target_list; i++) {
		const PgQuery__ResTarget *rt = us->target_list[i]->res_target;
		if (!rt->val || rt->val->node_case == PG_QUERY__NODE__NODE_SET_TO_DEFAULT ||
		    pgs_expr_volatility(rt->val, a, pg_version).level == 'v') {
			*why = "it has no single-column primary key to batch on, and page ranges "
			       "can miss rows the application updates meanwhile: a value it sets "
			       "is volatile or DEFAULT, so no second pass can find them";
			return NULL;
		}
		struct pgs_error err;
		const char *select = pgs_deparse(a, pgs_build_select(a, rt->val), &err);
		if (!select || strncmp(select, "SELECT ", 7) != 0) {
			*why = "pgstage can't write its SET values back";
			return NULL;
		}
		const char *col = pgs_quote_ident(a, rt->name);
		cols = cols ? pgs_arena_printf(a, "%s, %s", cols, col) : col;
		vals = vals ? pgs_arena_printf(a, "%s, %s", vals, select + 7) : select + 7;
	}
	return us->n_target_list == 1
		   ? pgs_arena_printf(a, "%s IS DISTINCT FROM (%s)", cols, vals)
		   : pgs_arena_printf(a, "ROW(%s) IS DISTINCT FROM ROW(%s)", cols, vals);
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
	const char *pending = NULL;
	if (!obstacle && !pk && update)
		pending = update_pending(plan, us, pgs_check_pg_version(ctx), &obstacle);
	else if (!obstacle && !pk)
		obstacle = "it has no single-column primary key to batch on, and page ranges can "
			   "miss rows the application updates meanwhile, which no later pass can "
			   "tell from rows inserted since";
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
	struct pgs_backfill b = pgs_backfill_of(pgs_quote_relation(a, e->relation), body,
						pk ? pgs_quote_ident(a, pk) : NULL,
						plan->opts.batch_size);
	b.alias = rel->alias ? pgs_quote_ident(a, rel->alias->aliasname) : NULL;
	b.pending = pending;
	pgs_plan_stage(
	    plan, PGS_STAGE_BACKFILL,
	    pk ? pgs_arena_printf(a,
				  "%s every row of %s in batches of %zu rows by primary key, each "
				  "its own transaction, instead of in one that locks every row",
				  update ? "update" : "delete", table, b.batch_rows)
	       : pgs_arena_printf(a,
				  "update every row of %s in batches of %zu table pages (no "
				  "single-column primary key to go by), each its own transaction, "
				  "then again over the rows that still differ until none does",
				  table, b.batch_pages),
	    pgs_arena_printf(a, "ROW EXCLUSIVE on %s: the rows of one batch at a time", table));
	pgs_backfill_add(plan, ctx, &b);
	return true;
}
