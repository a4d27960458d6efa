/*
 * strbuf: a string built by appending, kept in an arena. Its room doubles,
 * so n appends cost their total length; printf-ing the string so far into a
 * new one for each piece would cost the square of it.
 */
#ifndef PGS_STRBUF_H
#define PGS_STRBUF_H

#include <stddef.h>

#include "core/arena.h"

struct pgs_strbuf {
	struct pgs_arena *arena;
	char *s;
	size_t len, cap;
};

/* An empty string whose pieces will live in arena. */
void pgs_strbuf_init(struct pgs_strbuf *b, struct pgs_arena *arena);

/* Append s; with sep, put sep first unless the string is still empty. */
void pgs_strbuf_add(struct pgs_strbuf *b, const char *sep, const char *s);

/* The string so far ("" when nothing was added); valid until the next append. */
const char *pgs_strbuf_str(const struct pgs_strbuf *b);

#endif
