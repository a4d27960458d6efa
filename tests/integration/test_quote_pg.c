/*
 * test_quote_pg: the one function for literals (pgs_quote_literal), the one
 * for identifiers (pgs_quote_ident) and dollar quoting (pgs_dollar_quote),
 * which every generated statement goes through, against a real server:
 * each hostile text must come back from the server as itself, with
 * standard_conforming_strings on and off.
 *
 * Needs PGHOST etc. (tests/pg/with-cluster.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "core/arena.h"
#include "core/quote.h"
#include "tests/integration/pgtest.h"

static const char *const texts[] = {
	"plain",
	"it's",
	"back\\slash",
	"both ' and \\ and ''",
	"x\"; DROP TABLE y; --",
	"new\nline",
	"\\'",
	"'; DROP TABLE y; --",
	"$pgstage$ body $pgstage$",
	"$pgstage1$",
	"naïve ünïcode",
	"tab\there",
	"",
	"E'x'",
	"select",
	"Upper",
};

#define N_TEXTS (sizeof(texts) / sizeof(texts[0]))

static PGconn *conn;

/* The one value of sql, or NULL after failing the test. */
static char *value_of(const char *sql)
{
	static char buf[4096];
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		print_error("%s: %s", sql, PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	snprintf(buf, sizeof(buf), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return buf;
}

static void literals_come_back(const char *setting)
{
	struct pgs_arena a;
	char sql[8192];

	pgs_arena_init(&a);
	snprintf(sql, sizeof(sql), "SET standard_conforming_strings = %s", setting);
	assert_int_equal(pgt_exec(conn, sql), 0);
	for (size_t i = 0; i < N_TEXTS; i++) {
		snprintf(sql, sizeof(sql), "SELECT %s", pgs_quote_literal(&a, texts[i]));
		char *v = value_of(sql);
		assert_non_null(v);
		assert_string_equal(v, texts[i]);
	}
	pgs_arena_release(&a);
}

static void test_literals_standard_strings(void **state)
{
	(void)state;
	literals_come_back("on");
}

static void test_literals_backslash_escapes(void **state)
{
	(void)state;
	literals_come_back("off");
}

static void test_identifiers(void **state)
{
	struct pgs_arena a;
	char sql[8192];

	(void)state;
	pgs_arena_init(&a);
	for (size_t i = 0; i < N_TEXTS; i++) {
		if (!*texts[i])
			continue; /* a zero-length identifier is no identifier */
		/* the column's name, as the server took it */
		snprintf(sql, sizeof(sql), "SELECT attname FROM pg_attribute WHERE attrelid = "
					   "'pgs_quote_t'::regclass AND attnum = 1");
		char create[8192];
		snprintf(create, sizeof(create), "CREATE TEMP TABLE pgs_quote_t (%s int)",
			 pgs_quote_ident(&a, texts[i]));
		assert_int_equal(pgt_exec(conn, create), 0);
		char *v = value_of(sql);
		assert_non_null(v);
		assert_string_equal(v, texts[i]);
		assert_int_equal(pgt_exec(conn, "DROP TABLE pgs_quote_t"), 0);
	}
	pgs_arena_release(&a);
}

static void test_dollar_quotes(void **state)
{
	struct pgs_arena a;
	char sql[8192];

	(void)state;
	pgs_arena_init(&a);
	for (size_t i = 0; i < N_TEXTS; i++) {
		/* the body starts after the tag's newline */
		snprintf(sql, sizeof(sql), "SELECT substr(%s, 2)",
			 pgs_dollar_quote(&a, texts[i]));
		char *v = value_of(sql);
		assert_non_null(v);
		assert_string_equal(v, texts[i]);
	}
	pgs_arena_release(&a);
}

static int setup(void **state)
{
	(void)state;
	conn = pgt_connect(NULL, "pgstage-test_quote_pg");
	return conn ? pgt_exec(conn, "SET client_min_messages = warning") : -1;
}

static int teardown(void **state)
{
	(void)state;
	PQfinish(conn);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals_standard_strings),
		cmocka_unit_test(test_literals_backslash_escapes),
		cmocka_unit_test(test_identifiers),
		cmocka_unit_test(test_dollar_quotes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
