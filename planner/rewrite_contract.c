/*
 * Contract steps: dropping or renaming a table or column that running
 * application code still uses breaks that code the moment it commits, however
 * brief the lock. The plan puts a checkpoint before them (deploy the code
 * that no longer uses the old name first; column renames that
 * rewrite_expand.c can't plan land here too), and renames a table in two
 * steps: rename plus a view under the old name, so old and new code both
 * work, then a checkpoint, then the view is dropped.
 */
#include <string.h>

#include "core/quote.h"
#include "lint/rule.h"
#include "planner/build.h"
#include "planner/guard.h"
#include "planner/plan.h"

/* The key of a table the statement names, when it existed before this file. */
static const char *existing_table(struct pgs_check *ctx, const PgQuery__RangeVar *rv)
{
	struct pgs_model *model = pgs_check_model(ctx);
	struct pgs_table *t = rv ? pgs_model_table(model, rv) : NULL;

	if (!t || pgs_check_created_in_this_file(ctx, t->key) || t->kind == 'v' || t->kind == 'm')
		return NULL;
	return t->key;
}

/* "a", "b" and "c": the columns an ALTER TABLE drops, or NULL when none. */
static const char *dropped_columns(struct pgs_arena *a, const PgQuery__AlterTableStmt *as)
{
	const char *list = NULL;

	for (size_t i = 0; i < as->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
		if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD ||
		    cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn)
			continue;
		const char *q = pgs_quote_ident(a, cmd->name);
		list = list ? pgs_arena_printf(a, "%s, %s", list, q) : q;
	}
	return list;
}

static void checkpoint(struct pgs_plan *plan, const char *why)
{
	pgs_plan_stage(plan, PGS_STAGE_CHECKPOINT, why, NULL);
}

void pgs_plan_checkpoint_before(struct pgs_plan *plan, struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);
	struct pgs_arena *a = &plan->arena;

	if (node->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT &&
	    node->alter_table_stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
		const char *key = existing_table(ctx, as->relation);
		const char *cols = key ? dropped_columns(a, as) : NULL;
		if (cols)
			checkpoint(plan, pgs_arena_printf(
					     a,
					     "deploy application code that no longer reads or "
					     "writes %s of %s (e.g. ignored by the ORM) before the "
					     "drop",
					     cols, pgs_check_relation_label(ctx, key)));
		return;
	}
	if (node->node_case == PG_QUERY__NODE__NODE_DROP_STMT &&
	    node->drop_stmt->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		const PgQuery__DropStmt *ds = node->drop_stmt;
		struct pgs_model *model = pgs_check_model(ctx);
		const char *list = NULL;
		for (size_t i = 0; i < ds->n_objects; i++) {
			const PgQuery__Node *obj = ds->objects[i];
			const char *key = pgs_model_key_of_dropped(model, obj);
			if (!key || pgs_check_created_in_this_file(ctx, key))
				continue;
			const char *label = pgs_check_relation_label(ctx, key);
			list = list ? pgs_arena_printf(a, "%s, %s", list, label) : label;
		}
		if (list)
			checkpoint(plan, pgs_arena_printf(a,
							  "deploy application code that no longer "
							  "uses %s before the drop",
							  list));
		return;
	}
	if (node->node_case == PG_QUERY__NODE__NODE_RENAME_STMT &&
	    node->rename_stmt->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN &&
	    node->rename_stmt->relation_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		const PgQuery__RenameStmt *rs = node->rename_stmt;
		const char *key = existing_table(ctx, rs->relation);
		if (key)
			checkpoint(plan,
				   pgs_arena_printf(a,
						    "deploy application code that works with both "
						    "%s and %s of %s (or stop the writers) before "
						    "the rename",
						    pgs_quote_ident(a, rs->subname),
						    pgs_quote_ident(a, rs->newname),
						    pgs_check_relation_label(ctx, key)));
	}
}

/* CREATE VIEW old AS SELECT * FROM new */
static PgQuery__Node *compat_view(struct pgs_arena *a, const PgQuery__RangeVar *old,
				  const char *new_name)
{
	PgQuery__RangeVar *view = pgs_build_range_var(a, old->schemaname, old->relname);
	PgQuery__RangeVar *table = pgs_build_range_var(a, old->schemaname, new_name);

	return pgs_build_create_view(a, view, pgs_build_select_star(a, table));
}

bool pgs_rewrite_rename_table(struct pgs_plan *plan, struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_RENAME_STMT ||
	    node->rename_stmt->rename_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		return false;
	const PgQuery__RenameStmt *rs = node->rename_stmt;
	const char *key = existing_table(ctx, rs->relation);
	struct pgs_table *t = key ? pgs_model_table(pgs_check_model(ctx), rs->relation) : NULL;
	if (!t || t->kind != 'r')
		return false;

	struct pgs_arena *a = &plan->arena;
	const char *old_label = pgs_check_relation_label(ctx, key);
	const char *new_label = pgs_quote_ident(a, rs->newname);
	PgQuery__RangeVar *view =
	    pgs_build_range_var(a, rs->relation->schemaname, rs->relation->relname);
	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
		       pgs_arena_printf(a,
					"rename %s to %s and keep the old name working as a "
					"view over it for the code still running",
					old_label, new_label),
		       pgs_arena_printf(a, "ACCESS EXCLUSIVE on %s, brief: no scan", old_label));
	pgs_plan_node(plan, ctx, node);
	pgs_plan_node(plan, ctx, compat_view(a, rs->relation, rs->newname));
	const char *renamed =
	    pgs_guard_relation_exists(a, pgs_guard_sibling(a, rs->relation, rs->newname));
	pgs_plan_marker(plan, renamed);
	checkpoint(plan, pgs_arena_printf(a, "deploy application code that uses %s, not %s",
					  new_label, old_label));
	pgs_plan_stage(plan, PGS_STAGE_TRANSACTIONAL,
		       pgs_arena_printf(a, "drop the compatibility view %s", old_label),
		       pgs_arena_printf(a, "ACCESS EXCLUSIVE on the view %s, brief", old_label));
	PgQuery__Node *name = pgs_build_name_list(a, view->schemaname, view->relname);
	pgs_plan_node(plan, ctx,
		      pgs_build_drop(a, PG_QUERY__OBJECT_TYPE__OBJECT_VIEW, name, false));
	pgs_plan_marker(
	    plan,
	    pgs_guard_and(a, renamed,
			  pgs_guard_not(a, pgs_guard_relation_exists(a, pgs_guard_rel(a, view)))));
	return true;
}
