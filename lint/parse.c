#include "lint/parse.h"

#include <string.h>

#include <pg_query.h>

#include "lint/lexer.h"

static struct pgs_stmt *new_stmt(struct pgs_parsed *out, struct pgs_arena *arena)
{
	return pgs_arena_push(arena, (void **)&out->stmts, &out->n_stmts, &out->cap,
			      sizeof(*out->stmts));
}

/* cursorpos counts characters (1-based) from the start of the parsed string. */
static uint32_t cursor_to_offset(const char *text, uint32_t from, uint32_t end, int cursorpos)
{
	uint32_t i = from;

	for (int chars = 1; chars < cursorpos && i < end; chars++) {
		i++;
		while (i < end && ((unsigned char)text[i] & 0xC0) == 0x80)
			i++;
	}
	return i;
}

static PgQuery__ParseResult *unpack(struct pgs_arena *arena, PgQueryProtobuf pbuf)
{
	ProtobufCAllocator alloc = pgs_arena_protobuf_allocator(arena);

	return pg_query__parse_result__unpack(&alloc, pbuf.len, (const uint8_t *)pbuf.data);
}

/* Whole-text fast path: true when the text parsed and its statements were added. */
static bool parse_whole(struct pgs_parsed *out, struct pgs_arena *arena, const char *text,
			uint32_t len)
{
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(text);
	bool ok = !r.error;

	if (ok) {
		PgQuery__ParseResult *tree = unpack(arena, r.parse_tree);

		for (size_t i = 0; tree && i < tree->n_stmts; i++) {
			PgQuery__RawStmt *raw = tree->stmts[i];
			uint32_t loc = (uint32_t)raw->stmt_location;
			uint32_t end = raw->stmt_len ? loc + (uint32_t)raw->stmt_len : len;
			struct pgs_stmt *s = new_stmt(out, arena);

			s->node = raw->stmt;
			s->raw_start = loc;
			s->span.start = pgs_skip_space_and_comments(text, loc, end);
			s->span.end = pgs_last_token_end(text, s->span.start, end);
		}
	}
	pg_query_free_protobuf_parse_result(r);
	return ok;
}

struct split_state {
	struct pgs_parsed *out;
	struct pgs_arena *arena;
	const char *text;
};

static void parse_chunk(void *data, const struct pgs_chunk *c)
{
	struct split_state *st = data;
	struct pgs_stmt *s = new_stmt(st->out, st->arena);
	char *sql = pgs_arena_strndup(st->arena, st->text + c->start, c->end - c->start);
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);

	s->raw_start = c->raw_start;
	s->span.start = c->start;
	s->span.end = c->end;
	s->base = c->start;
	if (r.error) {
		s->error = pgs_arena_strdup(st->arena, r.error->message);
		s->error_offset = r.error->cursorpos > 0
					  ? cursor_to_offset(st->text, c->start, c->end, r.error->cursorpos)
					  : c->start;
	} else {
		PgQuery__ParseResult *tree = unpack(st->arena, r.parse_tree);

		/* A chunk is one statement; the splitter and the parser agree on
		 * that except in odd cases, where the first statement stands for all. */
		if (tree && tree->n_stmts > 0)
			s->node = tree->stmts[0]->stmt;
		else
			st->out->n_stmts--; /* nothing but a lone semicolon-free comment */
	}
	pg_query_free_protobuf_parse_result(r);
}

void pgs_parse(struct pgs_parsed *out, struct pgs_arena *arena, const char *text, uint32_t len)
{
	size_t before = out->n_stmts;

	if (parse_whole(out, arena, text, len))
		return;
	out->n_stmts = before;

	struct split_state st = {out, arena, text};
	pgs_split(text, len, parse_chunk, &st);
}

uint32_t pgs_stmt_offset(const struct pgs_stmt *stmt, int32_t location)
{
	if (location < 0)
		return stmt->span.start;
	return stmt->base + (uint32_t)location;
}
