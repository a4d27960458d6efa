/*
 * arena: a bump allocator that owns everything made while linting one input
 * file (its text, parse tree, diagnostics, plan). Released in one call.
 *
 * Allocation never fails: running out of memory aborts the process, so no
 * caller checks for NULL.
 */
#ifndef PGS_ARENA_H
#define PGS_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct pgs_arena_block;

struct pgs_arena {
	struct pgs_arena_block *head; /* newest block first */
	size_t used;                  /* bytes handed out, for benchmarks */
};

/* Prepare an empty arena; it allocates nothing until first used. */
void pgs_arena_init(struct pgs_arena *arena);

/* Free every block; the arena is empty and reusable afterwards. */
void pgs_arena_release(struct pgs_arena *arena);

/* Zeroed memory for n bytes, aligned for any type; lives until release. */
void *pgs_arena_alloc(struct pgs_arena *arena, size_t n);

/* Zeroed array of count elements of size bytes; aborts on overflow. */
void *pgs_arena_array(struct pgs_arena *arena, size_t count, size_t size);

/*
 * Grow an arena array from old_count to new_count elements, copying the old
 * contents; the old block stays allocated until release (amortised by
 * doubling in pgs_arena_push).
 */
void *pgs_arena_regrow(struct pgs_arena *arena, void *old, size_t old_count, size_t new_count,
		       size_t size);

/*
 * Make room for one more element in *items (count *n, capacity *cap) and
 * return a pointer to the new, zeroed slot; *n is incremented.
 */
void *pgs_arena_push(struct pgs_arena *arena, void **items, size_t *n, size_t *cap, size_t size);

char *pgs_arena_strdup(struct pgs_arena *arena, const char *s);
char *pgs_arena_strndup(struct pgs_arena *arena, const char *s, size_t n);
char *pgs_arena_printf(struct pgs_arena *arena, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *pgs_arena_vprintf(struct pgs_arena *arena, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * A protobuf-c allocator that takes memory from the arena; its free does
 * nothing, so unpacked messages are never freed one by one.
 */
ProtobufCAllocator pgs_arena_protobuf_allocator(struct pgs_arena *arena);

/* malloc/realloc that abort on failure, for the few heap users. */
void *pgs_xmalloc(size_t n);
void *pgs_xrealloc(void *p, size_t n);
char *pgs_xstrdup(const char *s);

#endif
