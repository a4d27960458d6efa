#include "exec/apply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "exec/conn.h"

struct runner {
	const struct pgs_plan *plan;
	const struct pgs_apply_options *o;
	PGconn *conn, *monitor;
	char hash[17];
	char blockers[1024]; /* the sessions that last blocked the running statement */
	size_t stage;	     /* the stage running (from 0), for messages */
	/* the last failed statement */
	char sqlstate[6];
	char message[1024];
};

static void say(struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct runner *r, const char *fmt, ...)
{
	char line[2048], safe[2048];
	va_list ap;

	if (!r->o->say)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r->o->say(r->o->say_data, pgs_exec_scrub(line, r->o->db, safe, sizeof(safe)));
}

/* sql as one line of at most 100 bytes, for messages. */
static const char *excerpt(const char *sql, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *p = sql; *p && n + 4 < size && n < 100; p++)
		buf[n++] = *p == '\n' || *p == '\t' ? ' ' : *p;
	if (sql[n] && n >= 100)
		buf[n++] = '.', buf[n++] = '.', buf[n++] = '.';
	buf[n] = '\0';
	return buf;
}

/* Keep a failed result's SQLSTATE and message (password masked). */
static void keep_error(struct runner *r, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *msg = primary ? primary : res ? PQresultErrorMessage(res) : PQerrorMessage(r->conn);

	snprintf(r->sqlstate, sizeof(r->sqlstate), "%s", state ? state : "?????");
	pgs_exec_scrub(msg, r->o->db, r->message, sizeof(r->message));
	size_t n = strlen(r->message);
	while (n && (r->message[n - 1] == '\n' || r->message[n - 1] == ' '))
		r->message[--n] = '\0';
}

/* Run sql (with up to 3 text parameters); 0, or -1 with the error kept. */
static int run(struct runner *r, PGconn *conn, const char *sql, int n, const char *p1,
	       const char *p2, const char *p3)
{
	const char *params[3] = {p1, p2, p3};
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;

	if (rc)
		keep_error(r, res);
	PQclear(res);
	return rc;
}

/* The first column of the first row of sql's result, in buf ("" for none); 0 or -1. */
static int value(struct runner *r, const char *sql, int n, const char *p1, const char *p2,
		 char *buf, size_t size)
{
	const char *params[2] = {p1, p2};
	PGresult *res = PQexecParams(r->conn, sql, n, NULL, params, NULL, NULL, 0);
	int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;

	if (rc)
		keep_error(r, res);
	snprintf(buf, size, "%s",
		 !rc && PQntuples(res) && !PQgetisnull(res, 0, 0) ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	return rc;
}

/* Who blocks the backend pid: a line per session, from the monitor connection. */
static void watch_blockers(struct runner *r, const char *pid)
{
	const char *params[1] = {pid};
	PGresult *res = PQexecParams(
	    r->monitor,
	    "SELECT string_agg(format('pid %s (user %s, application %s, %s since %s): %s', a.pid, "
	    "a.usename, coalesce(nullif(a.application_name, ''), '-'), a.state, "
	    "date_trunc('second', a.state_change), left(regexp_replace(a.query, '\\s+', ' ', 'g'), "
	    "80)), '; ') FROM pg_catalog.pg_stat_activity a WHERE a.pid = ANY "
	    "(pg_catalog.pg_blocking_pids($1::int))",
	    1, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) && !PQgetisnull(res, 0, 0))
		snprintf(r->blockers, sizeof(r->blockers), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Run one statement of a stage, watching from the monitor connection who
 * blocks it while it waits (said every 10 s after the first 2, for the
 * statements that wait without a lock_timeout: a CONCURRENTLY build waits
 * for every older transaction); 0, or -1 with the error kept.
 */
static int run_watched(struct runner *r, const char *sql)
{
	char pid[16];
	int rc = 0;
	PGresult *res;

	snprintf(pid, sizeof(pid), "%d", PQbackendPID(r->conn));
	r->blockers[0] = '\0';
	if (!PQsendQuery(r->conn, sql)) {
		keep_error(r, NULL);
		return -1;
	}
	int sock = PQsocket(r->conn);
	double start = now_s(), said = 0;
	while (PQisBusy(r->conn)) {
		fd_set fds;
		struct timeval tv = {0, 200 * 1000};
		FD_ZERO(&fds);
		FD_SET(sock, &fds);
		if (select(sock + 1, &fds, NULL, NULL, &tv) == 0) {
			watch_blockers(r, pid);
			double t = now_s();
			if (r->blockers[0] && t - start >= 2 && t - said >= 10) {
				say(r, "stage %zu/%zu: waiting %.0f s for %s", r->stage + 1,
				    r->plan->n_stages, t - start, r->blockers);
				said = t;
			}
		}
		if (!PQconsumeInput(r->conn))
			break;
	}
	while ((res = PQgetResult(r->conn))) {
		ExecStatusType st = PQresultStatus(res);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !rc) {
			keep_error(r, res);
			rc = -1;
		}
		PQclear(res);
	}
	return rc;
}

/* FNV-1a of the plan's stages: a run id holds one plan. */
static void plan_hash(const struct pgs_plan *plan, char out[17])
{
	unsigned long long h = 14695981039346656037ULL;

	for (size_t i = 0; i < plan->n_stages; i++) {
		h = (h ^ (unsigned)plan->stages[i].kind) * 1099511628211ULL;
		for (size_t k = 0; k < plan->stages[i].n_steps; k++)
			for (const char *p = plan->stages[i].steps[k].sql; *p; p++)
				h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	}
	snprintf(out, 17, "%016llx", h);
}

/* The session's timeouts (local: until the end of the transaction). */
static int set_timeouts(struct runner *r, const char *lock, const char *statement, bool local)
{
	return run(r, r->conn,
		   "SELECT pg_catalog.set_config('lock_timeout', $1, $3::bool), "
		   "pg_catalog.set_config('statement_timeout', $2, $3::bool)",
		   3, lock, statement, local ? "true" : "false");
}

static int record_stage(struct runner *r, size_t i, const char *status, unsigned attempts)
{
	char stage[16], tries[16];

	snprintf(stage, sizeof(stage), "%zu", i + 1);
	snprintf(tries, sizeof(tries), "%s:%u", status, attempts);
	return run(r, r->conn,
		   "INSERT INTO " PGS_APPLY_SCHEMA ".stages (run_id, stage, status, attempts, "
		   "finished_at) VALUES ($1, $2::int, split_part($3, ':', 1), split_part($3, ':', "
		   "2)::int, now()) ON CONFLICT (run_id, stage) DO UPDATE SET status = "
		   "excluded.status, attempts = excluded.attempts, finished_at = excluded.finished_at",
		   3, r->o->run_id, stage, tries);
}

/* The bookkeeping: schema, the run (refused when the id holds another plan). */
static int start_run(struct runner *r, struct pgs_error *err)
{
	char hash[64];

	/* one transaction, quiet about what exists already */
	if (run(r, r->conn, "BEGIN", 0, NULL, NULL, NULL) ||
	    run(r, r->conn, "SET LOCAL client_min_messages = warning", 0, NULL, NULL, NULL) ||
	    run(r, r->conn, "CREATE SCHEMA IF NOT EXISTS " PGS_APPLY_SCHEMA, 0, NULL, NULL, NULL) ||
	    run(r, r->conn,
		"CREATE TABLE IF NOT EXISTS " PGS_APPLY_SCHEMA ".runs (run_id text PRIMARY KEY, "
		"plan_hash text NOT NULL, stages int NOT NULL, started_at timestamptz NOT NULL "
		"DEFAULT now(), finished_at timestamptz)",
		0, NULL, NULL, NULL) ||
	    run(r, r->conn,
		"CREATE TABLE IF NOT EXISTS " PGS_APPLY_SCHEMA ".stages (run_id text NOT NULL "
		"REFERENCES " PGS_APPLY_SCHEMA ".runs ON DELETE CASCADE, stage int NOT NULL, "
		"status text NOT NULL, attempts int NOT NULL, finished_at timestamptz, PRIMARY KEY "
		"(run_id, stage))",
		0, NULL, NULL, NULL) ||
	    (pgs_plan_records(r->plan) &&
	     run(r, r->conn, PGS_PROGRESS_CREATE, 0, NULL, NULL, NULL)) ||
	    run(r, r->conn, "COMMIT", 0, NULL, NULL, NULL)) {
		pgs_error_set(err, "could not set up schema " PGS_APPLY_SCHEMA ": %s", r->message);
		(void)run(r, r->conn, "ROLLBACK", 0, NULL, NULL, NULL);
		return -1;
	}
	char n_stages[16];
	snprintf(n_stages, sizeof(n_stages), "%zu", r->plan->n_stages);
	if (run(r, r->conn,
		"INSERT INTO " PGS_APPLY_SCHEMA ".runs (run_id, plan_hash, stages) VALUES ($1, $2, "
		"$3::int) ON CONFLICT (run_id) DO NOTHING",
		3, r->o->run_id, r->hash, n_stages) ||
	    value(r, "SELECT plan_hash FROM " PGS_APPLY_SCHEMA ".runs WHERE run_id = $1", 1,
		  r->o->run_id, NULL, hash, sizeof(hash)))
		return pgs_error_set(err, "could not record the run: %s", r->message);
	if (strcmp(hash, r->hash) != 0)
		return pgs_error_set(err,
				     "run \"%s\" in %s.runs is another plan (%s, this one is %s): "
				     "finish it with its own migration, or give this one another "
				     "--run-id",
				     r->o->run_id, PGS_APPLY_SCHEMA, hash, r->hash);
	return 0;
}

/* How many stages are done: the later of the recorded ones and the catalog markers. */
static int stages_done(struct runner *r, size_t *done, struct pgs_error *err)
{
	char buf[32];
	size_t recorded = 0, marked = 0;

	if (value(r,
		  "SELECT max(stage) FROM " PGS_APPLY_SCHEMA ".stages WHERE run_id = $1 AND "
		  "status = 'done'",
		  1, r->o->run_id, NULL, buf, sizeof(buf)))
		return pgs_error_set(err, "could not read %s.stages: %s", PGS_APPLY_SCHEMA,
				     r->message);
	recorded = *buf ? strtoul(buf, NULL, 10) : 0;
	/* the markers the script reads: a stage whose marker holds is done, and all before it */
	for (size_t i = r->plan->n_stages; i-- > 0 && !marked;) {
		const char *m = r->plan->stages[i].marker;
		if (!m)
			continue;
		char *sql = malloc(strlen(m) + 16);
		if (!sql)
			abort();
		snprintf(sql, strlen(m) + 16, "SELECT %s", m);
		int rc = value(r, sql, 0, NULL, NULL, buf, sizeof(buf));
		free(sql);
		if (rc)
			return pgs_error_set(err, "could not read stage %zu's marker: %s", i + 1,
					     r->message);
		if (strcmp(buf, "t") == 0)
			marked = i + 1;
	}
	*done = recorded > marked ? recorded : marked;
	return 0;
}

/* The server's notices (a backfill's progress, ...) go where apply's lines go. */
static void notice(void *data, const char *message)
{
	struct runner *r = data;
	size_t n = strlen(message);

	while (n && message[n - 1] == '\n')
		n--;
	say(r, "server: %.*s", (int)n, message);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* A failure: which stage and statement, the server's error, and what to do next. */
static void failed(struct runner *r, struct pgs_error *err, size_t i, const char *sql,
		   const char *todo)
{
	char line[128];
	const struct pgs_plan_stage *st = &r->plan->stages[i];

	pgs_error_set(err, "stage %zu/%zu (%s%s%s) failed at `%s`: SQLSTATE %s: %s; %s", i + 1,
		      r->plan->n_stages, pgs_stage_kind_name(st->kind), st->why ? ": " : "",
		      st->why ? st->why : "", excerpt(sql, line, sizeof(line)), r->sqlstate,
		      r->message, todo);
}

static const char *const RUN_AGAIN =
    "fix the cause, then run the same command again: the stages done are skipped";

/* A transactional stage, tried again after lock timeouts and deadlocks. */
static int run_transactional(struct runner *r, size_t i, struct pgs_error *err)
{
	const struct pgs_plan_stage *st = &r->plan->stages[i];
	unsigned wait = 200;

	for (unsigned attempt = 1;; attempt++) {
		const char *at = "BEGIN";
		int rc = run(r, r->conn, "BEGIN", 0, NULL, NULL, NULL);
		if (!rc && (rc = set_timeouts(r, st->lock_timeout, st->statement_timeout, true)))
			at = "SET LOCAL lock_timeout, statement_timeout";
		for (size_t k = 0; !rc && k < st->n_steps; k++)
			if ((rc = run_watched(r, st->steps[k].sql)))
				at = st->steps[k].sql;
		if (!rc && st->record &&
		    (rc = run(r, r->conn,
			      "INSERT INTO " PGS_PROGRESS_TABLE " (step) VALUES ($1) ON CONFLICT "
			      "DO NOTHING",
			      1, st->record, NULL, NULL)))
			at = "INSERT INTO " PGS_PROGRESS_TABLE;
		if (!rc && (rc = record_stage(r, i, "done", attempt)))
			at = "INSERT INTO " PGS_APPLY_SCHEMA ".stages";
		if (!rc && (rc = run(r, r->conn, "COMMIT", 0, NULL, NULL, NULL)))
			at = "COMMIT";
		if (!rc)
			return 0;
		char state[6], message[1024];
		memcpy(state, r->sqlstate, sizeof(state));
		memcpy(message, r->message, sizeof(message));
		(void)run(r, r->conn, "ROLLBACK", 0, NULL, NULL, NULL);
		memcpy(r->sqlstate, state, sizeof(state));
		memcpy(r->message, message, sizeof(message));
		bool lock = strcmp(state, "55P03") == 0 || strcmp(state, "40P01") == 0;
		if (!lock || attempt > r->o->retries) {
			failed(r, err, i, at,
			       lock ? "another session held a conflicting lock through every try: "
				      "see who above (pg_stat_activity), then run the same command "
				      "again; nothing of this stage was kept"
				    : RUN_AGAIN);
			return -1;
		}
		/* capped exponential wait with jitter, so retries don't march in step */
		unsigned ms = wait + (unsigned)(rand() % (int)(wait / 2 + 1));
		say(r, "stage %zu/%zu: %s (%s)%s%s; trying again in %u ms (%u of %u)", i + 1,
		    r->plan->n_stages, strcmp(state, "55P03") == 0 ? "lock timeout" : "deadlock",
		    message, r->blockers[0] ? "; blocked by " : "", r->blockers, ms, attempt,
		    r->o->retries);
		sleep_ms(ms);
		wait = wait * 2 > 5000 ? 5000 : wait * 2;
	}
}

/* Run the statements a query returns, like psql's \gexec. */
static int gexec(struct runner *r, const char *query, const char **at)
{
	PGresult *res = PQexec(r->conn, query);
	int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;

	*at = query;
	if (rc)
		keep_error(r, res);
	for (int row = 0; !rc && row < PQntuples(res); row++) {
		*at = PQgetvalue(res, row, 0);
		rc = run_watched(r, *at);
	}
	if (!rc)
		*at = NULL;
	PQclear(res);
	return rc;
}

/* A non-transactional or backfill stage: each statement alone. */
static int run_alone(struct runner *r, size_t i, struct pgs_error *err)
{
	const struct pgs_plan_stage *st = &r->plan->stages[i];
	const char *at = "SET lock_timeout, statement_timeout";
	int rc = set_timeouts(r, st->lock_timeout, st->statement_timeout, false);

	if (!rc && st->cleanup)
		rc = gexec(r, st->cleanup, &at);
	for (size_t k = 0; !rc && k < st->n_steps; k++)
		if ((rc = run_watched(r, st->steps[k].sql)))
			at = st->steps[k].sql;
	if (!rc && st->verify && (rc = run(r, r->conn, st->verify, 0, NULL, NULL, NULL)))
		at = st->verify;
	if (!rc && st->record &&
	    (rc = run(r, r->conn,
		      "INSERT INTO " PGS_PROGRESS_TABLE " (step) VALUES ($1) ON CONFLICT DO NOTHING",
		      1, st->record, NULL, NULL)))
		at = "INSERT INTO " PGS_PROGRESS_TABLE;
	if (!rc && (rc = record_stage(r, i, "done", 1)))
		at = "INSERT INTO " PGS_APPLY_SCHEMA ".stages";
	if (!rc)
		return 0;
	char state[6], message[1024];
	memcpy(state, r->sqlstate, sizeof(state));
	memcpy(message, r->message, sizeof(message));
	/* a failed CONCURRENTLY build leaves an INVALID index: not past this run */
	const char *ignored;
	if (st->cleanup && gexec(r, st->cleanup, &ignored) == 0)
		say(r, "stage %zu/%zu: dropped what the failed build left", i + 1,
		    r->plan->n_stages);
	memcpy(r->sqlstate, state, sizeof(state));
	memcpy(r->message, message, sizeof(message));
	failed(r, err, i, at, RUN_AGAIN);
	return -1;
}

enum pgs_apply_result pgs_apply(const struct pgs_plan *plan, const struct pgs_apply_options *o,
				struct pgs_error *err)
{
	struct runner r = {.plan = plan, .o = o};
	enum pgs_apply_result result = PGS_APPLY_FAILED;
	char where[256];
	size_t done = 0, checkpoint = 0;

	plan_hash(plan, r.hash);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	if (!(r.conn = pgs_exec_connect(o->db, "pgstage apply", err)) ||
	    !(r.monitor = pgs_exec_connect(o->db, "pgstage apply (monitor)", err)))
		goto out;
	PQsetNoticeProcessor(r.conn, notice, &r);
	say(&r, "applying %zu stage%s to %s (run %s, plan %s)", plan->n_stages,
	    plan->n_stages == 1 ? "" : "s",
	    pgs_exec_describe(r.conn, where, sizeof(where)), o->run_id, r.hash);
	/* the bookkeeping runs under the plan's own timeouts, not the session's */
	if (set_timeouts(&r, plan->opts.lock_timeout, plan->opts.statement_timeout, false)) {
		pgs_error_set(err, "could not set the plan's timeouts: %s", r.message);
		goto out;
	}
	if (start_run(&r, err) || stages_done(&r, &done, err))
		goto out;
	for (size_t i = 0; i < plan->n_stages; i++) {
		const struct pgs_plan_stage *st = &plan->stages[i];
		if (st->kind == PGS_STAGE_CHECKPOINT)
			checkpoint++;
		if (i < done) {
			say(&r, "stage %zu/%zu: done already", i + 1, plan->n_stages);
			continue;
		}
		if (st->kind == PGS_STAGE_CHECKPOINT) {
			if (o->phase <= checkpoint) {
				say(&r, "checkpoint %zu: %s", checkpoint,
				    st->why ? st->why : "deploy the application change");
				say(&r,
				    "stopped at checkpoint %zu; after the deploy, run the same command "
				    "again with --phase %zu",
				    checkpoint, checkpoint + 1);
				result = PGS_APPLY_CHECKPOINT;
				goto out;
			}
			if (record_stage(&r, i, "done", 1)) {
				pgs_error_set(err, "could not record checkpoint %zu: %s", checkpoint,
					      r.message);
				goto out;
			}
			continue;
		}
		say(&r, "stage %zu/%zu: %s%s%s", i + 1, plan->n_stages,
		    pgs_stage_kind_name(st->kind), st->why ? ": " : "", st->why ? st->why : "");
		r.stage = i;
		int rc = st->kind == PGS_STAGE_TRANSACTIONAL ? run_transactional(&r, i, err)
							     : run_alone(&r, i, err);
		if (rc)
			goto out;
		if (set_timeouts(&r, plan->opts.lock_timeout, plan->opts.statement_timeout,
				 false)) {
			pgs_error_set(err, "could not set the plan's timeouts: %s", r.message);
			goto out;
		}
	}
	(void)run(&r, r.conn,
		  "UPDATE " PGS_APPLY_SCHEMA ".runs SET finished_at = now() WHERE run_id = $1", 1,
		  o->run_id, NULL, NULL);
	say(&r, "done: %zu stage%s", plan->n_stages, plan->n_stages == 1 ? "" : "s");
	result = PGS_APPLY_DONE;
out:
	PQfinish(r.monitor);
	PQfinish(r.conn);
	return result;
}
