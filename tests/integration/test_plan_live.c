/*
 * test_plan_live: every plan fixture (fixtures/plan/<case>.sql) run through
 * psql, as a user runs the script, on tables of PGS_LIVE_ROWS rows (100,000
 * unless set; `make check-live` runs 1,000,000) while writer sessions
 * insert, update and delete rows the way the application does: before the
 * first checkpoint the statements the context files declare (`-- writer`),
 * after checkpoint N those of phase N+1 the fixture declares (see
 * tests/integration/planfix.h). At each checkpoint the writers move to the
 * next phase first (the deploy), then the fixture's checkpoint SQL runs, then
 * the script runs again with -v pgstage_phase=N+1.
 *
 * It asserts, per fixture:
 * - no writer statement failed, ever (each one is counted, each failure
 *   printed with its error);
 * - every `-- live check` declared for a checkpoint or for the end counts 0
 *   wrong rows (e.g. a column and its expand/contract copy equal);
 * - every table ends with the rows the writers' own tally says: the rows it
 *   had before, plus those they inserted, minus those they deleted;
 * - no column holds a NULL where the migration as written, run on a copy
 *   of the same rows without writers (ORIGINAL), leaves none;
 * and prints the longest time one writer statement took (its stall).
 *
 * With PGS_LIVE_RUNNER=original the migration as written runs instead, under
 * the same writers, and only their errors and longest stall are reported
 * (make bench compares them with apply's).
 *
 * With PGS_LIVE_RUNNER=apply the plan runs through `pgstage apply --plan`
 * (its JSON form) instead of psql, going on at each checkpoint with
 * --continue: apply's own backfill batches under the same writers. Only the
 * fixtures whose plan has a backfill run then.
 *
 * Needs PGHOST etc. (tests/pg/with-cluster.sh), PGSTAGE (./pgstage when
 * unset), the source tree as working directory, and psql. PGS_PLAN_ONLY=TEXT
 * runs only the fixtures whose name contains TEXT.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "tests/integration/pgtest.h"
#include "tests/integration/planfix.h"

#define APP_NAME "pgstage-test_plan_live"
#define DB_LIVE "pgs_live"
#define DB_ORIGINAL "pgs_live_original"
#define FIXTURE_GLOB "fixtures/plan/*.sql"
#define MAX_FIXTURES 256
#define N_WRITERS 4
#define MAX_PHASES 16
#define MAX_LABELS 16
#define INT8OID 20

static struct pgf_group group;
static char rows[32] = "100000";
static bool by_apply;	 /* PGS_LIVE_RUNNER=apply */
static bool as_written; /* PGS_LIVE_RUNNER=original: the migration itself, for make bench */
static PGconn *admin;
static struct pgf_fixture fixtures[MAX_FIXTURES];
static size_t n_fixtures;

/* ---- a fixture's report ---- */

struct report {
	const struct pgf_fixture *fx;
	int problems;
};

static void problem(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct report *r, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL [%s] ", r->fx->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	r->problems++;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ---- the application: writer sessions ---- */

struct statement {
	const char *label, *sql;
};

/* What the application runs in one phase: every declared statement in force. */
struct phase_sql {
	struct statement items[PGF_MAX_WRITERS];
	size_t n;
};

struct tally {
	long long inserted, deleted;
};

struct writer {
	pthread_t thread;
	int id;
	PGconn *conn;
	struct live *live;
	unsigned seed;
	atomic_int seen_phase;
	long long statements, errors, next_key;
	char first_errors[3][600];
	double max_ms;
	char max_sql[200];
	struct tally tallies[MAX_LABELS]; /* by index in live->labels */
	long long *own_keys;
	size_t n_own, cap_own;
};

struct live {
	const struct pgf_fixture *fx;
	struct phase_sql phases[MAX_PHASES + 1]; /* 1..MAX_PHASES */
	const char *labels[MAX_LABELS];
	size_t n_labels;
	long long rows;
	atomic_int phase;
	atomic_bool stop;
	struct writer writers[N_WRITERS];
};

static size_t label_index(struct live *l, const char *label)
{
	for (size_t i = 0; i < l->n_labels; i++)
		if (strcmp(l->labels[i], label) == 0)
			return i;
	if (l->n_labels < MAX_LABELS)
		l->labels[l->n_labels++] = label;
	return l->n_labels - 1;
}

/* For each phase, per label, the statements of the latest declaration at or before it. */
static void plan_phases(struct live *l)
{
	const struct pgf_fixture *fx = l->fx;

	for (int i = 0; i < fx->n_writers; i++)
		(void)label_index(l, fx->writers[i].label);
	for (int p = 1; p <= MAX_PHASES; p++) {
		struct phase_sql *ps = &l->phases[p];
		for (size_t k = 0; k < l->n_labels; k++) {
			int latest = 0;
			for (int i = 0; i < fx->n_writers; i++)
				if (strcmp(fx->writers[i].label, l->labels[k]) == 0 &&
				    fx->writers[i].phase <= p && fx->writers[i].phase > latest)
					latest = fx->writers[i].phase;
			for (int i = 0; latest && i < fx->n_writers; i++)
				if (strcmp(fx->writers[i].label, l->labels[k]) == 0 &&
				    fx->writers[i].phase == latest && fx->writers[i].sql)
					ps->items[ps->n++] =
						(struct statement){l->labels[k], fx->writers[i].sql};
		}
	}
}

static void record_error(struct writer *w, const char *sql, const char *error)
{
	if (w->errors < 3) {
		char line[200];
		snprintf(w->first_errors[w->errors], sizeof(w->first_errors[0]), "%s\n      %s",
			 pgf_one_line(sql, line, sizeof(line)), error);
	}
	w->errors++;
}

static void run_one(struct writer *w, const struct statement *st)
{
	struct live *l = w->live;
	char p1[32], p2[32], p3[32], p4[32];
	long long key = 1000000000LL + (long long)w->id * 100000000LL + ++w->next_key;
	long long own = w->n_own ? w->own_keys[(size_t)rand_r(&w->seed) % w->n_own] : 0;
	const char *values[4] = {p1, p2, p3, p4};
	const Oid types[4] = {INT8OID, INT8OID, INT8OID, INT8OID};

	snprintf(p1, sizeof(p1), "%lld", key);
	snprintf(p2, sizeof(p2), "%lld", 1 + (long long)rand_r(&w->seed) % l->rows);
	snprintf(p3, sizeof(p3), "%d", rand_r(&w->seed) % 1000);
	snprintf(p4, sizeof(p4), "%lld", own);
	double t0 = now_ms();
	PGresult *res = PQexecParams(w->conn, st->sql, 4, types, values, NULL, NULL, 0);
	double took = now_ms() - t0;
	ExecStatusType status = PQresultStatus(res);

	w->statements++;
	if (took > w->max_ms) {
		w->max_ms = took;
		pgf_one_line(st->sql, w->max_sql, sizeof(w->max_sql));
	}
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		record_error(w, st->sql, PQresultErrorMessage(res));
	} else {
		long long n = strtoll(PQcmdTuples(res), NULL, 10);
		struct tally *t = &w->tallies[label_index(l, st->label)];
		if (strncmp(PQcmdStatus(res), "INSERT", 6) == 0) {
			t->inserted += n;
			if (n == 1 && w->n_own < 100000) {
				if (w->n_own == w->cap_own) {
					w->cap_own = w->cap_own ? w->cap_own * 2 : 256;
					w->own_keys = realloc(w->own_keys,
							      w->cap_own * sizeof(*w->own_keys));
				}
				if (w->own_keys)
					w->own_keys[w->n_own++] = key;
			}
		} else if (strncmp(PQcmdStatus(res), "DELETE", 6) == 0) {
			t->deleted += n;
		}
	}
	PQclear(res);
}

static void *writer_main(void *data)
{
	struct writer *w = data;
	struct live *l = w->live;

	while (!atomic_load(&l->stop)) {
		int p = atomic_load(&l->phase);
		/* from here on no statement of an earlier phase is running */
		atomic_store(&w->seen_phase, p);
		const struct phase_sql *ps = &l->phases[p];
		if (ps->n)
			run_one(w, &ps->items[(size_t)rand_r(&w->seed) % ps->n]);
		usleep(2000); /* think time: about 500 statements a second each */
	}
	return NULL;
}

static int start_writers(struct live *l)
{
	for (int i = 0; i < N_WRITERS; i++) {
		struct writer *w = &l->writers[i];
		w->id = i;
		w->live = l;
		w->seed = 1234u + (unsigned)i;
		atomic_init(&w->seen_phase, 0);
		if (!(w->conn = pgt_connect(DB_LIVE, "pgstage-live-writer")) ||
		    pthread_create(&w->thread, NULL, writer_main, w) != 0)
			return -1;
	}
	return 0;
}

static void stop_writers(struct live *l)
{
	atomic_store(&l->stop, true);
	for (int i = 0; i < N_WRITERS; i++) {
		if (l->writers[i].conn)
			pthread_join(l->writers[i].thread, NULL);
		PQfinish(l->writers[i].conn);
		free(l->writers[i].own_keys);
	}
}

/* The deploy: every writer runs phase p's statements from now on. */
static void move_writers(struct live *l, int p)
{
	atomic_store(&l->phase, p);
	for (int i = 0; i < N_WRITERS; i++)
		while (atomic_load(&l->writers[i].seen_phase) != p)
			usleep(500);
}

/* ---- checks ---- */

/* The number the SQL gives, or -1 after saying why. */
static long long count_of(struct report *r, PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	long long n = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else
		problem(r, "`%s` fails: %s", sql, PQresultErrorMessage(res));
	PQclear(res);
	return n;
}

static void live_checks(struct report *r, PGconn *conn, int checkpoint)
{
	for (int i = 0; i < r->fx->n_checks; i++) {
		if (r->fx->checks[i].checkpoint != checkpoint)
			continue;
		long long n = count_of(r, conn, r->fx->checks[i].sql);
		if (n > 0 && checkpoint)
			problem(r, "at checkpoint %d: %lld wrong row(s) by `%s`", checkpoint, n,
				r->fx->checks[i].sql);
		else if (n > 0)
			problem(r, "at the end: %lld wrong row(s) by `%s`", n, r->fx->checks[i].sql);
	}
}

static const char *final_table(const struct pgf_fixture *fx, const char *label)
{
	for (int i = 0; i < fx->n_tables; i++)
		if (strcmp(fx->table_from[i], label) == 0)
			return fx->table_to[i];
	return label;
}

/* Rows of table now, or -1 when it does not exist. */
static long long rows_of(PGconn *conn, const char *table)
{
	const char *values[1] = {table};
	PGresult *res = PQexecParams(conn, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, values,
				     NULL, NULL, 0);
	bool exists = PQresultStatus(res) == PGRES_TUPLES_OK && PQgetvalue(res, 0, 0)[0] == 't';
	long long n = -1;
	PQclear(res);
	if (exists) {
		char sql[512];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
		res = PQexec(conn, sql);
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	return n;
}

/* Every table holds what it held, plus what the writers inserted, minus what they deleted. */
static void check_tallies(struct report *r, struct live *l, PGconn *conn, const long long *before)
{
	for (size_t k = 0; k < l->n_labels; k++) {
		const char *table = final_table(r->fx, l->labels[k]);
		bool first = true;
		for (size_t j = 0; j < k; j++)
			first &= strcmp(final_table(r->fx, l->labels[j]), table) != 0;
		if (!first || pgf_changes_rows(r->fx, l->labels[k]))
			continue;
		long long expected = 0;
		for (size_t j = 0; j < l->n_labels; j++) {
			if (strcmp(final_table(r->fx, l->labels[j]), table) != 0)
				continue;
			expected += before[j] > 0 ? before[j] : 0;
			for (int i = 0; i < N_WRITERS; i++)
				expected += l->writers[i].tallies[j].inserted -
					    l->writers[i].tallies[j].deleted;
		}
		long long now = rows_of(conn, table);
		if (now != expected)
			problem(r, "%s has %lld rows; the writers' tally says %lld", table, now,
				expected);
	}
}

/* Whether the table has the column (a quoted name), in conn's database. */
static bool has_column(PGconn *conn, const char *table, const char *column)
{
	const char *values[2] = {table, column};
	PGresult *res = PQexecParams(conn,
				     "SELECT count(*) FROM pg_attribute WHERE attrelid = "
				     "to_regclass($1) AND quote_ident(attname) = $2 AND NOT attisdropped",
				     2, NULL, values, NULL, NULL, 0);
	bool yes = PQresultStatus(res) == PGRES_TUPLES_OK && strtoll(PQgetvalue(res, 0, 0), NULL, 10) == 1;

	PQclear(res);
	return yes;
}

/* No column holds a NULL where ORIGINAL (the migration as written, no writers) has none. */
static void check_nulls(struct report *r, PGconn *original, PGconn *live)
{
	PGresult *cols = PQexec(
		original, "SELECT c.oid::regclass::text, quote_ident(a.attname) FROM pg_attribute a "
			  "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = "
			  "c.relnamespace WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT "
			  "a.attisdropped AND NOT a.attnotnull AND n.nspname NOT IN ('pg_catalog', "
			  "'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2");

	if (PQresultStatus(cols) != PGRES_TUPLES_OK) {
		problem(r, "listing ORIGINAL's columns fails: %s", PQerrorMessage(original));
		PQclear(cols);
		return;
	}
	for (int i = 0; i < PQntuples(cols); i++) {
		const char *table = PQgetvalue(cols, i, 0), *col = PQgetvalue(cols, i, 1);
		char sql[1024];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE %s IS NULL", table, col);
		if (!has_column(live, table, col) || rows_of(original, table) == 0 ||
		    count_of(r, original, sql) != 0)
			continue;
		long long nulls = count_of(r, live, sql);
		if (nulls > 0)
			problem(r, "%s.%s holds %lld NULL(s); the migration as written leaves none",
				table, col, nulls);
	}
	PQclear(cols);
}

/* ---- the plan through psql, with writers ---- */

static int run_psql(struct report *r, const char *file, int phase, char **out)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "'%s' -X -q -v pgstage_phase=%d -d %s -f '%s' 2>&1", group.psql,
		 phase, DB_LIVE, file);
	int st = pgf_run_capture(cmd, out);
	if (st != 0)
		problem(r, "psql exits with %d (phase %d):\n%s", st, phase, *out ? *out : "");
	return st == 0 ? 0 : -1;
}

/* The plan through pgstage apply --plan; a checkpoint (exit 4) is a stop like psql's. */
static int run_apply(struct report *r, const char *file, int phase, char **out)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "'%s' apply --plan '%s' --db 'dbname=%s' %s 2>&1", group.pgstage,
		 file, DB_LIVE, phase > 1 ? "--continue" : "");
	int st = pgf_run_capture(cmd, out);
	if (st != 0 && st != 4)
		problem(r, "pgstage apply exits with %d (phase %d):\n%s", st, phase,
			*out ? *out : "");
	return st == 0 || st == 4 ? 0 : -1;
}

static int run_checkpoint_sql(struct report *r, PGconn *conn, int n)
{
	for (int i = 0; i < r->fx->n_checkpoints; i++)
		if (r->fx->checkpoints[i].n == n && pgt_exec_script(conn, r->fx->checkpoints[i].sql) != 0) {
			problem(r, "the SQL of checkpoint %d fails", n);
			return -1;
		}
	return 0;
}

static int run_plan(struct report *r, struct live *l, PGconn *conn, const char *file)
{
	char stop[100];
	int rc = 0;

	for (int phase = 1; rc == 0; phase++) {
		char *out = NULL;
		rc = by_apply ? run_apply(r, file, phase, &out) : run_psql(r, file, phase, &out);
		snprintf(stop, sizeof(stop), "pgstage: stopped at checkpoint %d;", phase);
		bool stopped = rc == 0 && out && strstr(out, stop);
		free(out);
		if (!stopped)
			break;
		live_checks(r, conn, phase);
		if (phase + 1 > MAX_PHASES) {
			problem(r, "more than %d phases", MAX_PHASES);
			return -1;
		}
		move_writers(l, phase + 1);
		rc = run_checkpoint_sql(r, conn, phase);
	}
	return rc;
}

static int run_original(struct report *r, PGconn *conn)
{
	char what[400];
	size_t failed = pgf_run_original(conn, r->fx, what, sizeof(what));

	if (failed)
		problem(r, "the ORIGINAL migration fails at statement %zu: %s", failed, what);
	return failed ? -1 : 0;
}

static void report_writers(struct report *r, struct live *l, double took_ms)
{
	long long statements = 0, errors = 0;
	double max_ms = 0;
	const char *max_sql = "";

	for (int i = 0; i < N_WRITERS; i++) {
		struct writer *w = &l->writers[i];
		statements += w->statements;
		errors += w->errors;
		for (long long e = 0; e < w->errors && e < 3; e++)
			printf("    writer %d: %s", i + 1, w->first_errors[e]);
		if (w->max_ms > max_ms) {
			max_ms = w->max_ms;
			max_sql = w->max_sql;
		}
	}
	if (as_written)
		printf("    %s: the migration as written: %s rows, %d writers, %lld statements in "
		       "%.1f s, %lld failed; longest stall %.0f ms (%s)\n",
		       r->fx->name, rows, N_WRITERS, statements, took_ms / 1000.0, errors, max_ms,
		       max_sql);
	else if (errors)
		problem(r, "%lld of %lld writer statements failed", errors, statements);
	else
		printf("    %s: %s rows, %d writers, %lld statements in %.1f s, 0 failed; longest "
		       "stall %.0f ms (%s)\n",
		       r->fx->name, rows, N_WRITERS, statements, took_ms / 1000.0, max_ms, max_sql);
}

static void prove_fixture(struct report *r)
{
	char cmd[2048], file[400], context[64], *script = NULL;
	struct live *l = calloc(1, sizeof(*l));
	PGconn *conn = NULL, *original = NULL;
	long long before[MAX_LABELS];

	if (!l)
		return;
	l->fx = r->fx;
	l->rows = strtoll(rows, NULL, 10);
	plan_phases(l);
	pgf_plan_command(r->fx, group.pgstage, by_apply ? "--format json" : NULL, cmd, sizeof(cmd));
	snprintf(file, sizeof(file), "%s/%s.%s", group.tmpdir, r->fx->name, by_apply ? "json" : "sql");
	if (pgf_run_capture(cmd, &script) != 0 || !script ||
	    pgf_write_text(file, script) != 0) {
		problem(r, "%s: no plan", cmd);
		goto out;
	}
	if (by_apply && !strstr(script, "\"backfill\":")) {
		printf("    %s: no backfill stage, not run through apply\n", r->fx->name);
		goto out;
	}
	if (pgf_context_db(admin, r->fx, rows, context, sizeof(context)) != 0 ||
	    pgt_create_copy(admin, context, DB_ORIGINAL) != 0 ||
	    pgt_create_copy(admin, context, DB_LIVE) != 0 ||
	    !(original = pgt_connect(DB_ORIGINAL, APP_NAME)) ||
	    !(conn = pgt_connect(DB_LIVE, APP_NAME))) {
		problem(r, "could not set up the databases");
		goto out;
	}
	(void)pgt_exec(conn, "SET client_min_messages = warning");
	(void)pgt_exec(original, "SET client_min_messages = warning");
	if (run_original(r, original) != 0)
		goto out;
	for (size_t k = 0; k < l->n_labels; k++)
		before[k] = rows_of(conn, l->labels[k]);

	atomic_init(&l->phase, 1);
	double t0 = now_ms();
	if (start_writers(l) != 0) {
		problem(r, "could not start the writers");
		stop_writers(l);
		goto out;
	}
	usleep(300000); /* the application is busy before the plan starts */
	int rc = as_written ? run_original(r, conn) : run_plan(r, l, conn, file);
	usleep(300000); /* and after it ends, with the final schema */
	stop_writers(l);
	report_writers(r, l, now_ms() - t0);
	if (rc == 0 && !as_written) {
		live_checks(r, conn, 0);
		check_tallies(r, l, conn, before);
		check_nulls(r, original, conn);
	}
out:
	PQfinish(conn);
	PQfinish(original);
	pgt_drop_db(admin, DB_LIVE);
	pgt_drop_db(admin, DB_ORIGINAL);
	(void)remove(file);
	free(script);
	free(l);
}

static void test_fixture(void **state)
{
	struct report r = {.fx = *state};

	prove_fixture(&r);
	if (r.problems)
		fail_msg("fixture %s: %d problem(s), see the FAIL lines above", r.fx->name,
			 r.problems);
}

static int group_setup(void **state)
{
	(void)state;
	if (pgf_group_open(&group, APP_NAME, "pgs-plan-live") != 0)
		return -1;
	admin = group.admin;
	by_apply = getenv("PGS_LIVE_RUNNER") && strcmp(getenv("PGS_LIVE_RUNNER"), "apply") == 0;
	as_written = getenv("PGS_LIVE_RUNNER") && strcmp(getenv("PGS_LIVE_RUNNER"), "original") == 0;
	if (getenv("PGS_LIVE_ROWS"))
		snprintf(rows, sizeof(rows), "%s", getenv("PGS_LIVE_ROWS"));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pgf_group_close(&group);
	admin = NULL;
	return 0;
}

static void test_no_fixtures(void **state)
{
	(void)state;
	fail_msg("no fixtures match %s (run from the source tree)", FIXTURE_GLOB);
}

int main(void)
{
	static struct CMUnitTest tests[MAX_FIXTURES + 1];
	static char names[MAX_FIXTURES][sizeof(fixtures[0].name) + 8];
	const char *only = getenv("PGS_PLAN_ONLY");
	size_t n = 0;

	int major = pgf_server_major();
	n_fixtures = pgf_find(FIXTURE_GLOB, fixtures, MAX_FIXTURES);
	for (size_t i = 0; i < n_fixtures; i++) {
		if (!pgf_selected(&fixtures[i], only, major))
			continue;
		snprintf(names[i], sizeof(names[i]), "live_%.*s", (int)sizeof(fixtures[i].name),
			 fixtures[i].name);
		tests[n++] = (struct CMUnitTest){
			.name = names[i], .test_func = test_fixture, .initial_state = &fixtures[i]};
	}
	if (n_fixtures == 0)
		tests[n++] = (struct CMUnitTest){.name = "fixtures_found", .test_func = test_no_fixtures};
	return _cmocka_run_group_tests("plan_live", tests, n, group_setup, group_teardown);
}
