/*
 * test_cluster: exec/cluster starts its own throwaway server (major 15) that
 * libpq reaches through the conninfo it gives, set up as asked (socket only,
 * no durability), and stop removes everything; a bad $PGSTAGE_PG_BINDIR is
 * an error naming it, after which stop is harmless.
 *
 * Needs no PGHOST: it starts its own server (as postgres when root).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "exec/cluster.h"

static void test_start_query_stop(void **state)
{
	struct pgs_cluster c;
	struct pgs_error err = {{0}};
	char conninfo[PGS_CLUSTER_CONNINFO_SIZE], dir[sizeof(c.dir)], sock[256];
	struct stat st;
	PGconn *conn;
	PGresult *res;

	(void)state;
	unsetenv("PGSTAGE_PG_BINDIR");
	if (pgs_cluster_start(&c, 15, &err) != 0)
		fail_msg("start: %s", err.message);
	assert_true(c.running);
	assert_int_equal(c.major, 15);
	snprintf(dir, sizeof(dir), "%s", c.dir);

	snprintf(sock, sizeof(sock), "%s/.s.PGSQL.5432", c.dir);
	assert_int_equal(stat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));

	assert_non_null(pgs_cluster_conninfo(&c, "postgres", conninfo, sizeof(conninfo)));
	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK)
		fail_msg("connect %s: %s", conninfo, PQerrorMessage(conn));
	res = PQexec(conn, "SELECT current_setting('listen_addresses'), current_setting('fsync'), "
			   "current_setting('server_version_num')::int / 10000");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(res, 0, 0), "");
	assert_string_equal(PQgetvalue(res, 0, 1), "off");
	assert_string_equal(PQgetvalue(res, 0, 2), "15");
	PQclear(res);
	PQfinish(conn);

	pgs_cluster_stop(&c);
	assert_false(c.running);
	assert_int_equal(stat(dir, &st), -1);
	assert_int_equal(errno, ENOENT);
	pgs_cluster_stop(&c); /* twice */
}

static void test_bad_bindir(void **state)
{
	struct pgs_cluster c;
	struct pgs_error err = {{0}};

	(void)state;
	setenv("PGSTAGE_PG_BINDIR", "/nonexistent", 1);
	assert_int_equal(pgs_cluster_start(&c, 15, &err), -1);
	unsetenv("PGSTAGE_PG_BINDIR");
	assert_non_null(strstr(err.message, "PGSTAGE_PG_BINDIR=/nonexistent"));
	assert_false(c.running);
	pgs_cluster_stop(&c);
	pgs_cluster_stop(&c);

	/* a version that is not installed */
	assert_int_equal(pgs_cluster_start(&c, 99, &err), -1);
	assert_non_null(strstr(err.message, "PostgreSQL 99"));
	pgs_cluster_stop(&c);
}

/* The conninfo parses back to the same values, whatever the database's name. */
static void test_conninfo_quoting(void **state)
{
	struct pgs_cluster c = {.dir = "/tmp/pgstage-c.abcdef"};
	const char *name = "it's a \\ name";
	char buf[PGS_CLUSTER_CONNINFO_SIZE], *msg = NULL;
	PQconninfoOption *opts;
	int seen = 0;

	(void)state;
	assert_non_null(pgs_cluster_conninfo(&c, name, buf, sizeof(buf)));
	opts = PQconninfoParse(buf, &msg);
	if (!opts)
		fail_msg("%s: %s", buf, msg);
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (strcmp(o->keyword, "dbname") == 0 && ++seen)
			assert_string_equal(o->val, name);
		if (strcmp(o->keyword, "host") == 0 && ++seen)
			assert_string_equal(o->val, c.dir);
		if (strcmp(o->keyword, "user") == 0 && ++seen)
			assert_string_equal(o->val, "postgres");
	}
	PQconninfoFree(opts);
	assert_int_equal(seen, 3);
	/* too small a buffer: NULL, never a cut conninfo */
	assert_null(pgs_cluster_conninfo(&c, name, buf, 40));
	assert_null(pgs_cluster_conninfo(&c, name, buf, strlen(buf)));
	assert_non_null(pgs_cluster_conninfo(&c, name, buf, strlen(buf) + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conninfo_quoting),
	    cmocka_unit_test(test_start_query_stop),
	    cmocka_unit_test(test_bad_bindir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
