/*
 * test_pgdata_versions: function volatility by server version (15's table
 * plus core/pgdata/versions.c, both generated from real catalogs), and the
 * version table's order, which the lookup's binary search relies on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/pgdata/pgdata.h"

/* The most volatile overload's volatility, or 0 when the version has none. */
static char volatility(const char *name, int nargs, int pg_version)
{
	const struct pgs_pgdata_function *row = pgs_pgdata_function_find_at(name, nargs, pg_version);
	return row ? row->volatility : 0;
}

static void test_volatility_follows_the_version(void **state)
{
	(void)state;
	/* timezone(text, timestamptz) and friends: a volatile overload until 14 */
	assert_int_equal(volatility("timezone", 2, 11), 'v');
	assert_int_equal(volatility("timezone", 2, 14), 'v');
	assert_int_equal(volatility("timezone", 2, 15), 's');
	assert_int_equal(volatility("timezone", 2, 16), 's');
	/* uuidv7() is new in 18; now() is the same everywhere */
	assert_int_equal(volatility("uuidv7", 0, 18), 'v');
	assert_int_equal(volatility("uuidv7", 0, 15), 0);
	assert_int_equal(volatility("now", 0, 11), 's');
	assert_int_equal(volatility("now", 0, 18), 's');
	/* a version without rows of its own (19, from the documentation) is 15's */
	assert_int_equal(volatility("timezone", 2, 19), 's');
}

static void test_version_table_sorted_and_unique(void **state)
{
	(void)state;
	for (size_t i = 1; i < pgs_pgdata_n_version_functions; i++) {
		const struct pgs_pgdata_version_function *a = &pgs_pgdata_version_functions[i - 1];
		const struct pgs_pgdata_version_function *b = &pgs_pgdata_version_functions[i];
		int c = a->version != b->version ? (a->version > b->version) - (a->version < b->version)
						  : strcmp(a->row.name, b->row.name);
		if (c == 0)
			c = (a->row.nargs > b->row.nargs) - (a->row.nargs < b->row.nargs);
		assert_true(c < 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_volatility_follows_the_version),
	    cmocka_unit_test(test_version_table_sorted_and_unique),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
