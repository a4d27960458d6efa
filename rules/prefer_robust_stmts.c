#include "lint/rule.h"
#include "rules/rule_util.h"

#define MAX_DROPPED 32

/* Indexes dropped with IF EXISTS earlier in the file: a CREATE INDEX CONCURRENTLY of
 * the same name after such a DROP replaces an INVALID leftover on a re-run. */
struct state {
	const char *dropped[MAX_DROPPED];
	size_t n_dropped;
};

/* End of the first word token equal to kw in span, or 0 when there is none. */
static uint32_t after_word(const char *text, struct pgs_span span, const char *kw)
{
	struct pgs_token tok;

	for (uint32_t pos = span.start; pos < span.end;) {
		pos = pgs_lex(text, pos, span.end, &tok);
		if (pgs_token_is(text, &tok, kw))
			return tok.end;
	}
	return 0;
}

/* End of the n-th word token (1-based) in span, or 0. */
static uint32_t after_nth_word(const char *text, struct pgs_span span, int n)
{
	struct pgs_token tok;

	for (uint32_t pos = span.start; pos < span.end;) {
		pos = pgs_lex(text, pos, span.end, &tok);
		if (tok.kind == PGS_TOK_WORD && --n == 0)
			return tok.end;
	}
	return 0;
}

/* Whether a token spells the identifier name (unquoted: any case; quoted: exactly). */
static bool token_names(const char *text, const struct pgs_token *tok, const char *name)
{
	size_t n = strlen(name);

	if (tok->kind == PGS_TOK_WORD)
		return tok->end - tok->start == n && strncasecmp(text + tok->start, name, n) == 0;
	if (tok->kind == PGS_TOK_QUOTED)
		return tok->end - tok->start == n + 2 && strncmp(text + tok->start + 1, name, n) == 0;
	return false;
}

/* The next token after pos that is neither space nor comment. */
static uint32_t next_token(const char *text, uint32_t pos, uint32_t end, struct pgs_token *tok)
{
	pos = pgs_skip_space_and_comments(text, pos, end);
	tok->kind = PGS_TOK_EOF;
	tok->start = tok->end = pos;
	return pos < end ? pgs_lex(text, pos, end, tok) : pos;
}

/* In "DROP [COLUMN] column", the end of DROP or COLUMN; 0 when not found. */
static uint32_t after_drop_column(const char *text, struct pgs_span clause, const char *column)
{
	struct pgs_token tok, next;

	for (uint32_t pos = clause.start; pos < clause.end;) {
		pos = pgs_lex(text, pos, clause.end, &tok);
		if (!pgs_token_is(text, &tok, "drop"))
			continue;
		uint32_t at = tok.end, p = next_token(text, tok.end, clause.end, &next);
		if (pgs_token_is(text, &next, "column")) {
			at = next.end;
			next_token(text, p, clause.end, &next);
		}
		if (token_names(text, &next, column))
			return at;
	}
	return 0;
}

static const char *why(void)
{
	return "the file runs without a transaction here: when a later statement fails, this "
	       "one stays applied";
}

/*
 * Report a statement (or ALTER TABLE action) at span that lacks clause; the fix
 * inserts it at insert_at (0: no fix), after a keyword or, with before_name,
 * before the object's name.
 */
static void robust(struct pgs_check *ctx, struct pgs_span span, uint32_t insert_at,
		   const char *what, const char *clause, bool before_name)
{
	struct pgs_diag *d = pgs_report(ctx, span,
					"%s without %s: running the file again after a later "
					"statement failed stops here",
					what, clause);
	pgs_diag_note(ctx, d, "%s", why());
	pgs_diag_help(ctx, d,
		      "add %s, so that the file can simply be run again; or run the whole file "
		      "in one transaction",
		      clause);
	if (!insert_at)
		return;
	pgs_diag_fix(ctx, d, pgs_arena_printf(pgs_check_arena(ctx), "add %s", clause), true);
	pgs_diag_edit(ctx, d, (struct pgs_span){insert_at, insert_at},
		      pgs_arena_printf(pgs_check_arena(ctx), before_name ? "%s " : " %s", clause));
}

static const char *index_key(struct pgs_check *ctx, const PgQuery__IndexStmt *is)
{
	const char *schema = is->relation && is->relation->schemaname &&
					     *is->relation->schemaname
				     ? is->relation->schemaname
				     : "public";
	return pgs_arena_printf(pgs_check_arena(ctx), "%s.%s", schema, is->idxname);
}

static bool was_dropped(const struct state *st, const char *key)
{
	for (size_t i = 0; st && i < st->n_dropped; i++)
		if (strcmp(st->dropped[i], key) == 0)
			return true;
	return false;
}

/* CREATE INDEX CONCURRENTLY: a failed build leaves an INVALID index behind. */
static void concurrent_index(struct pgs_check *ctx, const PgQuery__IndexStmt *is,
			     const struct state *st)
{
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	struct pgs_diag *d;

	/* golang-migrate marks a failed migration dirty; it is never simply re-run */
	if (pgs_check_tool(ctx) == PGS_TOOL_GOLANG_MIGRATE)
		return;
	if (!is->idxname || !*is->idxname) {
		d = pgs_report(ctx, span,
			       "CREATE INDEX CONCURRENTLY without an index name: a re-run builds "
			       "another index, and a failed build leaves an INVALID one behind");
		pgs_diag_help(ctx, d, "name the index, and drop it with DROP INDEX CONCURRENTLY "
				      "IF EXISTS before building it");
		return;
	}
	const char *key = index_key(ctx, is);
	if (was_dropped(st, key))
		return;
	const char *name = pgs_check_quote(ctx, is->idxname);
	if (is->if_not_exists)
		d = pgs_report(ctx, span,
			       "CREATE INDEX CONCURRENTLY IF NOT EXISTS keeps an INVALID index %s "
			       "left by a failed build: a re-run then succeeds without building it",
			       name);
	else
		d = pgs_report(ctx, span,
			       "CREATE INDEX CONCURRENTLY %s can't simply be run again: a failed "
			       "build leaves an INVALID index of that name, and a re-run fails with "
			       "\"already exists\"",
			       name);
	pgs_diag_note(ctx, d,
		      "an INVALID index is not used by queries but is still updated by every "
		      "write; find leftovers with SELECT indexrelid::regclass FROM pg_index "
		      "WHERE NOT indisvalid");
	pgs_diag_help(ctx, d,
		      "put DROP INDEX CONCURRENTLY IF EXISTS %s before it, as a statement of its "
		      "own: a re-run then drops the leftover and builds the index again",
		      name);
}

static void remember_dropped(struct pgs_check *ctx, struct state *st, const PgQuery__DropStmt *ds)
{
	if (ds->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_INDEX || !ds->missing_ok)
		return;
	for (size_t i = 0; i < ds->n_objects && st->n_dropped < MAX_DROPPED; i++) {
		const PgQuery__Node *obj = ds->objects[i];
		const char *key = pgs_model_key_of_dropped(pgs_check_model(ctx), obj);
		if (key)
			st->dropped[st->n_dropped++] = key;
	}
}

/* Words of "DROP <kind>" before the object names, or 0 for kinds not checked. */
static int drop_words(const PgQuery__DropStmt *ds)
{
	switch (ds->remove_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		return 2;
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		return ds->concurrent ? 3 : 2;
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		return 3;
	default:
		return 0;
	}
}

static const char *first_object_name(struct pgs_check *ctx, const PgQuery__DropStmt *ds)
{
	if (!ds->n_objects || ds->objects[0]->node_case != PG_QUERY__NODE__NODE_LIST)
		return "";
	const PgQuery__List *l = ds->objects[0]->list;
	const char *name = l->n_items ? pgs_node_string(l->items[l->n_items - 1]) : NULL;
	return name ? pgs_check_quote(ctx, name) : "";
}

static void check(struct pgs_check *ctx)
{
	const PgQuery__Node *node = pgs_check_node(ctx);
	const char *text = pgs_check_text(ctx);
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	void **slot = pgs_check_state(ctx);
	struct state *st = *slot;
	/* the last statement needs no care: if it fails, nothing after it ran */
	bool more = pgs_check_stmts_after(ctx) > 0;

	if (pgs_check_txn(ctx)->active)
		return;
	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT: {
		const PgQuery__CreateStmt *cs = node->create_stmt;
		if (cs->if_not_exists || !more || !cs->relation ||
		    (cs->relation->relpersistence && cs->relation->relpersistence[0] == 't'))
			return;
		robust(ctx, span, after_word(text, span, "table"),
		       pgs_arena_printf(pgs_check_arena(ctx), "CREATE TABLE %s",
					pgs_check_quote(ctx, cs->relation->relname)),
		       "IF NOT EXISTS", false);
		break;
	}
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *is = node->index_stmt;
		if (is->concurrent) {
			concurrent_index(ctx, is, st);
			return;
		}
		if (!more || is->if_not_exists)
			return;
		if (!is->idxname || !*is->idxname) {
			struct pgs_diag *d = pgs_report(
				ctx, span,
				"CREATE INDEX without an index name: running the file again after a "
				"later statement failed builds a second, duplicate index");
			pgs_diag_note(ctx, d, "%s", why());
			pgs_diag_help(ctx, d, "name the index and add IF NOT EXISTS");
			return;
		}
		robust(ctx, span, after_word(text, span, "index"),
		       pgs_arena_printf(pgs_check_arena(ctx), "CREATE INDEX %s",
					pgs_check_quote(ctx, is->idxname)),
		       "IF NOT EXISTS", false);
		break;
	}
	case PG_QUERY__NODE__NODE_DROP_STMT: {
		const PgQuery__DropStmt *ds = node->drop_stmt;
		if (!st)
			st = *slot = pgs_arena_alloc(pgs_check_arena(ctx), sizeof(*st));
		remember_dropped(ctx, st, ds);
		int words = drop_words(ds);
		if (!words || ds->missing_ok || !more)
			return;
		const char *kind = pgs_rules_object_name(ds->remove_type);
		robust(ctx, span, after_nth_word(text, span, words),
		       pgs_arena_printf(pgs_check_arena(ctx), "DROP %s %s", kind,
					first_object_name(ctx, ds)),
		       "IF EXISTS", false);
		break;
	}
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: {
		const PgQuery__AlterTableStmt *as = node->alter_table_stmt;
		if (!more || as->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
			return;
		for (size_t i = 0; i < as->n_cmds; i++) {
			if (as->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
				continue;
			const PgQuery__AlterTableCmd *cmd = as->cmds[i]->alter_table_cmd;
			struct pgs_span clause = pgs_check_cmd_span(ctx, i);
			const char *column = NULL;
			bool add = cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn;

			if (cmd->missing_ok)
				continue;
			if (add && cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF)
				column = cmd->def->column_def->colname;
			else if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn)
				column = cmd->name;
			if (!column)
				continue;
			/* ADD: IF NOT EXISTS goes before the column name, which has a location */
			uint32_t at = add ? pgs_stmt_offset(pgs_check_stmt(ctx),
							    cmd->def->column_def->location)
					  : after_drop_column(text, clause, column);
			robust(ctx, clause, at,
			       pgs_arena_printf(pgs_check_arena(ctx), "%s %s",
						add ? "ADD COLUMN" : "DROP COLUMN",
						pgs_check_quote(ctx, column)),
			       add ? "IF NOT EXISTS" : "IF EXISTS", add);
		}
		break;
	}
	default:
		break;
	}
}

const struct pgs_rule pgs_rule_prefer_robust_stmts = {
	.id = "M308",
	.name = "prefer-robust-stmts",
	.severity = PGS_SEV_INFO,
	.summary = "outside a transaction, a statement that fails when the file is run again "
		   "after a partial failure",
	.docs = "## Problem\n\n"
		"A migration that runs outside a transaction (a plain SQL file without\n"
		"BEGIN, goose `NO TRANSACTION`, dbmate `transaction:false`, flyway\n"
		"`executeInTransaction=false`, `--no-transaction`) commits statement by\n"
		"statement. When one fails, the statements before it stay applied, and\n"
		"running the fixed file again stops at the first of them that can't run\n"
		"twice: `CREATE TABLE` or `CREATE INDEX` of something that now exists, `DROP\n"
		"TABLE` or `DROP INDEX` of something already gone, `ADD COLUMN` of a column\n"
		"that exists, `DROP COLUMN` of one that doesn't. Someone must then patch the\n"
		"database or the file by hand.\n\n"
		"pgstage reports those statements when they run outside a transaction and\n"
		"another statement follows them in the file (the last statement is safe: if\n"
		"it fails, it did not apply). Inside a transaction, explicit (BEGIN or START\n"
		"TRANSACTION) or the tool's, a failure rolls everything back and nothing is\n"
		"reported. Temporary tables are not reported. DROP VIEW, MATERIALIZED VIEW\n"
		"and SEQUENCE are checked like DROP TABLE.\n\n"
		"`CREATE INDEX CONCURRENTLY` always runs outside a transaction and needs more\n"
		"than IF NOT EXISTS: when the build fails (a lock timeout, a deadlock, a\n"
		"duplicate key in a UNIQUE index) it leaves an INVALID index of that name\n"
		"behind. A plain re-run then fails with \"already exists\"; with IF NOT EXISTS\n"
		"the re-run \"succeeds\" and silently keeps the INVALID index, which queries\n"
		"never use and every write still maintains. pgstage reports both forms unless\n"
		"a `DROP INDEX CONCURRENTLY IF EXISTS` of the same index comes first in the\n"
		"file. (golang-migrate is left out here: it marks a failed migration dirty\n"
		"and never simply re-runs it.)\n\n"
		"The severity is info: a re-runnable file is a convenience when a migration\n"
		"fails, not a safety property of the schema change.\n\n"
		"## Fix\n\n"
		"Add `IF NOT EXISTS` / `IF EXISTS` (the fix inserts it), or run the file in one\n"
		"transaction when nothing in it needs to run outside one. For an index built\n"
		"concurrently:\n\n"
		"    DROP INDEX CONCURRENTLY IF EXISTS orders_created_at_idx;\n"
		"    CREATE INDEX CONCURRENTLY orders_created_at_idx ON orders (created_at);\n",
	.example_bad = "CREATE TABLE invoices (id bigint PRIMARY KEY);\n"
		       "ALTER TABLE invoices ADD COLUMN total numeric;",
	.example_good = "CREATE TABLE IF NOT EXISTS invoices (id bigint PRIMARY KEY);\n"
			"ALTER TABLE invoices ADD COLUMN IF NOT EXISTS total numeric;",
	.check = check,
};
