/*
 * names: PostgreSQL's made-up names, byte for byte. Every expected name here
 * is what a PostgreSQL 15 server chose for ALTER TABLE ... ADD UNIQUE /
 * PRIMARY KEY without a name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/names.h"

#define LONG_TABLE "a_really_long_table_name_that_goes_on_and_on_and_on_forever_xyz"

static void test_short_names_are_joined(void **state)
{
	struct pgs_arena a;
	const char *cols[] = {"a", "b", "c"};

	(void)state;
	pgs_arena_init(&a);
	/* UNIQUE (a, b) INCLUDE (c): INCLUDE columns are part of the name */
	assert_string_equal(pgs_object_name(&a, "t", pgs_index_name_addition(&a, cols, 3), "key"),
			    "t_a_b_c_key");
	assert_string_equal(pgs_object_name(&a, "t", NULL, "pkey"), "t_pkey");
	assert_string_equal(pgs_object_name(&a, "u", "x", "key1"), "u_x_key1");
	pgs_arena_release(&a);
}

static void test_long_names_cut_the_longer_part(void **state)
{
	struct pgs_arena a;
	const char *cols[] = {"Column With A Very Long Name Indeed Number One",
			      "Column With A Very Long Name Indeed Number Two", "id"};

	(void)state;
	pgs_arena_init(&a);
	assert_string_equal(
	    pgs_object_name(&a, LONG_TABLE, pgs_index_name_addition(&a, cols, 3), "key"),
	    "a_really_long_table_name_that_Column With A Very Long Name _key");
	assert_string_equal(pgs_object_name(&a, LONG_TABLE, NULL, "pkey"),
			    "a_really_long_table_name_that_goes_on_and_on_and_on_foreve_pkey");
	pgs_arena_release(&a);
}

static void test_cuts_never_split_a_character(void **state)
{
	struct pgs_arena a;

	(void)state;
	pgs_arena_init(&a);
	assert_string_equal(pgs_object_name(&a, LONG_TABLE, "Ünïcödé", "key"),
			    "a_really_long_table_name_that_goes_on_and_on_an_Ünïcödé_key");
	assert_string_equal(pgs_object_name(&a, LONG_TABLE, "Ünïcödé", "key1"),
			    "a_really_long_table_name_that_goes_on_and_on_a_Ünïcödé_key1");
	pgs_arena_release(&a);
}

static void test_addition_stops_at_namedatalen(void **state)
{
	struct pgs_arena a;
	const char *cols[] = {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			      "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "c", NULL};

	(void)state;
	pgs_arena_init(&a);
	/* the third name is not added once 64 bytes are reached */
	assert_string_equal(pgs_index_name_addition(&a, cols, 4),
			    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_"
			    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	assert_string_equal(pgs_index_name_addition(&a, cols + 2, 2), "c_expr");
	pgs_arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_short_names_are_joined),
	    cmocka_unit_test(test_long_names_cut_the_longer_part),
	    cmocka_unit_test(test_cuts_never_split_a_character),
	    cmocka_unit_test(test_addition_stops_at_namedatalen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
