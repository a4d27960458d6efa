/*
 * test_apply_backfill: the backfill loop of `pgstage apply` (exec/backfill.c)
 * stopped, held and blocked the ways production stops, holds and blocks it,
 * on `ALTER TABLE items ADD COLUMN b timestamptz NOT NULL DEFAULT
 * clock_timestamp()` over ROWS rows (100,000; PGS_APPLY_ROWS overrides). A
 * trigger counts every committed fill of b (NULL to a value) in fills, so
 * "exactly once" is a count, not a guess:
 *
 * - apply killed (SIGKILL) mid-backfill: what pgstage.backfills recorded is
 *   what committed (rows = fills = rows with b, last_key = the highest key
 *   with b); so it is too when apply and its sessions are killed while a
 *   batch's COMMIT is under way or while its state write waits (both made
 *   to last with locks the test holds): nothing of that batch is recorded;
 *   run again, it says it resumes after that key, and every row is filled
 *   exactly once, b NOT NULL at the end;
 * - SIGTERM mid-backfill: apply stops after the running batch with exit 5
 *   and says how far it got and to run the same command again; the state is
 *   as consistent, no session of it is left running, and the same command
 *   finishes the job exactly once;
 * - --pause-file and SIGUSR1/SIGUSR2: while paused no batch runs (batches
 *   stays put), apply says why it waits and, once going on, for how long;
 *   it then finishes (exit 0);
 * - another session holds SHARE on the table mid-backfill past the 2s
 *   lock_timeout: the batch times out, apply names the blocking pid, tries
 *   the batch again and finishes, every row filled exactly once;
 * - a streaming standby of the suite's server (tests/pg/cluster.sh standby)
 *   with its replay paused: once the WAL it has not replayed is older than
 *   --max-replica-lag, no batch starts (batches stays put) and apply says
 *   which standby lags and by how much, no more than the limit and one
 *   batch's worth; once replay goes on, so does the backfill, to the end;
 * - writers (two sessions inserting rows and updating others throughout, as
 *   the application would): none of their statements fails, every row ends
 *   with b, every row that existed is filled exactly once and none twice;
 *   the longest a writer statement waited is printed;
 * - --max-active 1 with two other sessions running a query: no batch starts
 *   until they end; apply says how many are active;
 * - on a terminal (script(1) gives it one), the progress is a bar redrawn in
 *   place: percentage, rows, rate and ETA;
 * - a password in the --db URL and in PGPASSWORD shows neither in the
 *   output (waiting and progress lines included) nor in pgstage.runs,
 *   pgstage.stages or pgstage.backfills.
 *
 * Needs PGHOST etc. (tests/pg/with-cluster.sh), PGSTAGE (./pgstage when
 * unset) and the source tree as working directory.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "tests/integration/pgtest.h"
#include "tests/integration/planfix.h"

#define APP_NAME "pgstage-test_apply_backfill"
#define APPLY_APP "pgstage apply" /* apply's sessions: "pgstage apply" and "(monitor)" */
#define DB_TEMPLATE "pgs_backfill_template"
#define DB "pgs_backfill_run"
#define DB2 "pgs_backfill_run2"
#define URL_SECRET "Sup3rS3cretPw"
#define ENV_SECRET "An0therS3cret"

static struct pgf_group group;
static long long rows_total = 100000;
static char ctx_file[128], mig_file[128], pause_file[128], log_file[128];

/* The apply running (0: none) and what it exited with once reaped. */
static pid_t child;
static int child_status;
static bool child_reaped;
static PGconn *conn, *holder;
static char standby_dir[64]; /* a standby running there, or "" */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* The apply's output so far, malloc-ed ("" when none). */
static char *output(void)
{
	char *out = pgf_read_file(log_file);

	return out ? out : strdup("");
}

static void fail_with_output(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Fail the test with a message and the apply's output. */
static void fail_with_output(const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	char *out = output();
	printf("--- apply's output ---\n%s--- end ---\n", out);
	free(out);
	fail_msg("%s", what);
}

/*
 * Start pgstage apply on db_arg (--db) with extra options (NULL-terminated),
 * its stdout and stderr to log_file; PGPASSWORD=pgpassword when not NULL.
 */
static void start_apply(const char *db_arg, const char *const *extra, const char *pgpassword)
{
	const char *argv[32] = {group.pgstage, "apply", "--no-config", "--db", db_arg, "--context",
				ctx_file};
	int n = 7;

	for (; extra && *extra && n < 30; extra++)
		argv[n++] = *extra;
	argv[n++] = mig_file;
	argv[n] = NULL;
	fflush(stdout);
	fflush(stderr);
	child_reaped = false;
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int fd = open(log_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(126);
		close(fd);
		if (pgpassword)
			setenv("PGPASSWORD", pgpassword, 1);
		else
			unsetenv("PGPASSWORD");
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
}

/* Whether the apply has exited (reaped: its status in child_status). */
static bool exited(void)
{
	if (child_reaped)
		return true;
	pid_t r = waitpid(child, &child_status, WNOHANG);
	if (r == child || (r < 0 && errno == ECHILD))
		child_reaped = true;
	return child_reaped;
}

/* Wait up to seconds for the apply to exit; its exit code (-signal when killed). */
static int wait_exit(double seconds)
{
	for (double until = now() + seconds; !exited();) {
		if (now() > until) {
			kill(child, SIGKILL);
			fail_with_output("apply still running after %.0f s", seconds);
		}
		sleep_ms(10);
	}
	child = 0;
	return WIFEXITED(child_status) ? WEXITSTATUS(child_status)
	       : WIFSIGNALED(child_status) ? -WTERMSIG(child_status)
					   : -1000;
}

/* Wait up to seconds for text in the apply's output (failing if it exits first). */
static void wait_output(const char *text, double seconds)
{
	for (double until = now() + seconds;;) {
		bool gone = exited();
		char *out = output();
		bool found = strstr(out, text) != NULL;
		free(out);
		if (found)
			return;
		if (gone)
			fail_with_output("apply exited (status 0x%x) before saying \"%s\"",
					 child_status, text);
		if (now() > until)
			fail_with_output("no \"%s\" after %.0f s", text, seconds);
		sleep_ms(10);
	}
}

/* The first column of sql's first row in buf; false (quietly) on an error or no row. */
static bool value_of(PGconn *c, const char *sql, char *buf, size_t size)
{
	PGresult *r = PQexec(c, sql);
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;

	snprintf(buf, size, "%s", ok ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return ok;
}

/* A number sql returns (it must work). */
static long long number(const char *sql)
{
	char buf[64];

	if (!value_of(conn, sql, buf, sizeof(buf)))
		fail_msg("no value from %s: %s", sql, PQerrorMessage(conn));
	return strtoll(buf, NULL, 10);
}

/* A column of apply's row in pgstage.backfills; -1 while there is none (yet). */
static long long backfill(const char *column)
{
	char sql[128], buf[64];

	snprintf(sql, sizeof(sql), "SELECT %s FROM pgstage.backfills", column);
	return value_of(conn, sql, buf, sizeof(buf)) && buf[0] ? strtoll(buf, NULL, 10) : -1;
}

/* Wait up to seconds until the backfill has changed more than min rows. */
static long long wait_rows(long long min, double seconds)
{
	for (double until = now() + seconds;;) {
		long long rows = backfill("rows");
		if (rows > min)
			return rows;
		if (exited())
			fail_with_output("apply exited (status 0x%x) with %lld rows recorded, "
					 "expected more than %lld",
					 child_status, rows, min);
		if (now() > until)
			fail_with_output("%lld rows recorded after %.0f s, expected more than %lld",
					 rows, seconds, min);
		sleep_ms(5);
	}
}

/* Sessions of apply on db (state = 'active' only, or all). */
static long long apply_sessions(const char *db, bool active)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM pg_stat_activity WHERE datname = '%s' AND "
		 "application_name LIKE '" APPLY_APP "%%'%s",
		 db, active ? " AND state = 'active'" : "");
	return number(sql);
}

/* Wait until a stopped apply's sessions on db are gone (a killed one's batch ends). */
static void wait_sessions_gone(const char *db)
{
	for (double until = now() + 30; apply_sessions(db, false);) {
		if (now() > until)
			fail_msg("apply's sessions on %s still there 30 s after it ended", db);
		sleep_ms(10);
	}
}

/*
 * What a stopped run recorded is what committed: rows = the fills counted =
 * the rows with b, and last_key the highest key with b. Returns last_key in
 * key[size] and the rows.
 */
static long long assert_consistent(char *key, size_t size)
{
	PGresult *r = PQexec(conn, "SELECT b.rows, (SELECT count(*) FROM fills), (SELECT count(*) "
				   "FROM items WHERE b IS NOT NULL), b.last_key, (SELECT max(id) "
				   "FROM items WHERE b IS NOT NULL)::text, b.pass FROM "
				   "pgstage.backfills b");

	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(r), 1);
	long long rows = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	printf("    recorded: %s rows, last key %s (pass %s); %s fills, %s rows with b, highest "
	       "key with b %s\n",
	       PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 5), PQgetvalue(r, 0, 1),
	       PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 4));
	if (strcmp(PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1)) != 0 ||
	    strcmp(PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 2)) != 0 ||
	    strcmp(PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4)) != 0 ||
	    strcmp(PQgetvalue(r, 0, 5), "1") != 0)
		fail_with_output("the recorded state is not what committed");
	/* the stop fell mid-backfill, not before or after it */
	if (rows <= rows_total / 10 || rows >= rows_total)
		fail_with_output("stopped with %lld of %lld rows: not mid-backfill", rows,
				 rows_total);
	snprintf(key, size, "%s", PQgetvalue(r, 0, 3));
	PQclear(r);
	return rows;
}

/* Every row has b, filled exactly once (by the trigger's count), b is NOT NULL. */
static void assert_complete(void)
{
	char expected[256], got[256];

	snprintf(expected, sizeof(expected), "0 %lld %lld true %lld", rows_total, rows_total,
		 rows_total);
	assert_true(value_of(conn,
			     "SELECT (SELECT count(*) FROM items WHERE b IS NULL) || ' ' || (SELECT "
			     "count(*) FROM fills) || ' ' || (SELECT count(DISTINCT id) FROM fills) "
			     "|| ' ' || (SELECT attnotnull FROM pg_attribute WHERE attrelid = "
			     "'items'::regclass AND attname = 'b') || ' ' || (SELECT rows FROM "
			     "pgstage.backfills)",
			     got, sizeof(got)));
	if (strcmp(got, expected) != 0)
		fail_with_output("rows without b, fills, distinct rows filled, b NOT NULL, rows "
				 "recorded: got \"%s\", expected \"%s\"",
				 got, expected);
}

/* Run apply again on db to the end: exit 0; its output (malloc-ed). */
static char *apply_again(const char *db_arg)
{
	start_apply(db_arg, NULL, NULL);
	int st = wait_exit(60);
	if (st != 0)
		fail_with_output("apply run again exited %d", st);
	return output();
}

/* Wait up to seconds until a session of apply waits for a lock; what it runs. */
static void wait_apply_blocked(double seconds, char *query, size_t size)
{
	for (double until = now() + seconds;;) {
		if (value_of(conn,
			     "SELECT wait_event || ': ' || left(query, 60) FROM pg_stat_activity WHERE datname "
			     "= '" DB "' AND application_name LIKE '" APPLY_APP "%' AND "
			     "wait_event_type = 'Lock'",
			     query, size))
			return;
		if (exited())
			fail_with_output("apply exited (status 0x%x) before it waited for the lock",
					 child_status);
		if (now() > until)
			fail_with_output("apply did not wait for the lock in %.0f s", seconds);
		sleep_ms(5);
	}
}

/*
 * Kill apply (SIGKILL) and end its sessions, as when its host dies: the
 * server does not finish the transaction they were in.
 */
static void kill_with_sessions(void)
{
	assert_int_equal(kill(child, SIGKILL), 0);
	assert_int_equal(wait_exit(10), -SIGKILL);
	assert_int_equal(pgt_exec(conn, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
					"WHERE datname = '" DB "' AND application_name LIKE '" APPLY_APP
					"%'"),
			 0);
	wait_sessions_gone(DB);
}

/* The recorded state is still last_key key with rows rows, and consistent. */
static void assert_unchanged(const char *key, long long rows)
{
	char now_key[64];
	long long now_rows = assert_consistent(now_key, sizeof(now_key));

	if (strcmp(now_key, key) != 0 || now_rows != rows)
		fail_with_output("the state moved from key %s, %lld rows to key %s, %lld rows "
				 "without a batch committed",
				 key, rows, now_key, now_rows);
}

/*
 * holder takes a lock with hold (in a transaction); apply, started again,
 * resumes (says expected) and waits on it; killed there with its sessions,
 * nothing of that batch may be recorded: the state stays at key and rows.
 */
static void kill_while_held(const char *hold, const char *const *opts, const char *expected,
			    const char *key, long long rows)
{
	char query[256];

	assert_int_equal(pgt_exec(holder, "BEGIN"), 0);
	assert_int_equal(pgt_exec(holder, hold), 0);
	start_apply("dbname=" DB, opts, NULL);
	wait_output(expected, 30);
	wait_apply_blocked(30, query, sizeof(query));
	printf("    killed while waiting for %s\n", query);
	kill_with_sessions();
	assert_int_equal(pgt_exec(holder, "ROLLBACK"), 0);
	assert_unchanged(key, rows);
}

static void test_killed_mid_backfill_resumes(void **state)
{
	static const char *const opts[] = {"--batch-time", "20ms", NULL};
	char key[64], expected[160];

	(void)state;
	start_apply("dbname=" DB, opts, NULL);
	wait_rows(rows_total / 10, 60);
	assert_int_equal(kill(child, SIGKILL), 0);
	assert_int_equal(wait_exit(10), -SIGKILL);
	/* the batch it was in ends with its session, uncommitted */
	wait_sessions_gone(DB);
	long long rows = assert_consistent(key, sizeof(key));
	snprintf(expected, sizeof(expected),
		 "stage 2/5: resuming pass 1 after key %s (%lld rows changed already)", key, rows);

	/*
	 * Killed at the two moments that matter, made to last: a batch's COMMIT
	 * under way (a deferred trigger waits for an advisory lock the test
	 * holds), and its state write waiting (the test locks the row of
	 * pgstage.backfills). Nothing of that batch may be recorded.
	 */
	assert_int_equal(pgt_exec(conn, "CREATE FUNCTION commit_gate() RETURNS trigger LANGUAGE "
					"plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock_shared("
					"4242); RETURN NULL; END $$"),
			 0);
	assert_int_equal(pgt_exec(conn, "CREATE CONSTRAINT TRIGGER commit_gate AFTER UPDATE ON "
					"items DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE "
					"FUNCTION commit_gate()"),
			 0);
	assert_non_null(holder = pgt_connect(DB, "pgstage-test-holder"));
	kill_while_held("SELECT pg_advisory_xact_lock(4242)", opts, expected, key, rows);
	kill_while_held("SELECT FROM pgstage.backfills FOR UPDATE", opts, expected, key, rows);

	char *out = apply_again("dbname=" DB);
	if (!strstr(out, expected))
		fail_with_output("no \"%s\"", expected);
	free(out);
	assert_complete();
}

static void test_sigterm_stops_after_the_batch(void **state)
{
	static const char *const opts[] = {"--batch-time", "20ms", NULL};
	char key[64], expected[256];

	(void)state;
	start_apply("dbname=" DB, opts, NULL);
	wait_rows(rows_total / 10, 60);
	assert_int_equal(kill(child, SIGTERM), 0);
	int st = wait_exit(30);
	if (st != 5)
		fail_with_output("exit %d after SIGTERM, expected 5", st);
	/* nothing of it still runs on the server once it has exited */
	assert_int_equal(apply_sessions(DB, true), 0);
	wait_sessions_gone(DB);
	long long rows = assert_consistent(key, sizeof(key));
	snprintf(expected, sizeof(expected),
		 "pgstage: stage 2/5: interrupted after %lld rows; run the same command again to "
		 "go on from key %s\n",
		 rows, key);
	char *out = output();
	if (!strstr(out, expected))
		fail_with_output("no \"%s\"", expected);
	free(out);

	out = apply_again("dbname=" DB);
	snprintf(expected, sizeof(expected), "resuming pass 1 after key %s (%lld rows", key, rows);
	if (!strstr(out, expected))
		fail_with_output("no \"%s\"", expected);
	free(out);
	assert_complete();
}

/* Over 1.5 s of a pause, no batch runs. */
static void assert_no_batch_while_paused(void)
{
	long long batches = backfill("batches"), rows = backfill("rows"),
		  fills = number("SELECT count(*) FROM fills");

	assert_true(batches >= 0);
	sleep_ms(1500);
	if (backfill("batches") != batches || backfill("rows") != rows ||
	    number("SELECT count(*) FROM fills") != fills)
		fail_with_output("batches ran while paused: %lld batches, %lld rows, %lld fills "
				 "before, %lld, %lld, %lld 1.5 s later",
				 batches, rows, fills, backfill("batches"), backfill("rows"),
				 number("SELECT count(*) FROM fills"));
	if (exited())
		fail_with_output("apply exited (status 0x%x) while paused", child_status);
}

/* Once what held it is gone: apply finishes (exit 0), says it went on, fills every row once. */
static void finishes_after_waiting(const char *after)
{
	int st = wait_exit(120);
	if (st != 0)
		fail_with_output("exit %d after %s", st, after);
	char *out = output();
	if (!strstr(out, "pgstage: stage 2/5: going on after waiting "))
		fail_with_output("no \"going on after waiting\" after %s", after);
	free(out);
	assert_complete();
}

static void test_pause_file_and_signals(void **state)
{
	const char *const file_opts[] = {"--pause-file", pause_file, NULL};
	static const char *const opts[] = {"--batch-time", "20ms", NULL};
	char waiting[256];

	(void)state;
	/* the pause file: held before the first batch */
	assert_int_equal(pgf_write_text(pause_file, "paused by the test\n"), 0);
	start_apply("dbname=" DB, file_opts, NULL);
	snprintf(waiting, sizeof(waiting), "pgstage: stage 2/5: waiting: paused while %s exists",
		 pause_file);
	wait_output(waiting, 30);
	assert_no_batch_while_paused();
	assert_int_equal(remove(pause_file), 0);
	finishes_after_waiting("the pause file went");

	/* SIGUSR1 mid-backfill, then SIGUSR2, on a fresh database */
	PQfinish(conn);
	assert_int_equal(pgt_create_copy(group.admin, DB_TEMPLATE, DB2), 0);
	assert_non_null(conn = pgt_connect(DB2, APP_NAME));
	start_apply("dbname=" DB2, opts, NULL);
	wait_rows(0, 60);
	assert_int_equal(kill(child, SIGUSR1), 0);
	wait_output("pgstage: stage 2/5: waiting: paused by SIGUSR1 (SIGUSR2 goes on)", 30);
	if (backfill("rows") >= rows_total)
		fail_with_output("the backfill was over before SIGUSR1");
	assert_no_batch_while_paused();
	assert_int_equal(kill(child, SIGUSR2), 0);
	finishes_after_waiting("SIGUSR2");
}

static void test_batch_lock_timeout_retried(void **state)
{
	static const char *const opts[] = {"--batch-time", "20ms", NULL};
	char expected[64];

	(void)state;
	start_apply("dbname=" DB, opts, NULL);
	wait_rows(0, 60);
	/* SHARE conflicts with the ROW EXCLUSIVE of a batch's UPDATE: the next batch waits */
	assert_non_null(holder = pgt_connect(DB, "pgstage-test-holder"));
	assert_int_equal(pgt_exec(holder, "BEGIN"), 0);
	assert_int_equal(pgt_exec(holder, "LOCK TABLE items IN SHARE MODE"), 0);
	if (backfill("rows") >= rows_total)
		fail_with_output("the backfill was over before the lock");
	/* held past the plan's lock_timeout of 2s: until apply says a batch timed out */
	wait_output("pgstage: stage 2/5: a batch: lock timeout", 30);
	snprintf(expected, sizeof(expected), "; blocked by pid %d (user", PQbackendPID(holder));
	assert_int_equal(pgt_exec(holder, "COMMIT"), 0);
	PQfinish(holder);
	holder = NULL;
	int st = wait_exit(60);
	if (st != 0)
		fail_with_output("exit %d after the lock was released", st);
	char *out = output();
	if (!strstr(out, expected) || !strstr(out, "trying again in"))
		fail_with_output("no \"%s ...\" nor \"trying again\"", expected);
	free(out);
	assert_complete();
}

/* tests/pg/cluster.sh standby PGHOST standby_dir, or stop standby_dir; its exit status. */
static int standby(bool start)
{
	char cmd[512];

	if (start)
		snprintf(cmd, sizeof(cmd), "tests/pg/cluster.sh standby '%s' '%s' >/dev/null 2>&1",
			 getenv("PGHOST"), standby_dir);
	else
		snprintf(cmd, sizeof(cmd), "tests/pg/cluster.sh stop '%s' >/dev/null 2>&1",
			 standby_dir);
	return system(cmd);
}

static void test_replica_lag_holds_batches(void **state)
{
	/* a limit well under the time the backfill takes (100,000 rows: over a second) */
	static const char *const opts[] = {"--max-replica-lag", "300ms", "--batch-time", "20ms",
					   NULL};
	char info[256];

	(void)state;
	snprintf(standby_dir, sizeof(standby_dir), "/tmp/pgs-standby.XXXXXX");
	assert_non_null(mkdtemp(standby_dir));
	assert_int_equal(chmod(standby_dir, 0755), 0);
	if (standby(true) != 0)
		fail_msg("tests/pg/cluster.sh standby did not start a standby in %s", standby_dir);
	snprintf(info, sizeof(info), "host=%s port=%s user=postgres dbname=postgres", standby_dir,
		 getenv("PGPORT") ? getenv("PGPORT") : "5432");
	PGconn *replica = PQconnectdb(info);
	assert_int_equal(PQstatus(replica), CONNECTION_OK);
	assert_int_equal(pgt_exec(replica, "SELECT pg_wal_replay_pause()"), 0);

	start_apply("dbname=" DB, opts, NULL);
	wait_output("waiting: standby pgstage_standby replays ", 60);
	char *out = output(), *at = strstr(out, "replays ");
	double lag = strtod(at + strlen("replays "), NULL);
	free(out);
	/* held at the first check past the limit: one batch of about 20 ms later at most
	 * (and the time a check takes) */
	if (lag < 0.3 || lag > 0.6)
		fail_with_output("held at a lag of %.2f s, not within a batch of the 0.3 s limit",
				 lag);
	printf("    held at a replay lag of %.2f s (limit 0.3 s)\n", lag);
	if (backfill("rows") >= rows_total)
		fail_with_output("the backfill was over before the standby lagged");
	assert_no_batch_while_paused();
	assert_int_equal(pgt_exec(replica, "SELECT pg_wal_replay_resume()"), 0);
	PQfinish(replica);
	finishes_after_waiting("replay went on");
}

struct writer {
	pthread_t thread;
	int n;
	atomic_bool *stop;
	long long statements, errors;
	double longest_ms;
	char first_error[256];
};

/* The application: insert a row of its own, update another, until told to stop. */
static void *write_rows(void *data)
{
	struct writer *w = data;
	PGconn *c = pgt_connect(DB, "pgstage-test-writer");
	unsigned seed = (unsigned)w->n * 7919u;

	for (long long k = 1; c && !atomic_load(w->stop); k++) {
		char sql[160];
		if (k % 2)
			snprintf(sql, sizeof(sql), "INSERT INTO items (id, n) VALUES (%lld, 1)",
				 rows_total * 10 + k * 2 + w->n);
		else
			snprintf(sql, sizeof(sql), "UPDATE items SET n = n + 1 WHERE id = %lld",
				 1 + (long long)(rand_r(&seed) % (unsigned)rows_total));
		double t = now();
		PGresult *r = PQexec(c, sql);
		double ms = (now() - t) * 1000;
		if (ms > w->longest_ms)
			w->longest_ms = ms;
		w->statements++;
		if (PQresultStatus(r) != PGRES_COMMAND_OK && w->errors++ == 0)
			snprintf(w->first_error, sizeof(w->first_error), "%s: %s", sql,
				 PQerrorMessage(c));
		PQclear(r);
	}
	if (!c)
		w->errors++;
	PQfinish(c);
	return NULL;
}

static void test_writers_never_fail_rows_filled_once(void **state)
{
	static const char *const opts[] = {"--batch-time", "50ms", NULL};
	atomic_bool stop;
	struct writer w[2] = {{.n = 0, .stop = &stop}, {.n = 1, .stop = &stop}};

	(void)state;
	atomic_init(&stop, false);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&w[i].thread, NULL, write_rows, &w[i]), 0);
	sleep_ms(300); /* busy before the migration starts */
	start_apply("dbname=" DB, opts, NULL);
	int st = wait_exit(120);
	sleep_ms(300); /* and after it ends */
	atomic_store(&stop, true);
	long long statements = 0, errors = 0;
	double longest = 0;
	for (int i = 0; i < 2; i++) {
		pthread_join(w[i].thread, NULL);
		statements += w[i].statements;
		errors += w[i].errors;
		if (w[i].errors)
			printf("    writer %d: %s", i + 1, w[i].first_error);
		if (w[i].longest_ms > longest)
			longest = w[i].longest_ms;
	}
	if (st != 0)
		fail_with_output("exit %d", st);
	if (errors)
		fail_msg("%lld of %lld writer statements failed", errors, statements);
	printf("    %lld writer statements, 0 failed; longest %.0f ms\n", statements, longest);
	/* rows the writers inserted before column b existed are filled too: once */
	if (number("SELECT count(*) FROM items WHERE b IS NULL") != 0)
		fail_msg("rows without b are left");
	if (number("SELECT count(*) - count(DISTINCT id) FROM fills") != 0)
		fail_msg("rows were filled twice");
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(DISTINCT id) FROM fills WHERE id <= %lld",
		 rows_total);
	if (number(sql) != rows_total)
		fail_msg("%lld of the %lld rows that existed were filled", number(sql), rows_total);
}

static void test_busy_server_holds_batches(void **state)
{
	static const char *const opts[] = {"--max-active", "1", "--batch-time", "20ms", NULL};
	PGconn *busy[2];

	(void)state;
	/* two sessions busy for a while before the backfill starts */
	for (int i = 0; i < 2; i++) {
		assert_non_null(busy[i] = pgt_connect(DB, "pgstage-test-busy"));
		assert_int_equal(PQsendQuery(busy[i], "SELECT pg_sleep(4)"), 1);
	}
	start_apply("dbname=" DB, opts, NULL);
	wait_output("waiting: 2 other sessions are active, over --max-active 1", 30);
	assert_no_batch_while_paused();
	/* they end: the backfill goes on */
	for (int i = 0; i < 2; i++) {
		PGresult *r;
		while ((r = PQgetResult(busy[i])))
			PQclear(r);
		PQfinish(busy[i]);
	}
	finishes_after_waiting("the busy sessions ended");
}

static void test_progress_bar_on_a_terminal(void **state)
{
	char cmd[2048], *out = NULL;

	(void)state;
	/* script(1) runs apply on a pseudo-terminal and copies what it writes */
	snprintf(cmd, sizeof(cmd),
		 "script -qec \"'%s' apply --no-config --db dbname=%s --batch-time 20ms --context "
		 "'%s' '%s'\" /dev/null",
		 group.pgstage, DB, ctx_file, mig_file);
	int st = pgf_run_capture(cmd, &out);
	if (st != 0 || !strstr(out, "\r\033[K[") || !strstr(out, "% stage 2/5 pass 1: ") ||
	    !strstr(out, " rows, ") || !strstr(out, " rows/s, ETA ") ||
	    !strstr(out, "done: 5 stages"))
		fail_msg("exit %d, no progress bar:\n%s", st, out ? out : "");
	free(out);
	assert_complete();
}

static void assert_no_secret(const char *text, const char *what)
{
	if (strstr(text, URL_SECRET) || strstr(text, ENV_SECRET))
		fail_with_output("a password shows in %s:\n%s", what, text);
}

static void test_secrets_never_shown(void **state)
{
	const char *const opts[] = {"--pause-file", pause_file, NULL};
	char waiting[256];

	(void)state;
	assert_int_equal(pgf_write_text(pause_file, "paused by the test\n"), 0);
	/* trust authentication: both passwords are ignored, and must never be shown */
	start_apply("postgresql:///" DB "?password=" URL_SECRET, opts, ENV_SECRET);
	snprintf(waiting, sizeof(waiting), "pgstage: stage 2/5: waiting: paused while %s exists",
		 pause_file);
	wait_output(waiting, 30);
	/* the progress line that says why it waits, on a log as soon as the reason changes */
	wait_output("pass 1: 0/", 30);
	assert_int_equal(remove(pause_file), 0);
	int st = wait_exit(60);
	if (st != 0)
		fail_with_output("exit %d", st);
	char *out = output();
	if (!strstr(out, "going on after waiting") || !strstr(out, "done: 5 stages"))
		fail_with_output("no \"going on after waiting\" nor \"done: 5 stages\"");
	assert_no_secret(out, "the output");
	free(out);
	assert_complete();

	char recorded[65536];
	assert_true(value_of(conn,
			     "SELECT coalesce((SELECT string_agg(t::text, ' ') FROM pgstage.runs t), "
			     "'-') || ' ' || coalesce((SELECT string_agg(t::text, ' ') FROM "
			     "pgstage.stages t), '-') || ' ' || coalesce((SELECT string_agg(t::text, "
			     "' ') FROM pgstage.backfills t), '-')",
			     recorded, sizeof(recorded)));
	assert_non_null(strstr(recorded, "default"));
	assert_no_secret(recorded, "pgstage.runs, pgstage.stages or pgstage.backfills");
}

/* A fresh copy of the template for each test. */
static int setup(void **state)
{
	(void)state;
	child = 0;
	if (pgt_create_copy(group.admin, DB_TEMPLATE, DB) != 0 ||
	    !(conn = pgt_connect(DB, APP_NAME)))
		return -1;
	return 0;
}

/* Never leave an apply running, a lock held, a database or a file behind. */
static int teardown(void **state)
{
	(void)state;
	if (child > 0 && !exited()) {
		kill(child, SIGKILL);
		(void)waitpid(child, NULL, 0);
	}
	child = 0;
	PQfinish(holder);
	holder = NULL;
	PQfinish(conn);
	conn = NULL;
	pgt_drop_db(group.admin, DB);
	pgt_drop_db(group.admin, DB2);
	if (standby_dir[0]) {
		(void)standby(false);
		standby_dir[0] = '\0';
	}
	(void)remove(pause_file);
	(void)remove(log_file);
	return 0;
}

static int group_setup(void **state)
{
	char sql[4096];
	const char *rows = getenv("PGS_APPLY_ROWS");

	(void)state;
	if (rows && *rows)
		rows_total = strtoll(rows, NULL, 10);
	if (rows_total < 100) {
		printf("PGS_APPLY_ROWS=%s: at least 100 rows\n", rows);
		return -1;
	}
	if (pgf_group_open(&group, APP_NAME, "pgs-apply-backfill") != 0)
		return -1;
	snprintf(ctx_file, sizeof(ctx_file), "%s/context.sql", group.tmpdir);
	snprintf(mig_file, sizeof(mig_file), "%s/migration.sql", group.tmpdir);
	snprintf(pause_file, sizeof(pause_file), "%s/pause", group.tmpdir);
	snprintf(log_file, sizeof(log_file), "%s/apply.log", group.tmpdir);
	if (pgf_write_text(ctx_file, "CREATE TABLE items (id bigint PRIMARY KEY, n int);\n") ||
	    pgf_write_text(mig_file, "ALTER TABLE items ADD COLUMN b timestamptz NOT NULL DEFAULT "
				     "clock_timestamp();\n"))
		return -1;
	/* the template: items of rows_total rows, and the count of fills of b */
	if (pgt_drop_database(group.admin, DB_TEMPLATE) ||
	    pgt_exec(group.admin, "CREATE DATABASE " DB_TEMPLATE))
		return -1;
	PGconn *c = pgt_connect(DB_TEMPLATE, APP_NAME);
	snprintf(sql, sizeof(sql),
		 "CREATE TABLE items (id bigint PRIMARY KEY, n int);\n"
		 "INSERT INTO items SELECT g, g %% 1000 FROM generate_series(1, %lld) g;\n"
		 "ANALYZE items;\n"
		 "CREATE TABLE fills (id bigint);\n"
		 /* b from NULL to a value, committed: a rolled-back batch's fills go too */
		 "CREATE FUNCTION count_fill() RETURNS trigger LANGUAGE plpgsql AS $$\n"
		 "BEGIN\n"
		 "  IF to_jsonb(OLD)->'b' = 'null'::jsonb AND to_jsonb(NEW)->'b' <> 'null'::jsonb "
		 "THEN\n"
		 "    INSERT INTO fills VALUES (NEW.id);\n"
		 "  END IF;\n"
		 "  RETURN NULL;\n"
		 "END $$;\n"
		 "CREATE TRIGGER count_fill AFTER UPDATE ON items FOR EACH ROW EXECUTE FUNCTION "
		 "count_fill();\n",
		 rows_total);
	int rc = c ? pgt_exec_script(c, sql) : -1;
	PQfinish(c);
	return rc;
}

static int group_teardown(void **state)
{
	(void)state;
	if (group.admin)
		pgt_drop_db(group.admin, DB_TEMPLATE);
	(void)remove(ctx_file);
	(void)remove(mig_file);
	pgf_group_close(&group);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_killed_mid_backfill_resumes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sigterm_stops_after_the_batch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pause_file_and_signals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_lock_timeout_retried, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replica_lag_holds_batches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_writers_never_fail_rows_filled_once, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_busy_server_holds_batches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_progress_bar_on_a_terminal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secrets_never_shown, setup, teardown),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests_name("apply_backfill", tests, group_setup, group_teardown);
}
