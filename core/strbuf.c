#include "core/strbuf.h"

#include <string.h>

void pgs_strbuf_init(struct pgs_strbuf *b, struct pgs_arena *arena)
{
	b->arena = arena;
	b->s = NULL;
	b->len = b->cap = 0;
}

static void append(struct pgs_strbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (b->len + n + 1 > cap)
			cap *= 2;
		b->s = pgs_arena_regrow(b->arena, b->s, b->len, cap, 1);
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

void pgs_strbuf_add(struct pgs_strbuf *b, const char *sep, const char *s)
{
	if (sep && b->len)
		append(b, sep);
	append(b, s);
}

const char *pgs_strbuf_str(const struct pgs_strbuf *b)
{
	return b->s ? b->s : "";
}
