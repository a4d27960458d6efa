/*
 * VACUUM FULL t and CLUSTER t [USING i] rewrite the table under ACCESS
 * EXCLUSIVE. From PostgreSQL 19, REPACK (CONCURRENTLY) t [USING INDEX [i]]
 * does the same rewrite under SHARE UPDATE EXCLUSIVE, taking ACCESS
 * EXCLUSIVE only to swap the files at the end. Planned so, alone outside a
 * transaction block, where its documentation allows it: a plain table (not
 * partitioned, unlogged or temporary) with a primary key.
 *
 * What pgstage knows of 19 comes from its documentation: the note says so,
 * until a 19 server can prove it here.
 */
#include <string.h>

#include "core/quote.h"
#include "lint/rule.h"
#include "planner/guard.h"
#include "planner/plan.h"

/* The options of VACUUM / CLUSTER, all plain (no value) and among allowed; VERBOSE in *verbose. */
static bool plain_options(PgQuery__Node **opts, size_t n, const char *const *allowed,
			  size_t n_allowed, bool *verbose, bool *full)
{
	for (size_t i = 0; i < n; i++) {
		if (opts[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM || opts[i]->def_elem->arg)
			return false;
		const char *name = opts[i]->def_elem->defname;
		bool known = false;
		for (size_t k = 0; k < n_allowed && !known; k++)
			known = strcmp(name, allowed[k]) == 0;
		if (!known)
			return false;
		*verbose |= strcmp(name, "verbose") == 0;
		*full |= strcmp(name, "full") == 0;
	}
	return true;
}

/* Why REPACK (CONCURRENTLY) can't take the table, or NULL. */
static const char *not_repackable(struct pgs_model *model, const struct pgs_table *t)
{
	if (!t)
		return "the migration history does not show the table";
	if (t->kind == 'p')
		return "the table is partitioned";
	if (t->kind != 'r' || t->unlogged || t->temporary)
		return "the table is not a plain logged table";
	for (size_t i = 0; i < t->n_constraints; i++)
		if (!t->constraints[i].dropped && t->constraints[i].kind == PGS_CON_PRIMARY_KEY)
			return NULL;
	(void)model;
	return "the table has no primary key (REPACK (CONCURRENTLY) needs one, or a replica "
	       "identity index)";
}

bool pgs_rewrite_repack(struct pgs_plan *plan, struct pgs_check *ctx)
{
	static const char *const vacuum_opts[] = {"full", "verbose"};
	static const char *const cluster_opts[] = {"verbose"};
	const PgQuery__Node *node = pgs_check_node(ctx);
	PgQuery__RangeVar *rel = NULL;
	const char *index = NULL;
	bool verbose = false, full = false, cluster = false;

	if (pgs_check_pg_version(ctx) < 19)
		return false;
	if (node->node_case == PG_QUERY__NODE__NODE_VACUUM_STMT) {
		const PgQuery__VacuumStmt *vs = node->vacuum_stmt;
		if (!vs->is_vacuumcmd || vs->n_rels != 1 ||
		    vs->rels[0]->node_case != PG_QUERY__NODE__NODE_VACUUM_RELATION ||
		    vs->rels[0]->vacuum_relation->n_va_cols ||
		    !plain_options(vs->options, vs->n_options, vacuum_opts, 2, &verbose, &full) ||
		    !full)
			return false;
		rel = vs->rels[0]->vacuum_relation->relation;
	} else if (node->node_case == PG_QUERY__NODE__NODE_CLUSTER_STMT) {
		const PgQuery__ClusterStmt *cs = node->cluster_stmt;
		if (!cs->relation ||
		    !plain_options(cs->params, cs->n_params, cluster_opts, 1, &verbose, &full))
			return false;
		rel = cs->relation;
		index = cs->indexname && *cs->indexname ? cs->indexname : NULL;
		cluster = true;
	} else {
		return false;
	}
	if (!rel)
		return false;
	struct pgs_arena *a = &plan->arena;
	struct pgs_model *model = pgs_check_model(ctx);
	struct pgs_table *t = pgs_model_table(model, rel);
	if (t && pgs_check_created_in_this_file(ctx, t->key))
		return false;
	const char *table = pgs_check_relation_label(ctx, t ? t->key : pgs_model_key(model, rel));
	const char *why = not_repackable(model, t);
	if (why) {
		pgs_plan_note(plan, ctx,
			      "%s stays as written: REPACK (CONCURRENTLY) can't take %s because %s",
			      cluster ? "CLUSTER" : "VACUUM FULL", table, why);
		return false;
	}

	const char *rel_sql = pgs_guard_rel(a, rel);
	const char *sql = pgs_arena_printf(a, "REPACK (CONCURRENTLY%s) %s%s%s",
					   verbose ? ", VERBOSE" : "", rel_sql,
					   cluster ? " USING INDEX" : "",
					   index ? pgs_arena_printf(a, " %s", pgs_quote_ident(a, index))
						 : "");
	pgs_plan_stage(plan, PGS_STAGE_NON_TRANSACTIONAL,
		       pgs_arena_printf(a,
					"rewrite %s%s without blocking reads or writes (PostgreSQL "
					"19: REPACK (CONCURRENTLY) in place of %s)",
					table, cluster ? " in index order" : "",
					cluster ? "CLUSTER" : "VACUUM FULL"),
		       pgs_arena_printf(a,
					"SHARE UPDATE EXCLUSIVE on %s while it copies the table; "
					"ACCESS EXCLUSIVE briefly at the end to swap the files",
					table));
	/* a plain VACUUM does to pgstage's model what it does: a weak lock, no rewrite */
	pgs_plan_sql_stand_in(plan, ctx, sql, pgs_arena_printf(a, "VACUUM %s", rel_sql));
	pgs_plan_note(plan, ctx,
		      "REPACK (CONCURRENTLY) of %s, from the PostgreSQL 19 documentation (no 19 "
		      "server proves it here yet): it needs wal_level replica or higher and a "
		      "free slot under max_repack_replication_slots, can't run in a transaction "
		      "block, takes ACCESS EXCLUSIVE at the end to swap the files (queued behind "
		      "long transactions, and applying the changes made meanwhile), fails when "
		      "other DDL runs on the table during it, and is not MVCC-safe",
		      table);
	return true;
}
