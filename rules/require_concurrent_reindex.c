#include "lint/rule.h"
#include "rules/rule_util.h"

/* Whether the REINDEX options name CONCURRENTLY at all (on or off). */
static bool names_concurrently(const PgQuery__ReindexStmt *rs)
{
	for (size_t i = 0; i < rs->n_params; i++)
		if (rs->params[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
		    strcmp(rs->params[i]->def_elem->defname, "concurrently") == 0)
			return true;
	return false;
}

/* An exclusion constraint's index: REINDEX CONCURRENTLY refuses (TABLE skips) it. */
static const struct pgs_constraint *exclusion_of(struct pgs_model *model, const char *table,
						 const char *index)
{
	struct pgs_table *t = pgs_strmap_get(&model->tables, table);

	for (size_t i = 0; t && i < t->n_constraints; i++) {
		const struct pgs_constraint *c = &t->constraints[i];
		if (!c->dropped && c->kind == PGS_CON_EXCLUSION && c->index &&
		    (!index || strcmp(c->index, index) == 0))
			return c;
	}
	return NULL;
}

/* A schema CREATE SCHEMA made earlier in the file (its tables are all new). */
struct new_schema {
	const char *name;
	struct new_schema *next;
};

static bool schema_is_new(struct pgs_check *ctx, const char *name)
{
	for (const struct new_schema *s = *pgs_check_state(ctx); s && name; s = s->next)
		if (strcmp(s->name, name) == 0)
			return true;
	return false;
}

static void remember_schema(struct pgs_check *ctx, const char *name)
{
	void **slot = pgs_check_state(ctx);
	struct new_schema *s = pgs_arena_alloc(pgs_check_arena(ctx), sizeof(*s));

	s->name = name;
	s->next = *slot;
	*slot = s;
}

/*
 * REINDEX SCHEMA / DATABASE / SYSTEM: PostgreSQL reindexes the tables one
 * after the other, each in a transaction of its own, under the locks of a
 * REINDEX TABLE; effects has no list of the tables, which the history may
 * not know anyway.
 */
static void reindex_many(struct pgs_check *ctx, const PgQuery__ReindexStmt *rs)
{
	bool schema = rs->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA;
	bool system = rs->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM;
	const char *what = schema ? "SCHEMA" : system ? "SYSTEM" : "DATABASE";
	const char *name = rs->name && *rs->name ? pgs_check_quote(ctx, rs->name) : NULL;
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	int pg = pgs_check_pg_version(ctx);
	struct pgs_diag *d;

	if (pgs_option_on(rs->params, rs->n_params, "concurrently") ||
	    (schema && schema_is_new(ctx, rs->name)))
		return;
	if (system) {
		d = pgs_report(ctx, span,
			       "REINDEX SYSTEM locks each system catalog in turn while it rebuilds "
			       "its indexes: new sessions, queries that look up the catalog and all "
			       "DDL wait");
		pgs_diag_note(ctx, d,
			      "each catalog is held in %s (DDL, which writes it, waits) and each of "
			      "its indexes in %s while it is rebuilt (lookups through it wait)",
			      pgs_lock_name(PGS_LOCK_SHARE), pgs_lock_name(PGS_LOCK_ACCESS_EXCLUSIVE));
		pgs_diag_note(ctx, d, "REINDEX SYSTEM can't run CONCURRENTLY: PostgreSQL refuses to "
				      "reindex system catalogs concurrently");
		pgs_diag_help(ctx, d, "keep REINDEX SYSTEM out of migrations: run it by hand in a "
				      "maintenance window");
		return;
	}
	d = pgs_report(ctx, span,
		       "REINDEX %s%s%s without CONCURRENTLY locks every table of the %s in turn: "
		       "writes to each, and nearly every query on it, wait while its indexes are "
		       "rebuilt",
		       what, name ? " " : "", name ? name : "", schema ? "schema" : "database");
	pgs_diag_note(ctx, d,
		      "each table is reindexed in a transaction of its own, holding %s on it (%s "
		      "wait) and %s on each index being rebuilt: the planner locks every index of "
		      "a table, so queries on it wait too",
		      pgs_lock_name(PGS_LOCK_SHARE), pgs_lock_blocks(PGS_LOCK_SHARE),
		      pgs_lock_name(PGS_LOCK_ACCESS_EXCLUSIVE));
	if (names_concurrently(rs))
		pgs_diag_note(ctx, d, "the CONCURRENTLY option is set to false here");
	if (pg < 12) {
		d->severity = PGS_SEV_INFO;
		pgs_diag_note(ctx, d, "REINDEX CONCURRENTLY needs PostgreSQL 12 or later");
		pgs_diag_help(ctx, d, "run it by hand in a maintenance window, not in a migration");
		return;
	}
	pgs_diag_help(ctx, d,
		      "use REINDEX %s CONCURRENTLY, alone and outside a transaction block (reads "
		      "and writes go on), or REINDEX TABLE CONCURRENTLY table by table; it skips "
		      "system catalogs and exclusion constraints' indexes, and a failure leaves "
		      "invalid _ccnew indexes to drop",
		      what);
	if (names_concurrently(rs))
		return; /* the edit would repeat the option: let the author change it */
	struct pgs_token kw = pgs_rules_find_word(pgs_check_text(ctx), span.start, span.end,
						  schema ? "schema" : "database");
	if (kw.kind == PGS_TOK_EOF)
		return;
	/* unsafe: the concurrent form skips what it can't rebuild (with a warning) */
	pgs_diag_fix(ctx, d, "add CONCURRENTLY", false);
	pgs_diag_edit(ctx, d, (struct pgs_span){kw.end, kw.end}, " CONCURRENTLY");
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case == PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT &&
	    node->create_schema_stmt->schemaname && !node->create_schema_stmt->if_not_exists)
		remember_schema(ctx, node->create_schema_stmt->schemaname);
	if (node->node_case != PG_QUERY__NODE__NODE_REINDEX_STMT)
		return;
	const PgQuery__ReindexStmt *rs = node->reindex_stmt;
	if (rs->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA ||
	    rs->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_DATABASE ||
	    rs->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM) {
		reindex_many(ctx, rs);
		return;
	}
	if (!rs->relation)
		return;
	bool is_index = rs->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX;
	if (!is_index && rs->kind != PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE)
		return;

	struct pgs_model *model = pgs_check_model(ctx);
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	const char *key = pgs_model_key(model, rs->relation);
	struct pgs_index *ix = is_index ? pgs_model_index(model, key) : NULL;
	const char *table = is_index ? (ix ? ix->table : NULL) : key;
	const struct pgs_effect *te = table ? pgs_effects_find(fx, table) : NULL;
	const struct pgs_effect *ie = is_index ? pgs_effects_find(fx, key) : NULL;
	/* the lock that says whether it is concurrent: the table's, else the index's */
	const struct pgs_effect *e = te ? te : ie;

	if (!e || e->lock <= PGS_LOCK_SHARE_UPDATE_EXCLUSIVE ||
	    (table && pgs_check_created_in_this_file(ctx, table)))
		return;

	int pg = pgs_check_pg_version(ctx);
	const char *what = is_index ? "INDEX" : "TABLE";
	const char *target = pgs_check_relation_label(ctx, key);
	const char *of = te ? pgs_check_relation_label(ctx, table) : "its table";
	struct pgs_diag *d;

	if (te)
		d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
			       "REINDEX %s %s without CONCURRENTLY blocks %s on %s until the "
			       "rebuild is done",
			       what, target, pgs_lock_blocks(te->lock), of);
	else
		d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
			       "REINDEX %s %s without CONCURRENTLY holds %s on the index until the "
			       "rebuild is done",
			       what, target, pgs_lock_name(ie->lock));
	if (te)
		pgs_diag_note_lock(ctx, d, te);
	if (is_index && ie)
		pgs_diag_note(ctx, d,
			      "takes %s on %s: the planner locks every index of a table, so "
			      "nearly every query on %s waits too",
			      pgs_lock_name(ie->lock), target, of);
	else if (!is_index) {
		/* the indexes the history knows have their own effects */
		const struct pgs_effect *index_lock = NULL;
		for (size_t i = 0; i < fx->n; i++)
			if (&fx->items[i] != te)
				index_lock = &fx->items[i];
		pgs_diag_note(ctx, d,
			      "%s%s each index of %s while it is rebuilt: the planner locks every "
			      "index of a table, so nearly every query on %s waits too",
			      index_lock ? "takes " : "locks",
			      index_lock ? pgs_arena_printf(pgs_check_arena(ctx), "%s on",
							    pgs_lock_name(index_lock->lock))
					 : "",
			      target, target);
	}
	if (names_concurrently(rs))
		pgs_diag_note(ctx, d, "the CONCURRENTLY option is set to false here");

	if (pg < 12) {
		d->severity = PGS_SEV_INFO;
		pgs_diag_note(ctx, d, "REINDEX CONCURRENTLY needs PostgreSQL 12 or later");
		pgs_diag_help(ctx, d,
			      "before 12, rebuild an index online by hand: CREATE INDEX "
			      "CONCURRENTLY a copy, DROP INDEX CONCURRENTLY the old one, and "
			      "rename the copy (not possible for a constraint's index)");
		return;
	}
	const struct pgs_constraint *excl =
		table ? exclusion_of(model, table, is_index ? key : NULL) : NULL;
	if (excl && is_index) {
		pgs_diag_note(ctx, d,
			      "%s backs exclusion constraint %s: PostgreSQL can't reindex it "
			      "concurrently",
			      target, pgs_check_quote(ctx, excl->name));
		pgs_diag_help(ctx, d, "there is no concurrent form for this index: set a short "
				      "lock_timeout and run it at a quiet time");
		return;
	}
	struct pgs_table *t = !is_index && table ? pgs_strmap_get(&model->tables, table) : NULL;
	bool partitioned = t && t->kind == 'p';
	if (partitioned) {
		pgs_diag_note(ctx, d,
			      "through a partitioned table even REINDEX CONCURRENTLY first takes "
			      "SHARE on every partition, which blocks writes while it waits");
		pgs_diag_help(ctx, d,
			      "run REINDEX TABLE CONCURRENTLY on each partition, alone and outside "
			      "a transaction block: reads and writes go on");
	} else {
		pgs_diag_help(ctx, d,
			      "use REINDEX %s CONCURRENTLY, alone and outside a transaction block; "
			      "it takes SHARE UPDATE EXCLUSIVE, so reads and writes go on (a failure "
			      "leaves an invalid _ccnew index to drop)",
			      what);
	}
	if (names_concurrently(rs))
		return; /* the edit would repeat the option: let the author change it */

	const char *text = pgs_check_text(ctx);
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	struct pgs_token kw = pgs_rules_find_word(text, span.start, span.end, is_index ? "index"
											   : "table");
	if (kw.kind == PGS_TOK_EOF)
		return;
	/* Inside a transaction block it fails; REINDEX TABLE CONCURRENTLY skips
	 * exclusion constraints' indexes. */
	pgs_diag_fix(ctx, d, "add CONCURRENTLY",
		     !pgs_check_txn(ctx)->active && !excl && !partitioned);
	pgs_diag_edit(ctx, d, (struct pgs_span){kw.end, kw.end}, " CONCURRENTLY");
}

const struct pgs_rule pgs_rule_require_concurrent_reindex = {
	.id = "M104",
	.name = "require-concurrent-reindex",
	.severity = PGS_SEV_WARNING,
	.summary = "REINDEX without CONCURRENTLY blocks writes to the table and locks its indexes",
	.docs = "## Problem\n\n"
		"`REINDEX INDEX` and `REINDEX TABLE` take a SHARE lock on the table (writes wait)\n"
		"and an ACCESS EXCLUSIVE lock on each index being rebuilt. The planner locks\n"
		"every index of a table when it plans a query on it, so in practice nearly\n"
		"every query on the table waits until the rebuild is done.\n"
		"`REINDEX (CONCURRENTLY false)` is a plain REINDEX.\n\n"
		"## Safe alternative\n\n"
		"From PostgreSQL 12, `REINDEX INDEX CONCURRENTLY` / `REINDEX TABLE CONCURRENTLY`\n"
		"(or `REINDEX (CONCURRENTLY) ...`) builds a new index next to the old one under\n"
		"SHARE UPDATE EXCLUSIVE and swaps them: reads and writes go on. It cannot run\n"
		"inside a transaction block, can't rebuild an exclusion constraint's index\n"
		"(`REINDEX TABLE CONCURRENTLY` skips them), and a failure leaves an invalid\n"
		"`_ccnew` index to drop.\n\n"
		"Before 12 there is no concurrent REINDEX: the finding is info, and the way\n"
		"around it is `CREATE INDEX CONCURRENTLY` of a copy, `DROP INDEX CONCURRENTLY`\n"
		"of the old index and a rename.\n\n"
		"Through a partitioned table (14+) even `REINDEX TABLE CONCURRENTLY` first\n"
		"takes SHARE on every partition; reindex each partition concurrently instead.\n\n"
		"`REINDEX SCHEMA` and `REINDEX DATABASE` reindex every table of the schema or\n"
		"database, one after the other, each under those locks: writes to each table\n"
		"and nearly every query on it wait while its indexes are rebuilt. From 12,\n"
		"`REINDEX SCHEMA CONCURRENTLY` / `REINDEX DATABASE CONCURRENTLY` (or `REINDEX\n"
		"TABLE CONCURRENTLY` table by table) let them go on; the concurrent forms skip\n"
		"system catalogs and exclusion constraints' indexes, with a warning. A schema\n"
		"created earlier in the same file is not flagged. `REINDEX SYSTEM` locks the\n"
		"system catalogs (new sessions, catalog lookups and DDL wait) and can't run\n"
		"CONCURRENTLY at all (PostgreSQL: \"cannot reindex system catalogs\n"
		"concurrently\"): keep it out of migrations.\n\n"
		"The fix adds CONCURRENTLY; it is unsafe inside a transaction block, on a\n"
		"partitioned table, and for SCHEMA / DATABASE (what the concurrent form skips\n"
		"is not rebuilt).\n",
	.example_bad = "REINDEX INDEX users_email_idx;",
	.example_good = "REINDEX INDEX CONCURRENTLY users_email_idx;",
	.check = check,
};
