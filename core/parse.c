#include "core/parse.h"

#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

#include "core/source.h"

#include "core/lexer.h"

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

/* Statements are parsed in batches of about this many bytes: one libpg_query
 * call per batch keeps its per-call cost low, and a bounded batch keeps its
 * internal memory and protobuf buffers small on huge schema dumps. */
#define BATCH_BYTES ((uint32_t)64 * 1024)

struct batcher {
	struct pgs_parsed *out;
	struct pgs_arena *arena;
	const char *text;
	struct pgs_chunk *chunks; /* the current batch */
	size_t n_chunks, cap_chunks;
	char *buf; /* NUL-terminated copy of the batch text (heap, reused) */
	size_t cap_buf;
	bool parser_used;
};

static void parse_error(struct pgs_stmt *s, struct pgs_arena *arena, const char *text,
			const PgQueryError *error)
{
	s->error = pgs_utf8_repair(arena, pgs_arena_strdup(arena, error->message));
	s->error_offset = error->cursorpos > 0
				  ? cursor_to_offset(text, s->span.start, s->span.end, error->cursorpos)
				  : s->span.start;
}

static const char *copy_range(struct batcher *b, uint32_t start, uint32_t end)
{
	size_t n = end - start;

	if (n + 1 > b->cap_buf) {
		b->cap_buf = (n + 1) * 2;
		b->buf = pgs_xrealloc(b->buf, b->cap_buf);
	}
	memcpy(b->buf, b->text + start, n);
	b->buf[n] = '\0';
	return b->buf;
}

/* One statement on its own: the fallback that pinpoints syntax errors. */
static void parse_one(struct batcher *b, const struct pgs_chunk *c)
{
	struct pgs_stmt *s = new_stmt(b->out, b->arena);
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(copy_range(b, c->start, c->end));

	s->raw_start = c->raw_start;
	s->span.start = c->start;
	s->span.end = c->end;
	s->base = c->start;
	if (r.error) {
		parse_error(s, b->arena, b->text, r.error);
	} else {
		PgQuery__ParseResult *tree = unpack(b->arena, r.parse_tree);

		/* The splitter and the parser agree on statement boundaries; if
		 * they ever don't, the first statement stands for the chunk. */
		if (tree && tree->n_stmts > 0)
			s->node = tree->stmts[0]->stmt;
		else
			b->out->n_stmts--;
	}
	pg_query_free_protobuf_parse_result(r);
}

/* Parse the batch in one call; when it has a syntax error, statement by statement. */
static void flush(struct batcher *b)
{
	if (b->n_chunks == 0)
		return;
	uint32_t start = b->chunks[0].start, end = b->chunks[b->n_chunks - 1].end;
	b->parser_used = true;
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(copy_range(b, start, end));
	PgQuery__ParseResult *tree = r.error ? NULL : unpack(b->arena, r.parse_tree);

	if (tree && tree->n_stmts == b->n_chunks) {
		for (size_t i = 0; i < tree->n_stmts; i++) {
			struct pgs_stmt *s = new_stmt(b->out, b->arena);

			s->node = tree->stmts[i]->stmt;
			s->raw_start = b->chunks[i].raw_start;
			s->span.start = b->chunks[i].start;
			s->span.end = b->chunks[i].end;
			s->base = start;
		}
	} else {
		for (size_t i = 0; i < b->n_chunks; i++)
			parse_one(b, &b->chunks[i]);
	}
	pg_query_free_protobuf_parse_result(r);
	b->n_chunks = 0;
}

static void add_chunk(void *data, const struct pgs_chunk *c)
{
	struct batcher *b = data;

	if (b->n_chunks && c->end - b->chunks[0].start > BATCH_BYTES)
		flush(b);
	if (b->n_chunks == b->cap_chunks) {
		b->cap_chunks = b->cap_chunks ? b->cap_chunks * 2 : 64;
		b->chunks = pgs_xrealloc(b->chunks, b->cap_chunks * sizeof(*b->chunks));
	}
	b->chunks[b->n_chunks++] = *c;
}

bool pgs_parse(struct pgs_parsed *out, struct pgs_arena *arena, const char *text, uint32_t len)
{
	struct batcher b = {.out = out, .arena = arena, .text = text};

	pgs_split(text, len, add_chunk, &b);
	flush(&b);
	free(b.chunks);
	free(b.buf);
	return b.parser_used;
}

uint32_t pgs_stmt_offset(const struct pgs_stmt *stmt, int32_t location)
{
	if (location < 0)
		return stmt->span.start;
	return stmt->base + (uint32_t)location;
}
