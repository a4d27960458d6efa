#include "core/lexer.h"
#include "lint/rule.h"
#include "rules/rule_util.h"

#define MAX_NAMED 16 /* indexes named in one message; more are counted */

/* The constraint an index backs (UNIQUE / PRIMARY KEY / EXCLUDE), or NULL. */
static const struct pgs_constraint *backed_constraint(struct pgs_model *model,
						      const struct pgs_index *ix)
{
	struct pgs_table *t = pgs_strmap_get(&model->tables, ix->table);

	for (size_t i = 0; t && i < t->n_constraints; i++)
		if (!t->constraints[i].dropped && t->constraints[i].index &&
		    strcmp(t->constraints[i].index, ix->key) == 0)
			return &t->constraints[i];
	return NULL;
}

static bool is_partitioned(struct pgs_model *model, const char *table)
{
	struct pgs_table *t = pgs_strmap_get(&model->tables, table);

	return t && t->kind == 'p';
}

/*
 * The fix for DROP INDEX a, b, ...: CONCURRENTLY takes one index, so one
 * statement per index. Edits: CONCURRENTLY after INDEX, and every comma
 * between the names becomes the end of a statement and the start of the next.
 */
static void split_fix(struct pgs_check *ctx, struct pgs_diag *d, const PgQuery__DropStmt *ds)
{
	const char *text = pgs_check_text(ctx);
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	struct pgs_token kw = pgs_rules_find_word(text, span.start, span.end, "index");
	const char *next = pgs_arena_printf(pgs_check_arena(ctx), ";%sDROP INDEX CONCURRENTLY %s",
					    pgs_rules_newline(ctx),
					    ds->missing_ok ? "IF EXISTS " : "");
	struct pgs_token tok;
	int depth = 0;

	pgs_diag_fix(ctx, d, "one DROP INDEX CONCURRENTLY per index", false);
	pgs_diag_edit(ctx, d, (struct pgs_span){kw.end, kw.end}, " CONCURRENTLY");
	for (uint32_t pos = kw.end; pos < span.end;) {
		pos = pgs_lex(text, pos, span.end, &tok);
		if (tok.kind == PGS_TOK_OPEN)
			depth++;
		else if (tok.kind == PGS_TOK_CLOSE)
			depth--;
		else if (depth == 0 && tok.kind == PGS_TOK_OTHER && text[tok.start] == ',') {
			uint32_t name = pgs_skip_space_and_comments(text, tok.end, span.end);
			pgs_diag_edit(ctx, d, (struct pgs_span){tok.start, name}, next);
		}
	}
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);

	if (node->node_case != PG_QUERY__NODE__NODE_DROP_STMT ||
	    node->drop_stmt->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_INDEX ||
	    node->drop_stmt->concurrent)
		return;
	const PgQuery__DropStmt *ds = node->drop_stmt;
	struct pgs_model *model = pgs_check_model(ctx);
	const struct pgs_effects *fx = pgs_check_effects(ctx);
	const char *names[MAX_NAMED], *tables[MAX_NAMED];
	size_t n_names = 0, n_tables = 0, n_flagged = 0;
	bool unknown_table = false, no_concurrent_form = false;
	const struct pgs_effect *lock = NULL; /* the table's, or the index's when unknown */

	for (size_t i = 0; i < ds->n_objects; i++) {
		const PgQuery__Node *obj = ds->objects[i];
		const char *key = pgs_model_key_of_dropped(model, obj);
		struct pgs_index *ix = key ? pgs_model_index(model, key) : NULL;
		if (!key || (ix && pgs_check_created_in_this_file(ctx, ix->table)))
			continue;
		const struct pgs_effect *e = pgs_effects_find(fx, ix ? ix->table : key);
		if (!e)
			continue;
		n_flagged++;
		if (!lock || e->lock > lock->lock)
			lock = e;
		if (n_names < MAX_NAMED)
			names[n_names++] = key;
		if (!ix) {
			unknown_table = true;
			continue;
		}
		bool seen = false;
		for (size_t k = 0; k < n_tables; k++)
			seen |= strcmp(tables[k], ix->table) == 0;
		if (!seen && n_tables < MAX_NAMED)
			tables[n_tables++] = ix->table;
	}
	if (!n_flagged || !pgs_lock_blocks(lock->lock))
		return;

	const char *index_list = pgs_rules_join_relations(ctx, names, n_names, false);
	const char *table_list = n_tables ? pgs_rules_join_relations(ctx, tables, n_tables, true) : "";
	const char *whose = !n_tables	       ? (n_flagged > 1 ? "their tables" : "its table")
			    : unknown_table ? pgs_arena_printf(pgs_check_arena(ctx),
							       "%s and the tables of the other indexes",
							       table_list)
					    : table_list;
	struct pgs_diag *d = pgs_report(ctx, pgs_check_stmt(ctx)->span,
					"DROP INDEX %s without CONCURRENTLY blocks %s on %s", index_list,
					pgs_lock_blocks(lock->lock), whose);

	if (n_tables) {
		for (size_t k = 0; k < n_tables; k++)
			pgs_diag_note_lock(ctx, d, pgs_effects_find(fx, tables[k]));
	}
	if (unknown_table)
		pgs_diag_note(ctx, d,
			      "takes %s on the %s of %s, which the migration history does not "
			      "show: blocks %s while held",
			      pgs_lock_name(lock->lock), n_flagged > 1 ? "tables" : "table",
			      n_tables ? "the other indexes" : index_list,
			      pgs_lock_blocks(lock->lock));
	pgs_diag_note(ctx, d,
		      "the drop itself is quick, but it first waits for every transaction that "
		      "has used the %s, and every query after it waits behind it",
		      n_flagged > 1 ? "tables" : "table");

	/* indexes DROP INDEX CONCURRENTLY refuses */
	const struct pgs_constraint *backing = NULL;
	const char *backing_table = NULL;
	for (size_t k = 0; k < n_names; k++) {
		struct pgs_index *ix = pgs_model_index(model, names[k]);
		const struct pgs_constraint *con = ix ? backed_constraint(model, ix) : NULL;
		if (con) {
			no_concurrent_form = true;
			backing = con;
			backing_table = ix->table;
			pgs_diag_note(ctx, d,
				      "%s backs constraint %s of %s: PostgreSQL refuses to drop it "
				      "with DROP INDEX, with or without CONCURRENTLY",
				      pgs_check_relation_label(ctx, names[k]),
				      pgs_check_quote(ctx, con->name),
				      pgs_check_relation_label(ctx, ix->table));
		} else if (ix && is_partitioned(model, ix->table)) {
			no_concurrent_form = true;
			pgs_diag_note(ctx, d,
				      "%s is an index of partitioned table %s: PostgreSQL can't drop "
				      "a partitioned index CONCURRENTLY",
				      pgs_check_relation_label(ctx, names[k]),
				      pgs_check_relation_label(ctx, ix->table));
		}
	}
	if (backing) {
		pgs_diag_help(ctx, d,
			      "drop the constraint instead (its index goes with it): ALTER TABLE %s "
			      "DROP CONSTRAINT %s; there is no concurrent form, so set a short "
			      "lock_timeout and retry",
			      pgs_check_relation_label(ctx, backing_table),
			      pgs_check_quote(ctx, backing->name));
		return;
	}
	if (no_concurrent_form) {
		pgs_diag_help(ctx, d,
			      "there is no concurrent form for a partitioned index: set a short "
			      "lock_timeout, retry, and run it at a quiet time");
		return;
	}
	if (ds->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) {
		pgs_diag_help(ctx, d,
			      "DROP INDEX CONCURRENTLY does not support CASCADE: drop the objects "
			      "that depend on the index first, then DROP INDEX CONCURRENTLY, alone "
			      "and outside a transaction block");
		return;
	}
	if (ds->n_objects > 1) {
		pgs_diag_help(ctx, d,
			      "DROP INDEX CONCURRENTLY takes one index: write one DROP INDEX "
			      "CONCURRENTLY per index, each outside a transaction block; they take "
			      "SHARE UPDATE EXCLUSIVE, so reads and writes go on");
		/* no longer atomic, and each needs to run outside a transaction block */
		split_fix(ctx, d, ds);
		return;
	}
	pgs_diag_help(ctx, d,
		      "use DROP INDEX CONCURRENTLY, alone and outside a transaction block; it "
		      "takes SHARE UPDATE EXCLUSIVE, so reads and writes go on while it waits for "
		      "the queries using the index");
	const char *text = pgs_check_text(ctx);
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	struct pgs_token kw = pgs_rules_find_word(text, span.start, span.end, "index");
	/* Inside a transaction block the fixed statement would fail. */
	pgs_diag_fix(ctx, d, "add CONCURRENTLY", !pgs_check_txn(ctx)->active);
	pgs_diag_edit(ctx, d, (struct pgs_span){kw.end, kw.end}, " CONCURRENTLY");
}

const struct pgs_rule pgs_rule_require_concurrent_index_deletion = {
	.id = "M103",
	.name = "require-concurrent-index-deletion",
	.severity = PGS_SEV_WARNING,
	.summary = "DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the index's table",
	.docs = "## Problem\n\n"
		"A plain `DROP INDEX` takes an ACCESS EXCLUSIVE lock on the index's table (and\n"
		"on the index). The drop itself is quick, but the lock must wait for every\n"
		"transaction that has touched the table, and while it waits every new query on\n"
		"the table, including plain SELECTs, queues behind it.\n\n"
		"## Safe alternative\n\n"
		"`DROP INDEX CONCURRENTLY` takes SHARE UPDATE EXCLUSIVE instead: reads and\n"
		"writes go on while it waits for the queries using the index. It has limits:\n\n"
		"- it cannot run inside a transaction block, so it must be the only statement of\n"
		"  a migration the tool runs without a transaction;\n"
		"- it drops one index per statement (`DROP INDEX CONCURRENTLY a, b` is an\n"
		"  error), so `DROP INDEX a, b` becomes one statement per index;\n"
		"- it does not support CASCADE;\n"
		"- it can't drop the index of a partitioned table.\n\n"
		"An index that backs a UNIQUE, PRIMARY KEY or EXCLUDE constraint can't be\n"
		"dropped with DROP INDEX at all: PostgreSQL says \"cannot drop index ... because\n"
		"constraint ... requires it\". Drop the constraint with `ALTER TABLE ... DROP\n"
		"CONSTRAINT` (ACCESS EXCLUSIVE, brief), with a short `lock_timeout`.\n\n"
		"The fix adds CONCURRENTLY; it is marked unsafe inside a transaction block (the\n"
		"statement would fail) and when it splits `DROP INDEX a, b` (no longer atomic).\n"
		"Indexes on tables created earlier in the same file are not flagged.\n",
	.example_bad = "DROP INDEX users_email_idx;",
	.example_good = "DROP INDEX CONCURRENTLY users_email_idx;",
	.check = check,
};
