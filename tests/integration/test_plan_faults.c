/*
 * test_plan_faults: `pgstage plan` scripts run through psql as users run
 * them, with the faults of a busy production database injected, each with
 * its exact expected outcome:
 *
 * - another session holds a lock the first stage needs: the script stops at
 *   that stage after the stage's lock_timeout, exit 3; once the lock is
 *   released, the same command finishes the plan;
 * - the role's statement_timeout is 1s (5ms for the build): a backfill, a
 *   CONCURRENTLY build that waits for an old transaction and a VALIDATE,
 *   each longer, still complete (their stages set statement_timeout = 0,
 *   and the script's own queries run under the plan's timeouts);
 * - psql is killed (SIGKILL) in the middle of a backfill and its backend
 *   ends: running the script again fills every row, and no row filled
 *   before the kill gets a new value (a volatile default is drawn once);
 * - a NULL the application wrote before VALIDATE: VALIDATE fails, the
 *   script stops before SET NOT NULL (nothing scans under ACCESS
 *   EXCLUSIVE), exit 3; once the row is fixed, the same command finishes;
 * - a CONCURRENTLY build fails (a duplicate) or is cancelled: it leaves an
 *   INVALID index; running again drops it and builds a valid one;
 * - a row lock held longer than the lock_timeout during a backfill: the
 *   batch waits, times out, retries, and the backfill completes;
 * - every finished plan run again exits 0 and changes nothing.
 *
 * Needs PGHOST etc. (tests/pg/with-cluster.sh), PGSTAGE (./pgstage when
 * unset), the source tree as working directory, and psql.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "tests/integration/pgtest.h"
#include "tests/integration/planfix.h"

#define APP_NAME "pgstage-test_plan_faults"
#define PSQL_APP "pgstage-fault-psql"
#define DB "pgs_fault"
#define CONTEXT "fixtures/plan/context_schema.sql"

static struct pgf_group group;
static PGconn *admin, *conn;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ---- set-up ---- */

/* DB afresh with the context's tables (rows of them), then extra SQL; conn connected to it. */
static void make_db(const char *rows, const char *extra)
{
	static char context_opt[] = "--context", context_path[] = CONTEXT;
	struct pgf_fixture fx;

	memset(&fx, 0, sizeof(fx));
	fx.args[fx.n_args++] = context_opt;
	fx.args[fx.n_args++] = context_path;
	PQfinish(conn);
	conn = NULL;
	assert_int_equal(pgf_build_context(admin, &fx, DB, rows), 0);
	assert_non_null(conn = pgt_connect(DB, APP_NAME));
	assert_int_equal(pgt_exec(conn, "SET client_min_messages = warning"), 0);
	if (extra)
		assert_int_equal(pgt_exec_script(conn, extra), 0);
}

/* The plan of migration (SQL) with the context, written to a file; its path. */
static const char *plan_file(const char *migration)
{
	static char script[300];
	char input[300], cmd[1024], *out = NULL;

	snprintf(input, sizeof(input), "%s/migration.sql", group.tmpdir);
	snprintf(script, sizeof(script), "%s/plan.sql", group.tmpdir);
	assert_int_equal(pgf_write_text(input, migration), 0);
	snprintf(cmd, sizeof(cmd), "'%s' plan --no-config --context %s '%s'", group.pgstage, CONTEXT,
		 input);
	assert_int_equal(pgf_run_capture(cmd, &out), 0);
	assert_int_equal(pgf_write_text(script, out), 0);
	free(out);
	return script;
}

/* psql -f file on DB as a user runs it (env: more environment, or ""); its exit status. */
static int run_script(const char *file, const char *env, char **out)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s PGAPPNAME=%s '%s' -X -q -d %s -f '%s' 2>&1", env,
		 PSQL_APP, group.psql, DB, file);
	int st = pgf_run_capture(cmd, out);
	printf("    psql exits with %d\n", st);
	return st;
}

/* Runs the script and expects exit 0; frees the output. */
static void finish(const char *file)
{
	char *out = NULL;
	int st = run_script(file, "", &out);

	if (st != 0)
		printf("%s", out ? out : "");
	free(out);
	assert_int_equal(st, 0);
}

/* The one value of sql on conn (a static buffer), failing the test on error. */
static const char *value(const char *sql)
{
	static char buf[4096];
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		fail_msg("%s: %s", sql, PQresultErrorMessage(res));
	snprintf(buf, sizeof(buf), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return buf;
}

/* The number sql gives on conn. */
static long number(const char *sql)
{
	return strtol(value(sql), NULL, 10);
}

/* The catalog and every row of the database, to compare before and after a run. */
static char *state(void)
{
	char *cat = pgf_catalog_lines(conn);
	const char *rows = value("SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM "
				 "(SELECT to_jsonb(u) AS t FROM users u UNION ALL SELECT "
				 "to_jsonb(o) FROM orders o) AS all_rows");
	size_t n = strlen(cat) + strlen(rows) + 2;
	char *out = malloc(n);

	assert_non_null(out);
	snprintf(out, n, "%s\n%s", cat, rows);
	free(cat);
	return out;
}

/* A finished plan run again: exit 0, every stage done already, nothing changed. */
static void run_again_changes_nothing(const char *file)
{
	char *before = state(), *out = NULL, *after;
	int st = run_script(file, "", &out);

	after = state();
	if (st != 0 || strcmp(before, after) != 0)
		printf("%s", out ? out : "");
	assert_int_equal(st, 0);
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(out);
}

/* ---- a second session that holds something for a while ---- */

struct holder {
	pthread_t thread;
	const char *sql; /* run in a transaction, held for ms, then committed */
	int ms;
	PGconn *conn;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool holding, failed;
};

static void *hold_main(void *data)
{
	struct holder *h = data;

	h->failed = pgt_exec(h->conn, "BEGIN") != 0 || pgt_exec(h->conn, h->sql) != 0;
	pthread_mutex_lock(&h->mu);
	h->holding = true;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	usleep((useconds_t)h->ms * 1000);
	(void)pgt_exec(h->conn, "COMMIT");
	return NULL;
}

/* Start holding; returns once the second session holds it. */
static void hold(struct holder *h, const char *sql, int ms)
{
	memset(h, 0, sizeof(*h));
	h->sql = sql;
	h->ms = ms;
	assert_non_null(h->conn = pgt_connect(DB, "pgstage-fault-holder"));
	/* the application's session: not under a timeout a test sets for the role */
	assert_int_equal(pgt_exec(h->conn, "SET statement_timeout = 0"), 0);
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	assert_int_equal(pthread_create(&h->thread, NULL, hold_main, h), 0);
	pthread_mutex_lock(&h->mu);
	while (!h->holding)
		pthread_cond_wait(&h->cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
	assert_false(h->failed);
}

static void release_holder(struct holder *h)
{
	pthread_join(h->thread, NULL);
	PQfinish(h->conn);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
}

/* ---- the faults ---- */

/* Rows filled slowly, so a stage takes longer than the faults' timeouts. */
static const char slow_functions[] =
	"CREATE FUNCTION slow_uuid() RETURNS uuid LANGUAGE sql AS\n"
	"  'SELECT gen_random_uuid() FROM pg_sleep(0.001)';\n"
	"CREATE FUNCTION slow_positive(bigint) RETURNS boolean IMMUTABLE LANGUAGE sql AS\n"
	"  'SELECT $1 > 0 FROM pg_sleep(0.001)';\n";

static void test_held_lock_stops_then_run_again_finishes(void **state)
{
	struct holder h;
	char *out = NULL;

	(void)state;
	make_db(NULL, NULL);
	const char *file =
		plan_file("ALTER TABLE users ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();\n");
	/* an application transaction that has written to users and stays open */
	hold(&h, "UPDATE users SET email = email WHERE id = 1", 4000);
	double t0 = now_ms();
	int st = run_script(file, "", &out);
	double took = now_ms() - t0;
	printf("%s", out);
	assert_int_equal(st, 3);
	assert_non_null(strstr(out, "pgstage: stage 1/5: transactional"));
	assert_non_null(strstr(out, "canceling statement due to lock timeout"));
	assert_null(strstr(out, "pgstage: stage 2/5"));
	/* the stage's own lock_timeout (2s), not the session's (none) */
	assert_true(took >= 1900 && took < 3900);
	assert_string_equal(value("SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass "
				  "AND attname = 'token'"),
			    "0");
	free(out);
	release_holder(&h);
	finish(file);
	assert_string_equal(value("SELECT count(*) FROM users WHERE token IS NULL"), "0");
	assert_string_equal(value("SELECT attnotnull FROM pg_attribute WHERE attrelid = "
				  "'users'::regclass AND attname = 'token'"),
			    "t");
	assert_string_equal(value("SELECT count(*) FROM pg_constraint WHERE conrelid = "
				  "'users'::regclass AND contype = 'c'"),
			    "0");
	run_again_changes_nothing(file);
}

/* The role's statement_timeout in DB is value: what a new session sees. */
static void role_statement_timeout(const char *value)
{
	char sql[256], *out = NULL, cmd[1024], expected[32];

	snprintf(sql, sizeof(sql),
		 "ALTER ROLE CURRENT_USER IN DATABASE %s SET statement_timeout = '%s'", DB, value);
	assert_int_equal(pgt_exec(admin, sql), 0);
	snprintf(cmd, sizeof(cmd), "'%s' -X -A -t -d %s -c 'SHOW statement_timeout'", group.psql, DB);
	assert_int_equal(pgf_run_capture(cmd, &out), 0);
	snprintf(expected, sizeof(expected), "%s\n", value);
	assert_string_equal(out, expected);
	free(out);
}

static void reset_role(void)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "ALTER ROLE CURRENT_USER IN DATABASE %s RESET statement_timeout",
		 DB);
	assert_int_equal(pgt_exec(admin, sql), 0);
}

static void test_role_statement_timeout_backfill(void **state)
{
	(void)state;
	make_db("1500", slow_functions); /* 1500 rows, 1 ms each: the backfill takes 1.5 s+ */
	role_statement_timeout("1s");
	const char *file = plan_file("ALTER TABLE users ADD COLUMN token uuid DEFAULT slow_uuid();\n");
	double t0 = now_ms();
	finish(file);
	printf("    the backfill stage ran %.1f s under a role statement_timeout of 1s\n",
	       (now_ms() - t0) / 1000.0);
	assert_true(now_ms() - t0 > 1500);
	assert_string_equal(value("SELECT count(*) FROM users WHERE token IS NULL"), "0");
	reset_role();
}

static void test_role_statement_timeout_concurrent_build(void **state)
{
	struct holder h;

	(void)state;
	make_db(NULL, NULL);
	role_statement_timeout("5ms"); /* the script's own queries must not be cut either */
	const char *file = plan_file("CREATE INDEX users_email_idx ON users (email);\n");
	/* CREATE INDEX CONCURRENTLY waits for this transaction: 2.5 s */
	hold(&h, "UPDATE users SET email = email WHERE id = 1", 2500);
	double t0 = now_ms();
	finish(file);
	double took = now_ms() - t0;
	printf("    the build waited %.1f s under a role statement_timeout of 5ms\n",
	       took / 1000.0);
	release_holder(&h);
	assert_true(took > 2000);
	assert_string_equal(value("SELECT indisvalid FROM pg_index WHERE indexrelid = "
				  "'users_email_idx'::regclass"),
			    "t");
	reset_role();
}

static void test_role_statement_timeout_validate(void **state)
{
	(void)state;
	make_db("1500", slow_functions); /* 1800 orders, 1 ms each: VALIDATE takes 1.8 s+ */
	role_statement_timeout("1s");
	const char *file =
		plan_file("ALTER TABLE orders ADD CONSTRAINT orders_slow CHECK (slow_positive(id));\n");
	double t0 = now_ms();
	finish(file);
	printf("    VALIDATE ran %.1f s under a role statement_timeout of 1s\n",
	       (now_ms() - t0) / 1000.0);
	assert_true(now_ms() - t0 > 2000);
	assert_string_equal(value("SELECT convalidated FROM pg_constraint WHERE conname = "
				  "'orders_slow'"),
			    "t");
	reset_role();
}

/* Start psql on file in the background; its pid. */
static pid_t start_script(const char *file)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char cmd[1024];
		snprintf(cmd, sizeof(cmd),
			 "exec env PGAPPNAME=%s '%s' -X -q -d %s -f '%s' >/dev/null 2>&1", PSQL_APP,
			 group.psql, DB, file);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void test_killed_psql_mid_backfill(void **state)
{
	(void)state;
	make_db("2500", slow_functions); /* three batches of 1 s or more */
	const char *file = plan_file("ALTER TABLE users ADD COLUMN token uuid DEFAULT slow_uuid();\n");
	pid_t pid = start_script(file);
	long filled = 0;
	for (int i = 0; i < 400 && filled < 1000; i++) {
		usleep(25000);
		if (number("SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass "
			       "AND attname = 'token'"))
			filled = number("SELECT count(token) FROM users");
	}
	assert_true(filled >= 1000);
	assert_int_equal(kill(pid, SIGKILL), 0);
	(void)waitpid(pid, NULL, 0);
	/* the connection is gone: its backend ends (mid-batch) */
	assert_int_equal(pgt_exec(conn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
					"WHERE application_name = '" PSQL_APP "'"),
			 0);
	for (int i = 0; i < 200 && number("SELECT count(*) FROM pg_stat_activity WHERE "
					      "application_name = '" PSQL_APP "'"); i++)
		usleep(25000);
	long done = number("SELECT count(token) FROM users");
	printf("    killed with %ld of 2500 rows filled\n", done);
	assert_true(done >= 1000 && done < 2500);
	assert_int_equal(pgt_exec(conn, "CREATE TABLE filled_before AS SELECT id, token FROM users "
					"WHERE token IS NOT NULL"),
			 0);
	finish(file);
	assert_string_equal(value("SELECT count(*) FROM users WHERE token IS NULL"), "0");
	/* a row filled before the kill keeps the value it got */
	assert_string_equal(value("SELECT count(*) FROM filled_before b JOIN users u USING (id) "
				  "WHERE u.token IS DISTINCT FROM b.token"),
			    "0");
	assert_int_equal(pgt_exec(conn, "DROP TABLE filled_before"), 0);
	run_again_changes_nothing(file);
}

static void test_null_before_validate(void **state)
{
	char *out = NULL;

	(void)state;
	make_db(NULL, NULL);
	const char *file = plan_file("ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n");
	/* the application wrote a NULL before the plan's VALIDATE */
	assert_int_equal(pgt_exec(conn, "INSERT INTO users (id, email) VALUES (999999, NULL)"), 0);
	int st = run_script(file, "", &out);
	printf("%s", out);
	assert_int_equal(st, 3);
	assert_non_null(strstr(out, "pgstage: stage 2/3: transactional: validate"));
	assert_non_null(strstr(out, "is violated by some row"));
	assert_null(strstr(out, "pgstage: stage 3/3"));
	/* SET NOT NULL (the scan under ACCESS EXCLUSIVE before 12) did not run */
	assert_string_equal(value("SELECT attnotnull FROM pg_attribute WHERE attrelid = "
				  "'users'::regclass AND attname = 'email'"),
			    "f");
	assert_string_equal(value("SELECT convalidated FROM pg_constraint WHERE conname = "
				  "'users_email_pgstage_not_null'"),
			    "f");
	free(out);
	assert_int_equal(pgt_exec(conn, "UPDATE users SET email = 'fixed' WHERE email IS NULL"), 0);
	finish(file);
	assert_string_equal(value("SELECT attnotnull FROM pg_attribute WHERE attrelid = "
				  "'users'::regclass AND attname = 'email'"),
			    "t");
	assert_string_equal(value("SELECT count(*) FROM pg_constraint WHERE conname = "
				  "'users_email_pgstage_not_null'"),
			    "0");
	run_again_changes_nothing(file);
}

static const char *index_count_sql = "SELECT count(*) FILTER (WHERE indisvalid) || '/' || "
				     "count(*) FROM pg_index WHERE indrelid = 'users'::regclass";

static void test_failed_concurrent_build(void **state)
{
	char *out = NULL;

	(void)state;
	make_db(NULL, NULL);
	const char *file = plan_file("ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\n");
	assert_int_equal(pgt_exec(conn, "UPDATE users SET email = 'dup@example.com' WHERE id IN (7, 8)"),
			 0);
	int st = run_script(file, "", &out);
	printf("%s", out);
	assert_int_equal(st, 3);
	assert_non_null(strstr(out, "could not create unique index"));
	/* the failed build left users_email_key INVALID beside the primary key */
	assert_string_equal(value(index_count_sql), "1/2");
	free(out);
	assert_int_equal(pgt_exec(conn, "UPDATE users SET email = 'seven@example.com' WHERE id = 7"),
			 0);
	finish(file);
	assert_string_equal(value(index_count_sql), "2/2");
	assert_string_equal(value("SELECT count(*) FROM pg_constraint WHERE conname = "
				  "'users_email_key' AND contype = 'u'"),
			    "1");
	run_again_changes_nothing(file);
}

static void test_cancelled_concurrent_build(void **state)
{
	struct holder h;

	(void)state;
	make_db(NULL, NULL);
	const char *file = plan_file("CREATE INDEX users_email_idx ON users (email);\n");
	hold(&h, "UPDATE users SET email = email WHERE id = 1", 3000);
	pid_t pid = start_script(file);
	/* the build waits for the held transaction: cancel it there */
	long cancelled = 0;
	for (int i = 0; i < 200 && !cancelled; i++) {
		usleep(25000);
		cancelled = number("SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity "
				       "WHERE application_name = '" PSQL_APP "' AND query LIKE "
				       "'%CREATE INDEX CONCURRENTLY%' AND wait_event_type = 'Lock'");
	}
	assert_int_equal(cancelled, 1);
	int status = 0;
	(void)waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	release_holder(&h);
	assert_string_equal(value(index_count_sql), "1/2");
	finish(file);
	assert_string_equal(value(index_count_sql), "2/2");
	assert_string_equal(value("SELECT indisvalid FROM pg_index WHERE indexrelid = "
				  "'users_email_idx'::regclass"),
			    "t");
	run_again_changes_nothing(file);
}

static void test_backfill_waits_out_a_row_lock(void **state)
{
	struct holder h;
	char *out = NULL;

	(void)state;
	make_db(NULL, NULL);
	const char *file =
		plan_file("ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\n");
	/* stage 1 (the column) first, then a row of the first batch locked for 3 s:
	 * longer than the 2 s lock_timeout of each try */
	assert_int_equal(pgt_exec(conn, "ALTER TABLE users ADD COLUMN token uuid; ALTER TABLE users "
					"ALTER COLUMN token SET DEFAULT gen_random_uuid()"),
			 0);
	hold(&h, "UPDATE users SET email = email WHERE id = 500", 3000);
	double t0 = now_ms();
	int st = run_script(file, "", &out);
	double took = now_ms() - t0;
	release_holder(&h);
	if (st != 0)
		printf("%s", out);
	free(out);
	assert_int_equal(st, 0);
	assert_true(took > 2000); /* it did wait, and timed out once at least */
	assert_string_equal(value("SELECT count(*) FROM users WHERE token IS NULL"), "0");
	run_again_changes_nothing(file);
}

static int group_setup(void **state)
{
	(void)state;
	if (pgf_group_open(&group, APP_NAME, "pgs-plan-faults") != 0)
		return -1;
	admin = group.admin;
	return 0;
}

static int group_teardown(void **state)
{
	char path[400];

	(void)state;
	PQfinish(conn);
	pgt_drop_db(admin, DB);
	snprintf(path, sizeof(path), "%s/migration.sql", group.tmpdir);
	(void)remove(path);
	snprintf(path, sizeof(path), "%s/plan.sql", group.tmpdir);
	(void)remove(path);
	pgf_group_close(&group);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held_lock_stops_then_run_again_finishes),
		cmocka_unit_test(test_role_statement_timeout_backfill),
		cmocka_unit_test(test_role_statement_timeout_concurrent_build),
		cmocka_unit_test(test_role_statement_timeout_validate),
		cmocka_unit_test(test_killed_psql_mid_backfill),
		cmocka_unit_test(test_null_before_validate),
		cmocka_unit_test(test_failed_concurrent_build),
		cmocka_unit_test(test_cancelled_concurrent_build),
		cmocka_unit_test(test_backfill_waits_out_a_row_lock),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
