/*
 * parse: libpg_query's protobuf parse tree for one file, unpacked into the
 * file's arena, as a list of statements with exact spans. A statement that
 * does not parse is kept, with the parser's message, and the statements
 * around it are still parsed.
 */
#ifndef PGS_PARSE_H
#define PGS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pg_query/pg_query.pb-c.h>

#include "core/arena.h"
#include "core/source.h"

struct pgs_stmt {
	PgQuery__Node *node;   /* NULL when the statement did not parse */
	struct pgs_span span;  /* first token to the end of the last token, no semicolon */
	uint32_t raw_start;    /* where the text since the previous statement begins */
	uint32_t base;         /* add to a node's location to get a source offset */
	const char *error;     /* the parser's message when node is NULL */
	uint32_t error_offset; /* source byte offset the error points at */
};

struct pgs_parsed {
	struct pgs_stmt *stmts;
	size_t n_stmts;
	size_t cap;
};

/*
 * Parse text[0..len) (NUL-terminated; offsets are those of the original
 * file, see pgs_sections_mask) and append its statements to out. Tries one
 * parse of the whole text first; on a syntax error it splits the text and
 * parses statement by statement. Cost is linear in len. Returns whether
 * libpg_query was called (text without statements never calls it).
 */
bool pgs_parse(struct pgs_parsed *out, struct pgs_arena *arena, const char *text, uint32_t len);

/* Source offset of a node location inside stmt (-1 locations give the statement start). */
uint32_t pgs_stmt_offset(const struct pgs_stmt *stmt, int32_t location);

#endif
