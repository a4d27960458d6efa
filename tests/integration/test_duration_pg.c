/*
 * test_duration_pg: core/duration.c against the server. Each value is given
 * to set_config('lock_timeout', ...) and to statement_timeout as a bound
 * parameter; pgs_duration_ms must accept exactly what the server accepts and
 * agree with pg_settings.setting (milliseconds) on what it means. This is
 * what makes a value from .pgstage.json safe to write into a plan.
 *
 * Needs PGHOST etc. in the environment (tests/pg/with-cluster.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "core/duration.h"
#include "tests/integration/pgtest.h"

static const char *const values[] = {
	/* plain milliseconds and every unit */
	"0", "1", "2000", "500ms", "2s", "5min", "1h", "1d", "1500us", "2500us", "1.5us", "999us",
	/* spaces, signs, C number syntax, fractions rounded to the next smaller unit */
	"2 s", "2\ts", " 2s", "2s ", "  30  min  ", "2\ns", "+3s", "-0", "-0.4", "-0.6", "0x10",
	"0X1f", "010", "08", "2e3", "2E3ms", "1e-3s", ".5s", "5.", "0.5", "1.5", "2.5", "1.0005s",
	"1.23456789min", "0.0015min", "1.5d", "0x1.8p1", "0x10s", "1e1s",
	/* the edges of the range */
	"2147483647", "2147483648", "2147483647ms", "24d", "25d", "596h", "597h", "35791min",
	"35792min", "-1", "-1s", "99999999999999999999", "1e400", "1e-400",
	/* not durations */
	"", " ", "s", "ms", " .5s", "nan", "inf", "infinity", "2S", "2MS", "2 sec", "5mins",
	"1s 2s", "1s2", "1 s s", "2s;", "1s'; DROP TABLE users; --", "1s'", "2s\\", "1,5s", "1_000",
	"e3", "0x", "--1", "1e", "1e+", "2 m", "2 us", "2\xc2\xa0s",
};

static PGconn *conn;

static int group_setup(void **state)
{
	(void)state;
	conn = pgt_connect(NULL, "pgstage_test_duration");
	return conn ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	PQfinish(conn);
	return 0;
}

/*
 * The server's milliseconds for value, or -1 when it rejects it. Set and read
 * in one statement, locally to its transaction: a statement_timeout of 1ms
 * must not cancel the next query.
 */
static long server_ms(const char *setting, const char *value)
{
	const char *params[] = {setting, value};
	long ms = -1;

	PGresult *r = PQexecParams(conn,
				   "WITH s AS MATERIALIZED (SELECT set_config($1, $2, true) AS v) "
				   "SELECT (SELECT setting FROM pg_settings "
				   "        WHERE name = $1 AND s.v IS NOT NULL) FROM s",
				   2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		ms = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return ms;
}

static void same_as_the_server(const char *setting)
{
	int mismatches = 0;

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		long ours = pgs_duration_ms(values[i], NULL);
		long theirs = server_ms(setting, values[i]);
		if (ours != theirs) {
			printf("MISMATCH %s = '%s': pgstage %ld, server %ld (-1: rejected)\n",
			       setting, values[i], ours, theirs);
			mismatches++;
		}
		assert_int_equal(pgs_duration_valid(values[i]), ours >= 0);
	}
	assert_int_equal(mismatches, 0);
}

static void lock_timeout_values(void **state)
{
	(void)state;
	same_as_the_server("lock_timeout");
}

static void statement_timeout_values(void **state)
{
	(void)state;
	same_as_the_server("statement_timeout");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lock_timeout_values),
		cmocka_unit_test(statement_timeout_values),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
