/*
 * test_seed: exec/seed.c on a schema with a value of every kind it
 * generates. Each table must hold exactly the rows asked (partitions
 * theirs through the parent), keys must find their rows although the
 * referencing table comes first by name and by oid, values must fit their
 * types and constraints, and a table whose CHECK the values break, or with
 * a NOT NULL type nothing is generated for, must be left empty with the
 * reason. n = 0 inserts nothing; in the caller's transaction, a rollback
 * takes every row back.
 *
 * Needs PGHOST etc. (tests/pg/with-cluster.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "exec/seed.h"
#include "tests/integration/pgtest.h"

#define DB "pgs_seed_test"

static const char schema[] =
    "CREATE SCHEMA app;"
    "SET search_path = app;"
    "SET TimeZone = 'UTC';"
    "SET DateStyle = 'ISO';"
    "CREATE TYPE mood AS ENUM ('ok', 'sad');"
    "CREATE DOMAIN posint AS int CHECK (VALUE > 0);"
    /* before the table it references, by name and by oid (the key comes later) */
    "CREATE TABLE a_orders (id serial PRIMARY KEY, customer_id bigint NOT NULL,"
    " code varchar(3) NOT NULL, price numeric(5,2) NOT NULL, at timestamptz NOT NULL,"
    " day date NOT NULL, paid bool NOT NULL, token uuid NOT NULL, doc jsonb NOT NULL,"
    " mood mood NOT NULL, tags text[] NOT NULL, qty posint NOT NULL, note text NOT NULL,"
    " spot point);"
    "CREATE UNIQUE INDEX a_orders_note ON a_orders (note);"
    "CREATE TABLE z_customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " referrer bigint REFERENCES z_customers, name text NOT NULL);"
    "ALTER TABLE a_orders ADD FOREIGN KEY (customer_id) REFERENCES z_customers;"
    "CREATE TABLE events (id int NOT NULL, what text) PARTITION BY RANGE (id);"
    "CREATE TABLE events_low PARTITION OF events FOR VALUES FROM (1) TO (1000);"
    "CREATE TABLE events_high PARTITION OF events FOR VALUES FROM (1000) TO (MAXVALUE);"
    "CREATE TABLE negative (n int CONSTRAINT negative_n_check CHECK (n < 0));"
    "CREATE TABLE shape (p point NOT NULL);"
    "CREATE TABLE \"Odd \"\"Name\"\"\" (\"select\" int PRIMARY KEY, \"Order\" text);"
    /* a cycle of nullable keys */
    "CREATE TABLE ring_a (id int PRIMARY KEY, b int);"
    "CREATE TABLE ring_b (id int PRIMARY KEY, a int REFERENCES ring_a);"
    "ALTER TABLE ring_a ADD FOREIGN KEY (b) REFERENCES ring_b;";

static const char generated[] =
    "CREATE TABLE app.gen (id int PRIMARY KEY, twice int GENERATED ALWAYS AS (id * 2) STORED);";

/* Every table of schema app as "name=rows", by name. */
static const char counts_sql[] =
    "SELECT string_agg(format('%s=%s', c.oid::regclass, (xpath('/row/n/text()', query_to_xml("
    "       format('SELECT count(*) AS n FROM %s', c.oid::regclass), false, true, '')))[1]),"
    "       ' ' ORDER BY c.relname COLLATE \"C\")"
    "  FROM pg_class c WHERE c.relnamespace = 'app'::regnamespace AND c.relkind IN ('r', 'p')";

static PGconn *admin;

static struct skipped {
	char table[256], why[512];
} skipped[16];
static size_t n_skipped;

static void on_skip(void *data, const char *table, const char *why)
{
	(void)data;
	assert_true(n_skipped < sizeof(skipped) / sizeof(skipped[0]));
	snprintf(skipped[n_skipped].table, sizeof(skipped[0].table), "%s", table);
	snprintf(skipped[n_skipped].why, sizeof(skipped[0].why), "%s", why);
	n_skipped++;
}

/* A fresh database holding the schema, connected with search_path app. */
static PGconn *fresh(void)
{
	pgt_drop_db(admin, DB);
	assert_int_equal(pgt_exec(admin, "CREATE DATABASE " DB), 0);
	PGconn *conn = pgt_connect(DB, "pgstage_test_seed");
	assert_non_null(conn);
	assert_int_equal(pgt_exec_script(conn, schema), 0);
	if (PQserverVersion(conn) >= 120000)
		assert_int_equal(pgt_exec_script(conn, generated), 0);
	n_skipped = 0;
	return conn;
}

/* The one value of sql. */
static const char *value(PGconn *conn, const char *sql)
{
	static char buf[4096];
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		fail_msg("%s: %s", sql, PQresultErrorMessage(res));
	snprintf(buf, sizeof(buf), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return buf;
}

static const char *empty(PGconn *conn)
{
	return PQserverVersion(conn) >= 120000
		   ? "\"Odd \"\"Name\"\"\"=0 a_orders=0 events=0 events_high=0 events_low=0 gen=0 "
		     "negative=0 ring_a=0 ring_b=0 shape=0 z_customers=0"
		   : "\"Odd \"\"Name\"\"\"=0 a_orders=0 events=0 events_high=0 events_low=0 "
		     "negative=0 ring_a=0 ring_b=0 shape=0 z_customers=0";
}

static void test_thousand_rows(void **state)
{
	struct pgs_error err = {{0}};
	PGconn *conn = fresh();
	bool gen = PQserverVersion(conn) >= 120000;

	(void)state;
	/* off the search path: the enum, the domain and the tables are named with their schema */
	assert_int_equal(pgt_exec(conn, "RESET search_path"), 0);
	int seeded = pgs_seed(conn, 1000, on_skip, NULL, &err);
	assert_int_equal(pgt_exec(conn, "SET search_path = app"), 0);
	assert_int_equal(seeded, gen ? 7 : 6);
	assert_string_equal(
	    value(conn, counts_sql),
	    gen ? "\"Odd \"\"Name\"\"\"=1000 a_orders=1000 events=1000 events_high=1 "
		  "events_low=999 gen=1000 negative=0 ring_a=1000 ring_b=1000 "
		  "shape=0 z_customers=1000"
		: "\"Odd \"\"Name\"\"\"=1000 a_orders=1000 events=1000 events_high=1 "
		  "events_low=999 negative=0 ring_a=1000 ring_b=1000 shape=0 "
		  "z_customers=1000");

	/* the two skipped, in the order tried (by oid: no references), with why */
	assert_int_equal(n_skipped, 2);
	assert_string_equal(skipped[0].table, "app.negative");
	if (!strstr(skipped[0].why, "negative_n_check"))
		fail_msg("negative skipped for: %s", skipped[0].why);
	assert_string_equal(skipped[1].table, "app.shape");
	if (!strstr(skipped[1].why, "p point"))
		fail_msg("shape skipped for: %s", skipped[1].why);

	/* every key finds its row: the customers were seeded first */
	assert_string_equal(value(conn, "SELECT count(*) FROM a_orders o LEFT JOIN z_customers c"
					" ON c.id = o.customer_id WHERE c.id IS NULL"),
			    "0");
	/* a self-reference: the row itself */
	assert_string_equal(value(conn, "SELECT count(*) FROM z_customers"
					" WHERE referrer IS DISTINCT FROM id"),
			    "0");
	/* the cycle is cut at one key (NULL), the other finds its rows */
	assert_string_equal(value(conn, "SELECT (SELECT count(a) FROM ring_b)"
					" + (SELECT count(b) FROM ring_a)"),
			    "1000");
	assert_string_equal(value(conn, "SELECT (SELECT count(*) FROM ring_b x LEFT JOIN ring_a y"
					" ON y.id = x.a WHERE x.a IS NOT NULL AND y.id IS NULL)"
					" + (SELECT count(*) FROM ring_a x LEFT JOIN ring_b y"
					" ON y.id = x.b WHERE x.b IS NOT NULL AND y.id IS NULL)"),
			    "0");

	/* the values, by type */
	assert_string_equal(
	    value(conn, "SELECT format('%s %s %s %s %s %s %s %s %s %s %s %s %s %s',"
			" min(id), max(id), max(length(code)), max(price), min(at), max(day),"
			" count(*) FILTER (WHERE paid), count(DISTINCT token), max(doc->>'g'),"
			" min(mood), max(tags::text), min(qty), count(DISTINCT note), count(spot))"
			" FROM a_orders"),
	    "1 1000 3 999.00 2000-01-01 00:00:01+00 2002-09-27 500 1000 999 ok {} 1 1000 0");
	assert_string_equal(value(conn, "SELECT format('%s %s', token, doc) FROM a_orders"
					" WHERE customer_id = 7"),
			    "8f14e45f-ceea-167a-5a36-dedd4bea2543 {\"g\": 7}");
	if (gen)
		assert_string_equal(value(conn, "SELECT count(*) FROM gen WHERE twice <> 2 * id"),
				    "0");
	PQfinish(conn);
}

static void test_zero_rows(void **state)
{
	struct pgs_error err = {{0}};
	PGconn *conn = fresh();

	(void)state;
	assert_int_equal(pgs_seed(conn, 0, on_skip, NULL, &err), 0);
	assert_int_equal(n_skipped, 0);
	assert_string_equal(value(conn, counts_sql), empty(conn));
	assert_int_equal(pgs_seed(conn, -1, on_skip, NULL, &err), -1);
	PQfinish(conn);
}

/* In the caller's transaction: its rollback takes the rows back. */
static void test_callers_transaction(void **state)
{
	struct pgs_error err = {{0}};
	PGconn *conn = fresh();

	(void)state;
	assert_int_equal(pgt_exec(conn, "BEGIN"), 0);
	assert_true(pgs_seed(conn, 10, on_skip, NULL, &err) > 0);
	assert_int_equal(PQtransactionStatus(conn), PQTRANS_INTRANS);
	assert_string_equal(value(conn, "SELECT count(*) FROM a_orders"), "10");
	assert_int_equal(pgt_exec(conn, "ROLLBACK"), 0);
	assert_string_equal(value(conn, counts_sql), empty(conn));
	PQfinish(conn);
}

static int group_setup(void **state)
{
	(void)state;
	admin = pgt_connect(NULL, "pgstage_test_seed");
	return admin ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	pgt_drop_db(admin, DB);
	PQfinish(admin);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_thousand_rows),
	    cmocka_unit_test(test_zero_rows),
	    cmocka_unit_test(test_callers_transaction),
	};
	return cmocka_run_group_tests_name("seed", tests, group_setup, group_teardown);
}
