#include "core/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Blocks of at least 64 KiB keep the block count small for big dumps. */
#define BLOCK_MIN ((size_t)64 * 1024)
#define ALIGN ((size_t)16)

struct pgs_arena_block {
	struct pgs_arena_block *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

static void out_of_memory(size_t n)
{
	fprintf(stderr, "pgstage: out of memory allocating %zu bytes\n", n);
	abort();
}

void *pgs_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		out_of_memory(n);
	return p;
}

void *pgs_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		out_of_memory(n);
	return q;
}

char *pgs_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(pgs_xmalloc(n), s, n);
}

void pgs_arena_init(struct pgs_arena *arena)
{
	arena->head = NULL;
	arena->used = 0;
}

void pgs_arena_release(struct pgs_arena *arena)
{
	struct pgs_arena_block *b = arena->head;

	while (b) {
		struct pgs_arena_block *next = b->next;

		free(b);
		b = next;
	}
	pgs_arena_init(arena);
}

void *pgs_arena_alloc(struct pgs_arena *arena, size_t n)
{
	struct pgs_arena_block *b = arena->head;
	size_t need = (n + ALIGN - 1) & ~(ALIGN - 1);

	if (need < n)
		out_of_memory(n);
	if (!b || b->size - b->used < need) {
		size_t size = need > BLOCK_MIN ? need : BLOCK_MIN;

		if (size > SIZE_MAX - sizeof(*b))
			out_of_memory(n);
		b = pgs_xmalloc(sizeof(*b) + size);
		b->size = size;
		b->used = 0;
		/* A huge one-off block goes behind the current one so the
		 * current block's free space is still used. */
		if (arena->head && need > BLOCK_MIN) {
			b->next = arena->head->next;
			arena->head->next = b;
		} else {
			b->next = arena->head;
			arena->head = b;
		}
	}
	void *p = b->data + b->used;
	b->used += need;
	arena->used += need;
	memset(p, 0, n);
	return p;
}

void *pgs_arena_array(struct pgs_arena *arena, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		out_of_memory(SIZE_MAX);
	return pgs_arena_alloc(arena, count * size);
}

void *pgs_arena_regrow(struct pgs_arena *arena, void *old, size_t old_count, size_t new_count,
		       size_t size)
{
	void *p = pgs_arena_array(arena, new_count, size);

	if (old && old_count)
		memcpy(p, old, old_count * size);
	return p;
}

void *pgs_arena_push(struct pgs_arena *arena, void **items, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t grown = *cap ? *cap * 2 : 8;

		*items = pgs_arena_regrow(arena, *items, *n, grown, size);
		*cap = grown;
	}
	/* the slot may have been used before: callers shrink *n to drop items */
	void *slot = (unsigned char *)*items + (*n)++ * size;
	memset(slot, 0, size);
	return slot;
}

char *pgs_arena_strndup(struct pgs_arena *arena, const char *s, size_t n)
{
	char *p = pgs_arena_alloc(arena, n + 1);

	memcpy(p, s, n);
	return p;
}

char *pgs_arena_strdup(struct pgs_arena *arena, const char *s)
{
	return pgs_arena_strndup(arena, s, strlen(s));
}

char *pgs_arena_vprintf(struct pgs_arena *arena, const char *fmt, va_list ap)
{
	va_list copy;
	char small[256];

	va_copy(copy, ap);
	int n = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (n < 0)
		n = 0;
	char *p = pgs_arena_alloc(arena, (size_t)n + 1);
	if ((size_t)n < sizeof(small))
		memcpy(p, small, (size_t)n + 1);
	else
		vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *pgs_arena_printf(struct pgs_arena *arena, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *p = pgs_arena_vprintf(arena, fmt, ap);
	va_end(ap);
	return p;
}

static void *protobuf_alloc(void *data, size_t size)
{
	return pgs_arena_alloc(data, size);
}

static void protobuf_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

ProtobufCAllocator pgs_arena_protobuf_allocator(struct pgs_arena *arena)
{
	ProtobufCAllocator a = {.alloc = protobuf_alloc, .free = protobuf_free, .allocator_data = arena};

	return a;
}
