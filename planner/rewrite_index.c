/*
 * CREATE INDEX and DROP INDEX on existing tables: CONCURRENTLY, each alone
 * outside a transaction block, with IF [NOT] EXISTS so a retry is safe.
 * REINDEX TABLE / INDEX: CONCURRENTLY (PostgreSQL 12+), alone as well.
 */
#include <string.h>

#include "core/names.h"
#include "core/quote.h"
#include "lint/rule.h"
#include "planner/build.h"
#include "planner/guard.h"
#include "planner/plan.h"

/*
 * The name PostgreSQL gives an unnamed index (ChooseIndexName:
 * table_col1_col2_idx, numbered while taken), so the plan can name it and a
 * re-run can tell it exists. NULL when pgstage can't be sure of it: a key is
 * an expression (its name comes from the expression) or the history does
 * not know every index of the table.
 */
static const char *default_index_name(struct pgs_arena *a, struct pgs_model *model,
				      struct pgs_table *t, const PgQuery__IndexStmt *ix)
{
	size_t n = ix->n_index_params + ix->n_index_including_params;
	const char **cols = pgs_arena_array(a, n ? n : 1, sizeof(*cols));

	if (!t || t->partial || !n)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const PgQuery__Node *p = i < ix->n_index_params
					     ? ix->index_params[i]
					     : ix->index_including_params[i - ix->n_index_params];
		if (p->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM || !p->index_elem->name ||
		    !*p->index_elem->name)
			return NULL;
		cols[i] = p->index_elem->name;
	}
	const char *addition = pgs_index_name_addition(a, cols, n);
	for (int k = 0;; k++) {
		const char *name = pgs_object_name(a, ix->relation->relname, addition,
						   k ? pgs_arena_printf(a, "idx%d", k) : "idx");
		if (!pgs_model_name_taken(model, t, name))
			return name;
	}
}

bool pgs_rewrite_create_index(struct pgs_plan *plan, struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_INDEX_STMT || node->index_stmt->concurrent)
		return false;
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	/* IF NOT EXISTS of an index the history has builds nothing: kept as
	 * written (a concurrent form would also drop and rebuild it if INVALID) */
	if (!e || pgs_check_created_in_this_file(ctx, e->relation) || pgs_check_effects(ctx)->skipped)
		return false;
	struct pgs_table *t = pgs_model_table(pgs_check_model(ctx), node->index_stmt->relation);
	if (t && t->kind == 'p') {
		pgs_plan_note(
		    plan, ctx,
		    "CREATE INDEX on partitioned table %s stays as written: CONCURRENTLY is "
		    "not supported there (build it per partition, then CREATE INDEX ON ONLY "
		    "and ATTACH PARTITION)",
		    pgs_check_relation_label(ctx, e->relation));
		return false;
	}

	PgQuery__IndexStmt copy = *node->index_stmt;
	PgQuery__Node stmt = *node;
	bool fresh = !copy.if_not_exists;
	copy.concurrent = true;
	if (!copy.idxname || !*copy.idxname)
		copy.idxname =
		    (char *)default_index_name(&plan->arena, pgs_check_model(ctx), t, &copy);
	copy.if_not_exists = copy.idxname != NULL; /* IF NOT EXISTS needs a name */
	stmt.index_stmt = &copy;
	const char *table = pgs_check_relation_label(ctx, e->relation);
	pgs_plan_stage(
	    plan, PGS_STAGE_NON_TRANSACTIONAL,
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
	if (copy.idxname)
		pgs_plan_index_build(
		    plan, pgs_guard_sibling(&plan->arena, copy.relation, copy.idxname), fresh);
	else /* a run again builds a second index */
		plan->stages[plan->n_stages - 1].steps[0].rerun_safe = false;
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
		pgs_plan_note(plan, ctx,
			      "DROP INDEX ... CASCADE stays as written: CONCURRENTLY "
			      "does not support CASCADE");
		return false;
	}
	/* every index must be droppable concurrently, or the statement stays whole */
	for (size_t i = 0; i < ds->n_objects; i++) {
		const PgQuery__Node *obj = ds->objects[i];
		const char *key = pgs_model_key_of_dropped(model, obj);
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
		pgs_plan_stage(
		    plan, PGS_STAGE_NON_TRANSACTIONAL,
		    "drop the index without blocking reads and writes (DROP INDEX holds "
		    "ACCESS EXCLUSIVE on its table)",
		    "SHARE UPDATE EXCLUSIVE on the table, after waiting for transactions "
		    "using the index");
		pgs_plan_node(plan, ctx, &stmt);
		/* gone once it ran, when it was there before the migration history */
		const char *key = pgs_model_key_of_dropped(model, ds->objects[i]);
		struct pgs_index *ix = pgs_model_index(model, key);
		const char *name = ds->objects[i]->node_case == PG_QUERY__NODE__NODE_LIST
				       ? pgs_quote_relation(&plan->arena, key)
				       : NULL;
		if (!ds->missing_ok && name && (!ix || ix->created_in == 0))
			pgs_plan_marker(plan, pgs_guard_not(&plan->arena, pgs_guard_relation_exists(
									      &plan->arena, name)));
	}
	return true;
}

/* Whether the table has an exclusion constraint (its index can't be rebuilt concurrently). */
static bool has_exclusion(const struct pgs_table *t)
{
	for (size_t i = 0; t && i < t->n_constraints; i++)
		if (!t->constraints[i].dropped && t->constraints[i].kind == PGS_CON_EXCLUSION)
			return true;
	return false;
}

/* A system catalog: a schema of the system, or a pg_ name the history doesn't know. */
static bool is_catalog(const PgQuery__RangeVar *rv, bool known)
{
	const char *schema = rv->schemaname;

	if (schema && *schema)
		return strcmp(schema, "pg_catalog") == 0 || strcmp(schema, "pg_toast") == 0 ||
		       strcmp(schema, "information_schema") == 0;
	return !known && strncmp(rv->relname, "pg_", 3) == 0;
}

/* REINDEX SCHEMA / DATABASE / SYSTEM stay whole; say what they cost. */
static void note_whole_reindex(struct pgs_plan *plan, struct pgs_check *ctx,
			       const PgQuery__ReindexStmt *rs)
{
	if (rs->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM)
		pgs_plan_note(plan, ctx,
			      "REINDEX SYSTEM stays as written: system catalogs can't be "
			      "reindexed concurrently");
	else
		pgs_plan_note(
		    plan, ctx,
		    "REINDEX %s stays as written: it blocks writes to each table while it "
		    "rebuilds that table's indexes (REINDEX TABLE ... CONCURRENTLY per table "
		    "avoids that on PostgreSQL 12+)",
		    rs->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA ? "SCHEMA"
										     : "DATABASE");
}

/*
 * REINDEX [(VERBOSE)] TABLE|INDEX CONCURRENTLY name: PostgreSQL 12 and 13 know
 * CONCURRENTLY only there, not in the option list 14 brought (which the
 * deparser writes); their only option is VERBOSE.
 */
static const char *reindex_concurrently_12(struct pgs_arena *a, const PgQuery__ReindexStmt *rs)
{
	const PgQuery__RangeVar *rv = rs->relation;
	const char *name = pgs_quote_ident(a, rv->relname);

	if (rv->schemaname && *rv->schemaname)
		name = pgs_arena_printf(a, "%s.%s", pgs_quote_ident(a, rv->schemaname), name);
	return pgs_arena_printf(
	    a, "REINDEX %s%s CONCURRENTLY %s",
	    pgs_option_on(rs->params, rs->n_params, "verbose") ? "(VERBOSE) " : "",
	    rs->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE ? "TABLE" : "INDEX",
	    name);
}

bool pgs_rewrite_reindex(struct pgs_plan *plan, struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_REINDEX_STMT)
		return false;
	const PgQuery__ReindexStmt *rs = node->reindex_stmt;
	if (pgs_option_on(rs->params, rs->n_params, "concurrently"))
		return false;
	bool on_table = rs->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE;
	if (!on_table && rs->kind != PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX) {
		note_whole_reindex(plan, ctx, rs);
		return false;
	}
	const struct pgs_effect *e = pgs_check_main_effect(ctx);
	if (!rs->relation || !e || pgs_check_created_in_this_file(ctx, e->relation))
		return false;
	struct pgs_model *model = pgs_check_model(ctx);
	struct pgs_arena *a = &plan->arena;
	const char *key = pgs_model_key(model, rs->relation);
	struct pgs_index *ix = on_table ? NULL : pgs_model_index(model, key);
	struct pgs_table *t = on_table ? pgs_model_table(model, rs->relation)
			      : ix     ? pgs_strmap_get(&model->tables, ix->table)
				       : NULL;
	const char *what = pgs_check_relation_label(ctx, key);

	if (is_catalog(rs->relation, t != NULL)) {
		pgs_plan_note(plan, ctx,
			      "REINDEX %s stays as written: system catalogs can't be "
			      "reindexed concurrently",
			      what);
		return false;
	}
	if (pgs_check_pg_version(ctx) < 12) {
		pgs_plan_note(plan, ctx,
			      "REINDEX %s stays as written: CONCURRENTLY needs PostgreSQL 12",
			      what);
		return false;
	}
	if (t && t->kind == 'p') {
		/* through the parent, even CONCURRENTLY first takes SHARE on every
		 * partition (seen on PostgreSQL 15 in test_plan_proof) */
		pgs_plan_note(plan, ctx,
			      "REINDEX %s stays as written: through a partitioned table even "
			      "CONCURRENTLY locks every partition in SHARE (blocking writes) "
			      "first; run REINDEX TABLE CONCURRENTLY on each partition instead",
			      what);
		return false;
	}
	if (has_exclusion(t)) {
		/* REINDEX INDEX CONCURRENTLY fails on an exclusion constraint's index and
		 * REINDEX TABLE CONCURRENTLY skips it: either differs from the original */
		pgs_plan_note(plan, ctx,
			      "REINDEX %s stays as written: %s has an exclusion constraint, whose "
			      "index can't be rebuilt concurrently",
			      what, pgs_check_relation_label(ctx, t->key));
		return false;
	}

	const char *table = pgs_check_relation_label(ctx, e->relation);
	pgs_plan_stage(
	    plan, PGS_STAGE_NON_TRANSACTIONAL,
	    pgs_arena_printf(a,
			     "rebuild %s without blocking writes (REINDEX holds SHARE on "
			     "%s and ACCESS EXCLUSIVE on %s while it rebuilds)",
			     on_table ? pgs_arena_printf(a, "the indexes of %s", what) : what,
			     table, on_table ? "each index" : "the index"),
	    pgs_arena_printf(a,
			     "SHARE UPDATE EXCLUSIVE on %s and %s during the build: reads "
			     "and writes go on; a failed run leaves an INVALID *_ccnew "
			     "index to drop before retrying",
			     table, on_table ? "its indexes" : what));
	plan->stages[plan->n_stages - 1].cleanup =
	    pgs_guard_drop_reindex_leftovers(a, on_table ? pgs_guard_rel(a, rs->relation) : NULL,
					     on_table ? NULL : pgs_guard_rel(a, rs->relation));
	if (pgs_check_pg_version(ctx) >= 14) {
		PgQuery__ReindexStmt copy = *rs;
		PgQuery__Node stmt = *node;
		copy.n_params = rs->n_params + 1;
		copy.params = pgs_arena_array(a, copy.n_params, sizeof(*copy.params));
		if (rs->n_params)
			memcpy(copy.params, rs->params, rs->n_params * sizeof(*rs->params));
		copy.params[rs->n_params] = pgs_build_option(a, "concurrently");
		stmt.reindex_stmt = &copy;
		pgs_plan_node(plan, ctx, &stmt);
	} else {
		pgs_plan_sql(plan, ctx, reindex_concurrently_12(a, rs), false);
	}
	return true;
}
