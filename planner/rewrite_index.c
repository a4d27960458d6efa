/*
 * CREATE INDEX and DROP INDEX on existing tables: CONCURRENTLY, each alone
 * outside a transaction block, with IF [NOT] EXISTS so a retry is safe.
 */
#include <string.h>

#include "lint/rule.h"
#include "planner/plan.h"

bool pgs_rewrite_create_index(struct pgs_plan *plan, struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_INDEX_STMT || node->index_stmt->concurrent)
		return false;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!e || pgs_check_created_in_this_file(ctx, e->relation))
		return false;
	struct pgs_table *t = pgs_model_table(pgs_check_model(ctx), node->index_stmt->relation);
	if (t && t->kind == 'p') {
		pgs_plan_note(plan, ctx,
			      "CREATE INDEX on partitioned table %s stays as written: CONCURRENTLY is "
			      "not supported there (build it per partition, then CREATE INDEX ON ONLY "
			      "and ATTACH PARTITION)",
			      pgs_check_relation_label(ctx, e->relation));
		return false;
	}

	PgQuery__IndexStmt copy = *node->index_stmt;
	PgQuery__Node stmt = *node;
	copy.concurrent = true;
	copy.if_not_exists = copy.idxname && *copy.idxname; /* IF NOT EXISTS needs a name */
	stmt.index_stmt = &copy;
	const char *table = pgs_check_relation_label(ctx, e->relation);
	pgs_plan_stage(plan, PGS_STAGE_NON_TRANSACTIONAL,
		       pgs_arena_printf(&plan->arena,
					"build the index without blocking writes (CREATE INDEX holds "
					"SHARE on %s for the whole build)",
					table),
		       pgs_arena_printf(&plan->arena,
					"SHARE UPDATE EXCLUSIVE on %s during two scans: reads and "
					"writes go on; a failed build leaves an INVALID index to drop "
					"before retrying",
					table));
	pgs_plan_node(plan, ctx, &stmt);
	return true;
}

/* Whether the index backs a constraint (it can't be dropped on its own). */
static bool backs_constraint(struct pgs_model *model, const char *index_key)
{
	struct pgs_index *ix = pgs_model_index(model, index_key);
	struct pgs_table *t = ix ? pgs_strmap_get(&model->tables, ix->table) : NULL;

	for (size_t i = 0; t && i < t->n_constraints; i++)
		if (!t->constraints[i].dropped && t->constraints[i].index &&
		    strcmp(t->constraints[i].index, index_key) == 0)
			return true;
	return false;
}

bool pgs_rewrite_drop_index(struct pgs_plan *plan, struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_DROP_STMT ||
	    node->drop_stmt->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_INDEX ||
	    node->drop_stmt->concurrent)
		return false;
	const PgQuery__DropStmt *ds = node->drop_stmt;
	struct pgs_model *model = pgs_check_model(ctx);

	if (ds->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) {
		pgs_plan_note(plan, ctx, "DROP INDEX ... CASCADE stays as written: CONCURRENTLY "
					 "does not support CASCADE");
		return false;
	}
	/* every index must be droppable concurrently, or the statement stays whole */
	for (size_t i = 0; i < ds->n_objects; i++) {
		const PgQuery__Node *obj = ds->objects[i];
		const char *key = obj->node_case == PG_QUERY__NODE__NODE_LIST
					  ? pgs_model_key_from_names(model, obj->list->items,
								     obj->list->n_items)
					  : NULL;
		struct pgs_index *ix = key ? pgs_model_index(model, key) : NULL;
		if (!key || (ix && pgs_check_created_in_this_file(ctx, ix->table)))
			return false;
		if (backs_constraint(model, key)) {
			pgs_plan_note(plan, ctx,
				      "DROP INDEX %s stays as written: it backs a constraint (drop "
				      "the constraint instead)",
				      key);
			return false;
		}
	}
	for (size_t i = 0; i < ds->n_objects; i++) {
		PgQuery__DropStmt copy = *ds;
		PgQuery__Node stmt = *node;
		PgQuery__Node *one[1] = {ds->objects[i]};

		copy.concurrent = true;
		copy.missing_ok = true;
		copy.n_objects = 1;
		copy.objects = one;
		stmt.drop_stmt = &copy;
		pgs_plan_stage(plan, PGS_STAGE_NON_TRANSACTIONAL,
			       "drop the index without blocking reads and writes (DROP INDEX holds "
			       "ACCESS EXCLUSIVE on its table)",
			       "SHARE UPDATE EXCLUSIVE on the table, after waiting for transactions "
			       "using the index");
		pgs_plan_node(plan, ctx, &stmt);
	}
	return true;
}
