/*
 * rule_util: small helpers several rules share: what to call a statement in
 * a message, which statements are CONCURRENTLY forms, finding a keyword for a
 * fix, joining relation names for a message, whether a transaction goes on
 * after the statement, and where a fix can insert a new statement or a new
 * line without breaking the file's layout. Header-only (static inline) so
 * that every .c file in rules/ stays one rule.
 */
#ifndef PGS_RULE_UTIL_H
#define PGS_RULE_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/lexer.h"
#include "lint/rule.h"
#include "core/strbuf.h"

static inline const char *pgs_rules_object_name(PgQuery__ObjectType type)
{
	switch (type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		return "TABLE";
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		return "INDEX";
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
		return "VIEW";
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		return "MATERIALIZED VIEW";
	case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
		return "FOREIGN TABLE";
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		return "SEQUENCE";
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
		return "TYPE";
	case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
		return "TRIGGER";
	case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY:
		return "POLICY";
	case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
		return "RULE";
	default:
		return NULL;
	}
}

/* What a message calls the statement: "ALTER TABLE", "CREATE INDEX", ... */
static inline const char *pgs_rules_stmt_name(const PgQuery__Node *node)
{
	const char *obj;

	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		switch (node->alter_table_stmt->objtype) {
		case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
			return "ALTER INDEX";
		case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
			return "ALTER VIEW";
		case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
			return "ALTER MATERIALIZED VIEW";
		case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
			return "ALTER FOREIGN TABLE";
		case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
			return "ALTER SEQUENCE";
		default:
			return "ALTER TABLE";
		}
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		return node->index_stmt->concurrent ? "CREATE INDEX CONCURRENTLY" : "CREATE INDEX";
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		return "CREATE TABLE";
	case PG_QUERY__NODE__NODE_DROP_STMT:
		obj = pgs_rules_object_name(node->drop_stmt->remove_type);
		if (node->drop_stmt->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX &&
		    node->drop_stmt->concurrent)
			return "DROP INDEX CONCURRENTLY";
		if (!obj)
			return "DROP";
		return strcmp(obj, "TABLE") == 0	 ? "DROP TABLE"
		       : strcmp(obj, "INDEX") == 0	 ? "DROP INDEX"
		       : strcmp(obj, "VIEW") == 0	 ? "DROP VIEW"
		       : strcmp(obj, "TRIGGER") == 0 ? "DROP TRIGGER"
						      : "DROP";
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
		return "REINDEX";
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
		return "CLUSTER";
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		return node->vacuum_stmt->is_vacuumcmd ? "VACUUM" : "ANALYZE";
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT:
		return "TRUNCATE";
	case PG_QUERY__NODE__NODE_LOCK_STMT:
		return "LOCK TABLE";
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
		return "CREATE TRIGGER";
	case PG_QUERY__NODE__NODE_RULE_STMT:
		return "CREATE RULE";
	case PG_QUERY__NODE__NODE_CREATE_POLICY_STMT:
		return "CREATE POLICY";
	case PG_QUERY__NODE__NODE_ALTER_POLICY_STMT:
		return "ALTER POLICY";
	case PG_QUERY__NODE__NODE_CREATE_STATS_STMT:
		return "CREATE STATISTICS";
	case PG_QUERY__NODE__NODE_COMMENT_STMT:
		return "COMMENT";
	case PG_QUERY__NODE__NODE_RENAME_STMT:
		return node->rename_stmt->relation ? "ALTER TABLE ... RENAME" : "RENAME";
	case PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT:
		return "ALTER ... SET SCHEMA";
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		return node->view_stmt->replace ? "CREATE OR REPLACE VIEW" : "CREATE VIEW";
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		return node->create_table_as_stmt->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW
			       ? "CREATE MATERIALIZED VIEW"
			       : "CREATE TABLE AS";
	case PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT:
		return "REFRESH MATERIALIZED VIEW";
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT:
		return "ALTER TYPE";
	case PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT:
		return "ALTER DOMAIN";
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
		return "UPDATE";
	case PG_QUERY__NODE__NODE_DELETE_STMT:
		return "DELETE";
	case PG_QUERY__NODE__NODE_INSERT_STMT:
		return "INSERT";
	case PG_QUERY__NODE__NODE_MERGE_STMT:
		return "MERGE";
	case PG_QUERY__NODE__NODE_SELECT_STMT:
		return "SELECT";
	default:
		return "the statement";
	}
}


/*
 * The CONCURRENTLY forms that must run outside a transaction block: CREATE /
 * DROP INDEX, REINDEX and DETACH PARTITION. They wait for other transactions
 * in several phases; a short lock_timeout there can leave an INVALID index
 * or a half-detached partition behind.
 */
static inline bool pgs_rules_is_concurrently(const PgQuery__Node *node)
{
	switch (node->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		return node->index_stmt->concurrent;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return node->drop_stmt->concurrent;
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
		return pgs_option_on(node->reindex_stmt->params, node->reindex_stmt->n_params,
					   "concurrently");
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		for (size_t i = 0; i < node->alter_table_stmt->n_cmds; i++) {
			const PgQuery__Node *c = node->alter_table_stmt->cmds[i];
			if (c->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
				continue;
			const PgQuery__AlterTableCmd *cmd = c->alter_table_cmd;
			if (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition && cmd->def &&
			    cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
			    cmd->def->partition_cmd->concurrent)
				return true;
		}
		return false;
	default:
		return false;
	}
}

/* Whether a lock mode blocks the application's writes (SHARE or stronger). */
static inline bool pgs_rules_blocks_writes(enum pgs_lock lock)
{
	return pgs_lock_conflicts(lock, PGS_LOCK_ROW_EXCLUSIVE);
}

/* Whether a lock mode blocks plain SELECTs (ACCESS EXCLUSIVE only). */
static inline bool pgs_rules_blocks_reads(enum pgs_lock lock)
{
	return pgs_lock_conflicts(lock, PGS_LOCK_ACCESS_SHARE);
}

/*
 * Whether an effect is on a table that existed before this file: not created
 * earlier in the file, and not created by the statement itself (effects mark
 * a relation the statement creates as new while the model doesn't know it
 * yet). Tables pgstage has never seen count as existing.
 */
static inline bool pgs_rules_is_existing(struct pgs_check *ctx, const struct pgs_effect *e)
{
	if (pgs_check_created_in_this_file(ctx, e->relation))
		return false;
	return !e->is_new || pgs_strmap_get(&pgs_check_model(ctx)->tables, e->relation);
}

/*
 * The line ending the file uses: the one ending the line that holds offset
 * at, or else the first one in the file; "\n" when the text has none. Found
 * with the line map: searching the text could cost the whole file per call.
 */
static inline const char *pgs_rules_eol(const struct pgs_check *ctx, uint32_t at)
{
	const char *text = pgs_check_text(ctx);
	uint32_t end = pgs_check_line(ctx, pgs_check_pos(ctx, at).line).end;

	if (!text[end])
		end = pgs_check_line(ctx, 1).end;
	return text[end] == '\r' && text[end + 1] == '\n' ? "\r\n" : "\n";
}

/* Whether text[from, to) holds only spaces and tabs (and a CR). */
static inline bool pgs_rules_blank(const char *text, uint32_t from, uint32_t to)
{
	for (uint32_t i = from; i < to; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r')
			return false;
	return true;
}

/* Offset of word in text[from, to), or -1. */
static inline int64_t pgs_rules_find(const char *text, uint32_t from, uint32_t to, const char *word)
{
	size_t n = strlen(word);

	for (uint32_t i = from; i + n <= to; i++)
		if (memcmp(text + i, word, n) == 0)
			return i;
	return -1;
}

/* Where a new statement goes so that it runs just before stmt. */
struct pgs_rules_insertion {
	uint32_t at;
	bool on_own_line; /* insert "NEW;" + eol at a line start; else "NEW; " before stmt */
};

/*
 * The place for a new statement just before stmt: the start of stmt's line,
 * above the "--" comment lines directly over it (they describe it, and a
 * pgstage-ignore among them must stay with it; a blank line ends them, so a
 * file's header comment stays on top). A goose StatementBegin above the
 * statement is passed too; other tool annotations stop the walk, so the new
 * statement stays in the same section. When something else precedes stmt on
 * its line, the place is stmt itself. text is pgs_check_text (parts of other
 * sections are blanked).
 */
static inline struct pgs_rules_insertion pgs_rules_insert_before(const char *text,
								  const struct pgs_stmt *stmt)
{
	uint32_t s = stmt->span.start, p = s;

	/* back over blanks only: a long line before the statement is not walked */
	while (p > 0 && (text[p - 1] == ' ' || text[p - 1] == '\t' || text[p - 1] == '\r'))
		p--;
	if (p > 0 && text[p - 1] != '\n')
		return (struct pgs_rules_insertion){s, false};
	while (p > 0) {
		uint32_t end = p - 1, q = end; /* end: the previous line's '\n' */

		while (q > 0 && text[q - 1] != '\n')
			q--;
		uint32_t line = q;
		while (q < end && (text[q] == ' ' || text[q] == '\t'))
			q++;
		if (q + 1 >= end || text[q] != '-' || text[q + 1] != '-')
			break;
		int64_t goose = pgs_rules_find(text, q, end, "+goose");
		if (goose >= 0 && strncasecmp(text + goose + 6, " StatementBegin", 15) != 0)
			break;
		if (pgs_rules_find(text, q, end, "migrate:") >= 0)
			break;
		p = line;
	}
	/* the first line may start with a BOM, blanked to spaces in text */
	if (p == 0)
		while (text[p] == ' ' || text[p] == '\t')
			p++;
	return (struct pgs_rules_insertion){p, true};
}

/*
 * Offset just after the semicolon that ends a statement ending at end (its
 * span end), or end itself when no semicolon follows.
 */
static inline uint32_t pgs_rules_after_semicolon(const char *text, uint32_t end)
{
	uint32_t len = (uint32_t)strlen(text + end) + end;
	uint32_t p = pgs_skip_space_and_comments(text, end, len);

	return p < len && text[p] == ';' ? p + 1 : end;
}

/*
 * The first word token equal to kw (case-insensitive) outside parentheses
 * in text[from..to), or a token of kind PGS_TOK_EOF at `to` when there is none.
 */
static inline struct pgs_token pgs_rules_find_word(const char *text, uint32_t from, uint32_t to,
						  const char *kw)
{
	struct pgs_token tok;
	int depth = 0;

	for (uint32_t pos = from; pos < to;) {
		pos = pgs_lex(text, pos, to, &tok);
		if (tok.kind == PGS_TOK_OPEN)
			depth++;
		else if (tok.kind == PGS_TOK_CLOSE)
			depth--;
		else if (depth == 0 && pgs_token_is(text, &tok, kw))
			return tok;
	}
	tok.kind = PGS_TOK_EOF;
	tok.start = tok.end = to;
	return tok;
}

/* The next token after pos that is not space or a comment (EOF at `to`). */
static inline struct pgs_token pgs_rules_next_token(const char *text, uint32_t pos, uint32_t to)
{
	struct pgs_token tok;

	pos = pgs_skip_space_and_comments(text, pos, to);
	if (pos >= to) {
		tok.kind = PGS_TOK_EOF;
		tok.start = tok.end = to;
		return tok;
	}
	pgs_lex(text, pos, to, &tok);
	return tok;
}

/*
 * SQL-quoted labels of "schema.name" keys joined for a message: "a", "a and b",
 * "a, b and c" with and_words; "a, b, c" (as in SQL) without.
 */
static inline const char *pgs_rules_join_relations(struct pgs_check *ctx, const char *const *keys,
						  size_t n, bool and_words)
{
	struct pgs_strbuf out;

	pgs_strbuf_init(&out, pgs_check_arena(ctx));
	for (size_t i = 0; i < n; i++)
		pgs_strbuf_add(&out, i + 1 == n && and_words ? " and " : ", ",
			       pgs_check_relation_label(ctx, keys[i]));
	return pgs_strbuf_str(&out);
}

/*
 * Whether the transaction the statement runs in goes on after it: another
 * statement follows before COMMIT / END / ROLLBACK / the end of the text the
 * tool runs. False outside a transaction.
 */
static inline bool pgs_rules_txn_goes_on(const struct pgs_check *ctx)
{
	const char *text = pgs_check_text(ctx);
	uint32_t to = pgs_check_text_len(ctx);
	uint32_t pos = pgs_check_stmt(ctx)->span.end;
	struct pgs_token tok;

	if (!pgs_check_txn(ctx)->active)
		return false;
	for (;;) {
		tok = pgs_rules_next_token(text, pos, to);
		if (tok.kind != PGS_TOK_SEMICOLON)
			break;
		pos = tok.end;
	}
	if (tok.kind == PGS_TOK_EOF)
		return false;
	return !pgs_token_is(text, &tok, "commit") && !pgs_token_is(text, &tok, "end") &&
	       !pgs_token_is(text, &tok, "rollback") && !pgs_token_is(text, &tok, "abort");
}

/*
 * Line break the file uses, for fixes that add lines: looked up next to the
 * statement (pgs_rules_eol), not by searching the whole file for each fix.
 */
static inline const char *pgs_rules_newline(const struct pgs_check *ctx)
{
	const struct pgs_stmt *stmt = pgs_check_stmt(ctx);

	return pgs_rules_eol(ctx, stmt ? stmt->span.start : 0);
}

#endif
