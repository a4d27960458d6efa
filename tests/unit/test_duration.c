/*
 * duration: timeout values read as PostgreSQL reads lock_timeout (the same
 * cases run against a real server in tests/integration/test_duration_pg.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/duration.h"

#define NOT_A_UNIT "has something other than a unit after the number (units: us, ms, s, min, h, d)"

static void assert_ms(const char *value, long ms)
{
	const char *why = NULL;

	if (pgs_duration_ms(value, &why) != ms)
		fail_msg("'%s': %ld ms, expected %ld", value, pgs_duration_ms(value, NULL), ms);
	assert_null(why);
	assert_true(pgs_duration_valid(value));
}

static void assert_rejected(const char *value, const char *why_expected)
{
	const char *why = NULL;

	if (pgs_duration_ms(value, &why) != -1)
		fail_msg("'%s' accepted as %ld ms", value, pgs_duration_ms(value, NULL));
	assert_false(pgs_duration_valid(value));
	assert_non_null(why);
	assert_string_equal(why, why_expected);
}

static void units_and_plain_milliseconds(void **state)
{
	(void)state;
	assert_ms("0", 0);
	assert_ms("2000", 2000);
	assert_ms("500ms", 500);
	assert_ms("2s", 2000);
	assert_ms("5min", 300000);
	assert_ms("1h", 3600000);
	assert_ms("1d", 86400000);
	assert_ms("1500us", 2); /* whole ms by rint: half to even */
	assert_ms("2500us", 2);
	assert_ms("1.5us", 0);
	assert_ms("1.5s", 1500);
}

static void spaces_signs_and_c_number_syntax(void **state)
{
	(void)state;
	assert_ms("2 s", 2000);
	assert_ms("2\ts", 2000);
	assert_ms(" 2s ", 2000);
	assert_ms("  30  min  ", 1800000);
	assert_ms("+3s", 3000);
	assert_ms("0x10", 16);	/* strtol base 0, as the server */
	assert_ms("010", 8);	/* octal */
	assert_ms("2e3", 2000); /* re-read as a double at the 'e' */
	assert_ms(".5s", 500);
	assert_ms("-0.4", 0);		   /* rounds to 0, which is in range */
	assert_ms("1.0005s", 1000);	   /* 1000.5 ms: half to even */
	assert_ms("1.23456789min", 74000); /* to whole seconds first, the next smaller unit */
	assert_ms("0x1.8p1", 3);	   /* strtod reads a hexadecimal fraction too */
	assert_ms("0.5", 0);		   /* rint: half to even */
	assert_ms("2147483647", 2147483647);
	assert_ms("24d", 2073600000);
}

static void rejected_as_the_server_rejects_them(void **state)
{
	(void)state;
	assert_rejected("", "has no number");
	assert_rejected("s", "has no number");
	assert_rejected(" .5s", "has no number"); /* strtol stops at the space: no number */
	assert_rejected("nan", "has no number");
	assert_rejected("inf", "has no number");
	assert_rejected("1e400", "has no number");
	assert_rejected("2S", NOT_A_UNIT); /* case-sensitive */
	assert_rejected("2 sec", NOT_A_UNIT);
	assert_rejected("5mins", NOT_A_UNIT);
	assert_rejected("1s 2s", NOT_A_UNIT);
	assert_rejected("1s'; DROP TABLE users; --", NOT_A_UNIT);
	assert_rejected("1s'", NOT_A_UNIT);
	assert_rejected("2s\\", NOT_A_UNIT);
	assert_rejected("-1", "is negative");
	assert_rejected("-1s", "is negative");
	assert_rejected("2147483648", "is more than 2147483647ms (about 24 days)");
	assert_rejected("25d", "is more than 2147483647ms (about 24 days)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(units_and_plain_milliseconds),
	    cmocka_unit_test(spaces_signs_and_c_number_syntax),
	    cmocka_unit_test(rejected_as_the_server_rejects_them),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
