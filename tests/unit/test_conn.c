/*
 * conn: apply's lines never show a password (exec/conn.c); the integration
 * test test_apply greps real runs for them too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exec/conn.h"

static const char *scrub(const char *text, const char *db)
{
	static char buf[256];
	return pgs_exec_scrub(text, db, buf, sizeof(buf));
}

static void url_password_masked(void **state)
{
	(void)state;
	unsetenv("PGPASSWORD");
	assert_string_equal(scrub("connection to postgresql://app:hunter2@db/x failed: hunter2",
				  "postgresql://app:hunter2@db/x"),
			    "connection to postgresql://app:********@db/x failed: ********");
	/* a conninfo string's password too */
	assert_string_equal(scrub("password=s3 ok", "host=db password=s3 dbname=x"),
			    "password=******** ok");
	/* no password: nothing changes */
	assert_string_equal(scrub("all fine", "postgresql://app@db/x"), "all fine");
	assert_string_equal(scrub("all fine", NULL), "all fine");
	/* a string that is not a URL or conninfo at all */
	assert_string_equal(scrub("all fine", "not a : url ' ="), "all fine");
}

static void environment_password_masked(void **state)
{
	(void)state;
	setenv("PGPASSWORD", "fromenv", 1);
	assert_string_equal(scrub("x fromenv y fromenv", NULL), "x ******** y ********");
	unsetenv("PGPASSWORD");
}

static void never_past_the_buffer(void **state)
{
	char buf[12];

	(void)state;
	unsetenv("PGPASSWORD");
	/* a one-letter password in a full buffer: masked in place, no growth */
	assert_string_equal(pgs_exec_scrub("a a a a a a a a", "password=a", buf, sizeof(buf)),
			    "* * * * * *");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(url_password_masked),
	    cmocka_unit_test(environment_password_masked),
	    cmocka_unit_test(never_past_the_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
