/*
 * config: .pgstage.json as read by pgs_config_load. Every error is one line
 * "PATH:LINE:COLUMN: message" pointing at the key (or byte) at fault, with
 * control characters escaped and nothing cut; timeouts are PostgreSQL
 * durations (they are written into plans); a UTF-8 BOM is allowed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lint/config.h"
#include "lint/sections.h"

#define KNOWN                                                                                    \
	"(known: pg_version, tool, layout, include, exclude, disable, severity, fail_on, "        \
	"lock_timeout, statement_timeout, validate_timeout, batch_size, \"//\" for notes)"

static char dir[] = "/tmp/pgstage-config-XXXXXX";
static char path[64];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/c.json", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

/* Load a config file holding len bytes of text. */
static int load(struct pgs_config *c, const char *text, size_t len, struct pgs_error *err)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return pgs_config_load(c, path, err);
}

/* The config is rejected with exactly "PATH:" + expected. */
static void assert_error_n(const char *text, size_t len, const char *expected)
{
	struct pgs_config c;
	struct pgs_error err = {{0}};
	char want[sizeof(err.message)];

	assert_int_equal(load(&c, text, len, &err), -1);
	snprintf(want, sizeof(want), "%s:%s", path, expected);
	assert_string_equal(err.message, want);
	assert_null(strchr(err.message, '\n'));
}

static void assert_error(const char *text, const char *expected)
{
	assert_error_n(text, strlen(text), expected);
}

static void timeouts_must_be_durations(void **state)
{
	struct pgs_config c;
	struct pgs_error err;

	(void)state;
	assert_error("{\n  \"lock_timeout\": \"1s'; DROP TABLE users; --\"\n}\n",
		     "2:3: \"lock_timeout\" must be a duration such as \"2s\" or \"500ms\": "
		     "\"1s'; DROP TABLE users; --\" has something other than a unit after the "
		     "number (units: us, ms, s, min, h, d)");
	assert_error("{\"lock_timeout\": \"2s\",\n \"statement_timeout\": \"-5s\"}",
		     "2:2: \"statement_timeout\" must be a duration such as \"2s\" or \"500ms\": "
		     "\"-5s\" is negative");
	assert_error("{\"statement_timeout\": \"\"}",
		     "1:2: \"statement_timeout\" must be a duration such as \"2s\" or \"500ms\": "
		     "\"\" has no number");
	assert_error("{\"lock_timeout\": \"30d\"}",
		     "1:2: \"lock_timeout\" must be a duration such as \"2s\" or \"500ms\": "
		     "\"30d\" is more than 2147483647ms (about 24 days)");
	assert_error("{\"lock_timeout\": 2000}",
		     "1:2: \"lock_timeout\" must be a string such as \"2s\"");

	const char ok[] = "{\"lock_timeout\": \"500\", \"statement_timeout\": \" 1 min \"}";
	assert_int_equal(load(&c, ok, strlen(ok), &err), 0);
	assert_string_equal(c.lock_timeout, "500");
	assert_string_equal(c.statement_timeout, " 1 min ");
	pgs_config_release(&c);
}

static void control_characters_are_escaped_on_one_line(void **state)
{
	(void)state;
	/* an escaped newline, ESC (a terminal colour sequence), DEL, a quote */
	assert_error("{\n  \"pg_version\": 15,\n  \"a\\nb\": 1\n}",
		     "3:3: unknown key \"a\\nb\" " KNOWN);
	assert_error("{\"a\\u001b[31mb\": 1}", "1:2: unknown key \"a\\u001b[31mb\" " KNOWN);
	assert_error("{\"\\u007f\\t\\\"\\\\\": 1}",
		     "1:2: unknown key \"\\u007f\\t\\\"\\\\\" " KNOWN);
	/* C1 controls (U+0085 NEL, U+009B CSI) are control characters too; é is not */
	assert_error("{\"\\u0085\\u009b\xc3\xa9\": 1}",
		     "1:2: unknown key \"\\u0085\\u009b\xc3\xa9\" " KNOWN);
	/* in jansson's own messages as well */
	assert_error("{\"a\": 1\x1b}", "1:8: '}' expected near '\\u001b'");
	assert_error("{\"disable\": [\"x\\ry\"]}",
		     "1:2: no rule named 'x\\ry' (pgstage rules lists them)");
	assert_error("{\"severity\": {\"x\\u0007\": \"error\"}}",
		     "1:15: no rule named 'x\\u0007' (pgstage rules lists them)");
}

static void long_keys_point_at_themselves_and_nothing_is_cut(void **state)
{
	char text[2200], key[2001];

	(void)state;
	memset(key, 'k', 2000);
	key[2000] = 0;
	snprintf(text, sizeof(text), "{\n  \"tool\": \"goose\",\n  \"%s\": 1\n}", key);
	/* the key is shown up to 80 characters, the message whole */
	assert_error(
	    text,
	    "3:3: unknown key "
	    "\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
	    "...\" (2000 characters) " KNOWN);
	snprintf(text, sizeof(text), "{\"disable\": [\"%.300s\"]}", key);
	assert_error(
	    text,
	    "1:2: no rule named "
	    "'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
	    "...' (300 characters) (pgstage rules lists them)");
	/* an 80-character key is shown whole */
	snprintf(text, sizeof(text), "{\"%.80s\": 1}", key);
	assert_error(text, "1:2: unknown key "
			   "\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
			   "kkkkkkkkkkk\" " KNOWN);
}

static void positions_are_the_keys_own(void **state)
{
	(void)state;
	/* the same name nested earlier, or inside a string, is not the key */
	assert_error("{\"severity\": {},\n \"//\": \"\\\"tool\\\": 1\", \"//x\": {\"tool\": 1},\n"
		     "  \"tool\": 5}",
		     "3:3: \"tool\" must be a string");
	assert_error("{\n  \"severity\": {\n    \"require-concurrent-index\": \"error\",\n"
		     "    \"no-such-rule\": \"warning\"\n  }\n}",
		     "4:5: no rule named 'no-such-rule' (pgstage rules lists them)");
	assert_error("{\"severity\": {\"require-concurrent-index\": \"loud\"}}",
		     "1:15: the severity of 'require-concurrent-index' must be \"info\", "
		     "\"warning\" or \"error\"");
	/* columns count characters, not bytes; a key written with escapes is found */
	assert_error("{\"//\": \"\xc3\xa9\xc3\xa9\", \"\\u0074ool\": 5}",
		     "1:14: \"tool\" must be a string");
}

static void nul_bytes_and_byte_order_marks(void **state)
{
	struct pgs_config c;
	struct pgs_error err;

	(void)state;
	assert_error_n("{\"tool\": \"goose\"}\n\0", 19,
		       "2:1: a NUL byte: the configuration must be JSON text");
	assert_error_n("{\"tool\": \"go\0ose\"}", 18,
		       "1:13: a NUL byte: the configuration must be JSON text");
	/* a BOM is skipped, and is no column */
	const char bom[] = "\xEF\xBB\xBF{\"tool\": \"goose\"}\n";
	assert_int_equal(load(&c, bom, strlen(bom), &err), 0);
	assert_int_equal(c.tool, PGS_TOOL_GOOSE);
	pgs_config_release(&c);
	assert_error("\xEF\xBB\xBF{\"tool\": 5}", "1:2: \"tool\" must be a string");
	assert_error("\xEF\xBB\xBF{\"tool\" 5}", "1:9: ':' expected near '5'");
}

static void escape_shows_every_byte_safely(void **state)
{
	char buf[PGS_ESCAPE_SIZE(8)];

	(void)state;
	/* bytes that are not UTF-8: stray, overlong, a surrogate, cut short */
	assert_int_equal(pgs_escape(buf, "a\xff\xc0\xaf\xed\xa0\x80\xe2\x82", 8, 0), 9);
	assert_string_equal(buf, "a\\xff\\xc0\\xaf\\xed\\xa0\\x80\\xe2...");
	assert_int_equal(pgs_escape(buf, "\xe2\x82\xac\xf0\x9f\x98\x80\"'\\", 8, 0), 5);
	assert_string_equal(buf, "\xe2\x82\xac\xf0\x9f\x98\x80\"'\\");
	assert_int_equal(pgs_escape(buf, "\"'\\", 8, PGS_ESCAPE_QUOTES), 3);
	assert_string_equal(buf, "\\\"'\\\\");
	/* the longest escapes fill the buffer exactly */
	assert_int_equal(pgs_escape(buf, "\x01\x02\x03\x04\x05\x06\x07\x08\x0b", 8, 0), 9);
	assert_string_equal(buf, "\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\u0008...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(timeouts_must_be_durations),
		cmocka_unit_test(control_characters_are_escaped_on_one_line),
		cmocka_unit_test(long_keys_point_at_themselves_and_nothing_is_cut),
		cmocka_unit_test(positions_are_the_keys_own),
		cmocka_unit_test(nul_bytes_and_byte_order_marks),
		cmocka_unit_test(escape_shows_every_byte_safely),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
