#include "planner/deparse.h"

#include "core/quote.h"
#include "core/walk.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

/*
 * libpg_query 15's deparser writes constraint and index names unquoted
 * (ADD CONSTRAINT My FK ...): quote them beforehand, as PostgreSQL's
 * quote_identifier would. Only ever applied to a private copy of the tree.
 */
static bool quote_names(void *data, const PgQuery__Node *node)
{
	struct pgs_arena *arena = data;

	if (node->node_case == PG_QUERY__NODE__NODE_CONSTRAINT && node->constraint->conname &&
	    *node->constraint->conname)
		node->constraint->conname =
			(char *)pgs_quote_ident(arena, node->constraint->conname);
	else if (node->node_case == PG_QUERY__NODE__NODE_INDEX_STMT && node->index_stmt->idxname &&
		 *node->index_stmt->idxname)
		node->index_stmt->idxname = (char *)pgs_quote_ident(arena, node->index_stmt->idxname);
	return true;
}

static char *deparse_once(struct pgs_arena *arena, const PgQuery__Node *stmt,
			  struct pgs_error *err)
{
	PgQuery__RawStmt raw = PG_QUERY__RAW_STMT__INIT;
	PgQuery__RawStmt *raws[1] = {&raw};
	PgQuery__ParseResult result = PG_QUERY__PARSE_RESULT__INIT;

	raw.stmt = (PgQuery__Node *)stmt;
	result.version = PG_VERSION_NUM;
	result.n_stmts = 1;
	result.stmts = raws;

	size_t len = pg_query__parse_result__get_packed_size(&result);
	uint8_t *buf = pgs_xmalloc(len ? len : 1);
	pg_query__parse_result__pack(&result, buf);

	/* a private copy to fix names in, then packed again for the deparser */
	ProtobufCAllocator alloc = pgs_arena_protobuf_allocator(arena);
	PgQuery__ParseResult *copy = pg_query__parse_result__unpack(&alloc, len, buf);
	free(buf);
	if (!copy || copy->n_stmts != 1) {
		pgs_error_set(err, "cannot copy a planned statement");
		return NULL;
	}
	pgs_walk(copy->stmts[0]->stmt, quote_names, arena);
	len = pg_query__parse_result__get_packed_size(copy);
	buf = pgs_xmalloc(len ? len : 1);
	pg_query__parse_result__pack(copy, buf);
	PgQueryProtobuf pb = {.len = len, .data = (char *)buf};
	PgQueryDeparseResult r = pg_query_deparse_protobuf(pb);
	char *sql = NULL;

	if (r.error)
		pgs_error_set(err, "cannot write SQL for a planned statement: %s", r.error->message);
	else
		sql = pgs_arena_strdup(arena, r.query);
	pg_query_free_deparse_result(r);
	free(buf);
	return sql;
}

const char *pgs_deparse(struct pgs_arena *arena, const PgQuery__Node *stmt, struct pgs_error *err)
{
	char *sql = deparse_once(arena, stmt, err);

	if (!sql)
		return NULL;
	/* round trip: the SQL must parse, and deparse to the same text again */
	PgQueryProtobufParseResult p = pg_query_parse_protobuf(sql);
	const char *again = NULL;
	if (p.error) {
		pgs_error_set(err, "planned SQL does not parse (%s): %s", p.error->message, sql);
	} else {
		ProtobufCAllocator alloc = pgs_arena_protobuf_allocator(arena);
		PgQuery__ParseResult *tree = pg_query__parse_result__unpack(
			&alloc, p.parse_tree.len, (const uint8_t *)p.parse_tree.data);
		if (tree && tree->n_stmts == 1)
			again = deparse_once(arena, tree->stmts[0]->stmt, err);
		if (!again || strcmp(again, sql) != 0) {
			pgs_error_set(err, "planned SQL does not round-trip: %s", sql);
			again = NULL;
		}
	}
	pg_query_free_protobuf_parse_result(p);
	return again ? sql : NULL;
}
