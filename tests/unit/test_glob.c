/*
 * glob: the exclude patterns of .pgstage.json. * and ? stay within a path
 * segment, ** crosses them; the cost of a match grows with the lengths of the
 * pattern and the path, never exponentially with the number of stars.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lint/config.h"

static void test_segments(void **state)
{
	(void)state;
	assert_true(pgs_glob_match("db/*.sql", "db/a.sql"));
	assert_false(pgs_glob_match("db/*.sql", "db/x/a.sql"));
	assert_false(pgs_glob_match("*", "a/b"));
	assert_true(pgs_glob_match("a/?.sql", "a/b.sql"));
	assert_false(pgs_glob_match("a/?.sql", "a/bc.sql"));
	assert_false(pgs_glob_match("a?b", "a/b"));
	assert_true(pgs_glob_match("db/*/1_*.sql", "db/x/1_init.sql"));
	assert_false(pgs_glob_match("db/*.sql", "db/a.sqlx"));
}

static void test_double_star(void **state)
{
	(void)state;
	assert_true(pgs_glob_match("db/migrations/legacy/**", "db/migrations/legacy/1.sql"));
	assert_true(pgs_glob_match("db/migrations/legacy/**", "db/migrations/legacy/a/b/1.sql"));
	assert_false(pgs_glob_match("db/migrations/legacy/**", "db/migrations/new/1.sql"));
	assert_true(pgs_glob_match("**/*.down.sql", "a/b/c.down.sql"));
	assert_true(pgs_glob_match("**/*.down.sql", "c.down.sql"));
	assert_false(pgs_glob_match("**/*.down.sql", "a/b/c.up.sql"));
	assert_true(pgs_glob_match("a/**/b.sql", "a/b.sql"));
	assert_true(pgs_glob_match("a/**/b.sql", "a/x/y/b.sql"));
	assert_true(pgs_glob_match("**", ""));
	assert_true(pgs_glob_match("", ""));
	assert_false(pgs_glob_match("", "a"));
}

/* Many stars against a long path that almost matches: was exponential (found
 * while writing the config fuzz target; 13 stars and 60 characters did not end). */
static void test_many_stars(void **state)
{
	char path[61], deep[200];
	(void)state;

	memset(path, 'a', 60);
	path[60] = '\0';
	snprintf(deep, sizeof(deep), "%s/%s/%s", path, path, path);
	clock_t start = clock();
	assert_false(pgs_glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*b", path));
	assert_false(pgs_glob_match("**a**a**a**a**a**a**a**a**a**a**a**a**b", deep));
	assert_false(pgs_glob_match("**/*a*a*a*a*a*a*/**/*a*a*a*a*a*a*b", deep));
	assert_true(pgs_glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*a", path));
	double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
	assert_true(seconds < 1.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_segments),
	    cmocka_unit_test(test_double_star),
	    cmocka_unit_test(test_many_stars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
