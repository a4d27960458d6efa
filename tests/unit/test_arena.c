/*
 * arena: zeroed, aligned memory; big allocations; string helpers; growing
 * arrays; release and reuse; the protobuf-c allocator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "core/arena.h"

static bool all_bytes(const void *p, size_t n, unsigned char value)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != value)
			return false;
	return true;
}

static bool aligned16(const void *p)
{
	return ((uintptr_t)p & 15u) == 0;
}

static void test_init_is_empty(void **state)
{
	struct pgs_arena a;

	(void)state;
	memset(&a, 0xAB, sizeof(a));
	pgs_arena_init(&a);
	assert_null(a.head);
	assert_int_equal(a.used, 0);
	/* releasing an arena that never allocated is fine */
	pgs_arena_release(&a);
	assert_null(a.head);
}

static void test_alloc_zeroed_and_aligned(void **state)
{
	struct pgs_arena a;
	unsigned char *prev = NULL;
	size_t prev_n = 0;

	(void)state;
	pgs_arena_init(&a);
	for (size_t n = 1; n <= 200; n++) {
		unsigned char *p = pgs_arena_alloc(&a, n);

		assert_non_null(p);
		assert_true(aligned16(p));
		assert_true(all_bytes(p, n, 0));
		/* scribble over it: the next allocation must not overlap it */
		memset(p, 0xA5, n);
		if (prev)
			assert_true(all_bytes(prev, prev_n, 0xA5));
		prev = p;
		prev_n = n;
	}
	/* used counts what was handed out, rounded up to the alignment */
	size_t expect = 0;
	for (size_t n = 1; n <= 200; n++)
		expect += (n + 15) & ~(size_t)15;
	assert_int_equal(a.used, expect);

	/* zero-byte allocations are valid, aligned pointers */
	void *z = pgs_arena_alloc(&a, 0);
	assert_non_null(z);
	assert_true(aligned16(z));
	pgs_arena_release(&a);
	assert_null(a.head);
	assert_int_equal(a.used, 0);
}

static void test_alloc_fills_many_blocks(void **state)
{
	struct pgs_arena a;
	unsigned char *ptrs[3000];

	(void)state;
	pgs_arena_init(&a);
	/* 3000 * 100 bytes spans several 64 KiB blocks */
	for (size_t i = 0; i < 3000; i++) {
		ptrs[i] = pgs_arena_alloc(&a, 100);
		assert_true(aligned16(ptrs[i]));
		assert_true(all_bytes(ptrs[i], 100, 0));
		memset(ptrs[i], (int)(i & 0xFF), 100);
	}
	for (size_t i = 0; i < 3000; i++)
		assert_true(all_bytes(ptrs[i], 100, (unsigned char)(i & 0xFF)));
	pgs_arena_release(&a);
}

static void test_big_allocations(void **state)
{
	struct pgs_arena a;
	const size_t sizes[] = {64 * 1024 + 1, 100000, 3 * 1024 * 1024 + 7, 8 * 1024 * 1024};
	unsigned char *big[4];

	(void)state;
	pgs_arena_init(&a);
	unsigned char *small1 = pgs_arena_alloc(&a, 32);
	memset(small1, 0x11, 32);
	for (size_t i = 0; i < 4; i++) {
		big[i] = pgs_arena_alloc(&a, sizes[i]);
		assert_non_null(big[i]);
		assert_true(aligned16(big[i]));
		assert_true(all_bytes(big[i], sizes[i], 0));
		memset(big[i], 0x20 + (int)i, sizes[i]);
	}
	/* small allocations after big ones still work and overlap nothing */
	unsigned char *small2 = pgs_arena_alloc(&a, 48);
	assert_true(aligned16(small2));
	assert_true(all_bytes(small2, 48, 0));
	memset(small2, 0x33, 48);
	assert_true(all_bytes(small1, 32, 0x11));
	for (size_t i = 0; i < 4; i++)
		assert_true(all_bytes(big[i], sizes[i], (unsigned char)(0x20 + i)));
	assert_true(all_bytes(small2, 48, 0x33));
	pgs_arena_release(&a);
	assert_null(a.head);
}

static void test_array_and_regrow(void **state)
{
	struct pgs_arena a;

	(void)state;
	pgs_arena_init(&a);
	int *xs = pgs_arena_array(&a, 10, sizeof(int));
	assert_true(aligned16(xs));
	assert_true(all_bytes(xs, 10 * sizeof(int), 0));
	for (int i = 0; i < 10; i++)
		xs[i] = i * 7;
	int *ys = pgs_arena_regrow(&a, xs, 10, 25, sizeof(int));
	assert_ptr_not_equal(xs, ys);
	for (int i = 0; i < 10; i++)
		assert_int_equal(ys[i], i * 7);
	for (int i = 10; i < 25; i++)
		assert_int_equal(ys[i], 0);
	/* regrow from nothing */
	int *zs = pgs_arena_regrow(&a, NULL, 0, 4, sizeof(int));
	assert_true(all_bytes(zs, 4 * sizeof(int), 0));
	/* the old array stays valid until release */
	assert_int_equal(xs[9], 63);
	pgs_arena_release(&a);
}

static void test_push_growth_keeps_contents(void **state)
{
	struct pgs_arena a;
	struct item {
		uint64_t id;
		char tag[32];
	} *items = NULL;
	size_t n = 0, cap = 0;

	(void)state;
	pgs_arena_init(&a);
	for (uint64_t i = 0; i < 5000; i++) {
		struct item *it = pgs_arena_push(&a, (void **)&items, &n, &cap, sizeof(*items));

		assert_int_equal(n, i + 1);
		assert_true(cap >= n);
		assert_ptr_equal(it, &items[i]);
		/* the new slot is zeroed */
		assert_int_equal(it->id, 0);
		assert_true(all_bytes(it->tag, sizeof(it->tag), 0));
		it->id = i * 3 + 1;
		snprintf(it->tag, sizeof(it->tag), "item-%llu", (unsigned long long)i);
	}
	assert_int_equal(n, 5000);
	/* capacity doubles from 8 */
	assert_int_equal(cap, 8192);
	for (uint64_t i = 0; i < 5000; i++) {
		char want[32];

		snprintf(want, sizeof(want), "item-%llu", (unsigned long long)i);
		assert_int_equal(items[i].id, i * 3 + 1);
		assert_string_equal(items[i].tag, want);
	}
	pgs_arena_release(&a);
}

/* A slot given up by shrinking n (dropped diagnostics) comes back zeroed. */
static void test_push_reused_slot_is_zeroed(void **state)
{
	struct pgs_arena a;
	uint64_t *xs = NULL;
	size_t n = 0, cap = 0;

	(void)state;
	pgs_arena_init(&a);
	*(uint64_t *)pgs_arena_push(&a, (void **)&xs, &n, &cap, sizeof(*xs)) = 7;
	*(uint64_t *)pgs_arena_push(&a, (void **)&xs, &n, &cap, sizeof(*xs)) = 9;
	n = 1;
	uint64_t *again = pgs_arena_push(&a, (void **)&xs, &n, &cap, sizeof(*xs));
	assert_ptr_equal(again, &xs[1]);
	assert_int_equal(*again, 0);
	assert_int_equal(xs[0], 7);
	pgs_arena_release(&a);
}

static void test_strdup_strndup(void **state)
{
	struct pgs_arena a;
	char longs[1500];

	(void)state;
	pgs_arena_init(&a);
	char *s = pgs_arena_strdup(&a, "hello");
	assert_string_equal(s, "hello");
	char *e = pgs_arena_strdup(&a, "");
	assert_string_equal(e, "");
	char *n = pgs_arena_strndup(&a, "abcdef", 3);
	assert_string_equal(n, "abc");
	/* strndup copies exactly n bytes, even past an embedded NUL */
	char *m = pgs_arena_strndup(&a, "ab\0cd", 5);
	assert_memory_equal(m, "ab\0cd", 6);

	for (size_t i = 0; i < sizeof(longs) - 1; i++)
		longs[i] = (char)('a' + i % 26);
	longs[sizeof(longs) - 1] = '\0';
	char *l = pgs_arena_strdup(&a, longs);
	assert_string_equal(l, longs);
	assert_ptr_not_equal(l, longs);
	pgs_arena_release(&a);
}

static void test_printf(void **state)
{
	struct pgs_arena a;
	char want[2100];
	char chunk[1001];

	(void)state;
	pgs_arena_init(&a);
	assert_string_equal(pgs_arena_printf(&a, "%s:%u:%u: %s", "x.sql", 3u, 14u, "msg"),
			    "x.sql:3:14: msg");
	assert_string_equal(pgs_arena_printf(&a, "%s", ""), "");

	/* around the 256-byte stack buffer used for the first attempt */
	for (size_t len = 250; len <= 262; len++) {
		memset(chunk, 'x', len);
		chunk[len] = '\0';
		char *p = pgs_arena_printf(&a, "%s", chunk);
		assert_int_equal(strlen(p), len);
		assert_string_equal(p, chunk);
	}

	/* long output with several conversions */
	memset(chunk, 'q', 1000);
	chunk[1000] = '\0';
	snprintf(want, sizeof(want), "[%d] %s | %s {%05d}", -42, chunk, chunk, 7);
	char *p = pgs_arena_printf(&a, "[%d] %s | %s {%05d}", -42, chunk, chunk, 7);
	assert_int_equal(strlen(p), strlen(want));
	assert_string_equal(p, want);
	pgs_arena_release(&a);
}

static char *call_vprintf(struct pgs_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *call_vprintf(struct pgs_arena *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *p = pgs_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

static void test_vprintf_long(void **state)
{
	struct pgs_arena a;
	char chunk[700];

	(void)state;
	pgs_arena_init(&a);
	memset(chunk, 'z', sizeof(chunk) - 1);
	chunk[sizeof(chunk) - 1] = '\0';
	char *p = call_vprintf(&a, "<%s>%d", chunk, 12345);
	assert_int_equal(strlen(p), 699 + 2 + 5);
	assert_int_equal(p[0], '<');
	assert_int_equal(p[700], '>');
	assert_string_equal(p + 701, "12345");
	pgs_arena_release(&a);
}

static void test_release_then_reuse(void **state)
{
	struct pgs_arena a;

	(void)state;
	pgs_arena_init(&a);
	for (int round = 0; round < 3; round++) {
		unsigned char *p = pgs_arena_alloc(&a, 1000);
		unsigned char *big = pgs_arena_alloc(&a, 200 * 1024);

		assert_true(all_bytes(p, 1000, 0));
		assert_true(all_bytes(big, 200 * 1024, 0));
		memset(p, 0xEE, 1000);
		memset(big, 0xEE, 200 * 1024);
		char *s = pgs_arena_printf(&a, "round %d", round);
		char want[32];
		snprintf(want, sizeof(want), "round %d", round);
		assert_string_equal(s, want);
		assert_true(a.used >= 1000 + 200 * 1024);
		pgs_arena_release(&a);
		assert_null(a.head);
		assert_int_equal(a.used, 0);
	}
}

static void test_protobuf_allocator(void **state)
{
	struct pgs_arena a;

	(void)state;
	pgs_arena_init(&a);
	ProtobufCAllocator alloc = pgs_arena_protobuf_allocator(&a);
	assert_ptr_equal(alloc.allocator_data, &a);
	assert_non_null(alloc.alloc);
	assert_non_null(alloc.free);

	unsigned char *p = alloc.alloc(alloc.allocator_data, 100);
	assert_true(aligned16(p));
	assert_true(all_bytes(p, 100, 0));
	memset(p, 0x5A, 100);
	size_t used = a.used;
	assert_true(used >= 100);
	alloc.free(alloc.allocator_data, p); /* does nothing: memory stays valid */
	assert_true(all_bytes(p, 100, 0x5A));
	assert_int_equal(a.used, used);

	/* unpack a real parse tree into the arena */
	PgQueryProtobufParseResult r = pg_query_parse_protobuf("SELECT 1; CREATE TABLE t (c int)");
	assert_null(r.error);
	PgQuery__ParseResult *tree = pg_query__parse_result__unpack(
	    &alloc, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
	pg_query_free_protobuf_parse_result(r);
	assert_non_null(tree);
	assert_true(a.used > used);
	assert_int_equal(tree->n_stmts, 2);
	assert_int_equal(tree->stmts[0]->stmt->node_case, PG_QUERY__NODE__NODE_SELECT_STMT);
	assert_int_equal(tree->stmts[1]->stmt->node_case, PG_QUERY__NODE__NODE_CREATE_STMT);
	assert_string_equal(tree->stmts[1]->stmt->create_stmt->relation->relname, "t");
	/* freeing through the allocator is a no-op; release frees it all */
	pg_query__parse_result__free_unpacked(tree, &alloc);
	pgs_arena_release(&a);
	pg_query_exit();
}

static void test_heap_helpers(void **state)
{
	(void)state;
	char *s = pgs_xstrdup("heap string");
	assert_string_equal(s, "heap string");
	s = pgs_xrealloc(s, 4096);
	assert_string_equal(s, "heap string");
	free(s);
	void *z = pgs_xmalloc(0); /* a valid, freeable pointer */
	assert_non_null(z);
	free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_is_empty),
	    cmocka_unit_test(test_alloc_zeroed_and_aligned),
	    cmocka_unit_test(test_alloc_fills_many_blocks),
	    cmocka_unit_test(test_big_allocations),
	    cmocka_unit_test(test_array_and_regrow),
	    cmocka_unit_test(test_push_growth_keeps_contents),
	    cmocka_unit_test(test_push_reused_slot_is_zeroed),
	    cmocka_unit_test(test_strdup_strndup),
	    cmocka_unit_test(test_printf),
	    cmocka_unit_test(test_vprintf_long),
	    cmocka_unit_test(test_release_then_reuse),
	    cmocka_unit_test(test_protobuf_allocator),
	    cmocka_unit_test(test_heap_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
