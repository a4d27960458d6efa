#include "exec/apply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "exec/conn.h"
#include "exec/session.h"

struct runner {
	const struct pgs_plan *plan;
	const struct pgs_apply_options *o;
	struct pgs_session s;
	char hash[17];
	size_t stage; /* the stage running (from 0), for messages */
	char label[32]; /* "stage 3/7", for messages */
};

#define say(r, ...) pgs_session_say(&(r)->s, __VA_ARGS__)

/* Run sql (with up to 3 text parameters) on conn; 0, or -1 with the error kept. */
static int run(struct runner *r, PGconn *conn, const char *sql, int n, const char *p1,
	       const char *p2, const char *p3)
{
	const char *params[3] = {p1, p2, p3};
	return pgs_session_run(&r->s, conn, sql, n, params, NULL);
}

/* The first column of the first row of sql's result, in buf ("" for none); 0 or -1. */
static int value(struct runner *r, const char *sql, int n, const char *p1, const char *p2,
		 char *buf, size_t size)
{
	const char *params[2] = {p1, p2};
	return pgs_session_value(&r->s, r->s.conn, sql, n, params, buf, size);
}

static void trace(struct runner *r, size_t step, bool after)
{
	if (r->o->trace)
		r->o->trace(r->o->trace_data, r->s.conn, r->stage, step, after);
}

/* One statement of a stage, watching who blocks it while it waits. */
static int run_watched(struct runner *r, const char *sql)
{
	snprintf(r->label, sizeof(r->label), "stage %zu/%zu", r->stage + 1, r->plan->n_stages);
	return pgs_session_watched(&r->s, r->label, sql, 0, NULL, NULL);
}

/* Step k of the running stage, traced. */
static int run_step(struct runner *r, size_t k)
{
	trace(r, k, false);
	int rc = run_watched(r, r->plan->stages[r->stage].steps[k].sql);
	if (!rc)
		trace(r, k, true);
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
	return run(r, r->s.conn,
		   "SELECT pg_catalog.set_config('lock_timeout', $1, $3::bool), "
		   "pg_catalog.set_config('statement_timeout', $2, $3::bool)",
		   3, lock, statement, local ? "true" : "false");
}

static int record_stage(struct runner *r, size_t i, const char *status, unsigned attempts)
{
	char stage[16], tries[16];

	snprintf(stage, sizeof(stage), "%zu", i + 1);
	snprintf(tries, sizeof(tries), "%s:%u", status, attempts);
	return run(r, r->s.conn,
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
	if (run(r, r->s.conn, "BEGIN", 0, NULL, NULL, NULL) ||
	    run(r, r->s.conn, "SET LOCAL client_min_messages = warning", 0, NULL, NULL, NULL) ||
	    run(r, r->s.conn, "CREATE SCHEMA IF NOT EXISTS " PGS_APPLY_SCHEMA, 0, NULL, NULL, NULL) ||
	    run(r, r->s.conn,
		"CREATE TABLE IF NOT EXISTS " PGS_APPLY_SCHEMA ".runs (run_id text PRIMARY KEY, "
		"plan_hash text NOT NULL, stages int NOT NULL, started_at timestamptz NOT NULL "
		"DEFAULT now(), finished_at timestamptz)",
		0, NULL, NULL, NULL) ||
	    run(r, r->s.conn,
		"CREATE TABLE IF NOT EXISTS " PGS_APPLY_SCHEMA ".stages (run_id text NOT NULL "
		"REFERENCES " PGS_APPLY_SCHEMA ".runs ON DELETE CASCADE, stage int NOT NULL, "
		"status text NOT NULL, attempts int NOT NULL, finished_at timestamptz, PRIMARY KEY "
		"(run_id, stage))",
		0, NULL, NULL, NULL) ||
	    run(r, r->s.conn, PGS_BACKFILL_STATE_CREATE, 0, NULL, NULL, NULL) ||
	    (pgs_plan_records(r->plan) &&
	     run(r, r->s.conn, PGS_PROGRESS_CREATE, 0, NULL, NULL, NULL)) ||
	    run(r, r->s.conn, "COMMIT", 0, NULL, NULL, NULL)) {
		pgs_error_set(err, "could not set up schema " PGS_APPLY_SCHEMA ": %s", r->s.message);
		(void)run(r, r->s.conn, "ROLLBACK", 0, NULL, NULL, NULL);
		return -1;
	}
	char n_stages[16];
	snprintf(n_stages, sizeof(n_stages), "%zu", r->plan->n_stages);
	if (run(r, r->s.conn,
		"INSERT INTO " PGS_APPLY_SCHEMA ".runs (run_id, plan_hash, stages) VALUES ($1, $2, "
		"$3::int) ON CONFLICT (run_id) DO NOTHING",
		3, r->o->run_id, r->hash, n_stages) ||
	    value(r, "SELECT plan_hash FROM " PGS_APPLY_SCHEMA ".runs WHERE run_id = $1", 1,
		  r->o->run_id, NULL, hash, sizeof(hash)))
		return pgs_error_set(err, "could not record the run: %s", r->s.message);
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
				     r->s.message);
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
					     r->s.message);
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

/* A failure: which stage and statement, the server's error, and what to do next. */
static void failed(struct runner *r, struct pgs_error *err, size_t i, const char *sql,
		   const char *todo)
{
	char line[128];
	const struct pgs_plan_stage *st = &r->plan->stages[i];

	pgs_error_set(err, "stage %zu/%zu (%s%s%s) failed at `%s`: SQLSTATE %s: %s; %s", i + 1,
		      r->plan->n_stages, pgs_stage_kind_name(st->kind), st->why ? ": " : "",
		      st->why ? st->why : "", pgs_excerpt(sql, line, sizeof(line)), r->s.sqlstate,
		      r->s.message, todo);
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
		int rc = run(r, r->s.conn, "BEGIN", 0, NULL, NULL, NULL);
		if (!rc && (rc = set_timeouts(r, st->lock_timeout, st->statement_timeout, true)))
			at = "SET LOCAL lock_timeout, statement_timeout";
		for (size_t k = 0; !rc && k < st->n_steps; k++)
			if ((rc = run_step(r, k)))
				at = st->steps[k].sql;
		if (!rc && st->record &&
		    (rc = run(r, r->s.conn,
			      "INSERT INTO " PGS_PROGRESS_TABLE " (step) VALUES ($1) ON CONFLICT "
			      "DO NOTHING",
			      1, st->record, NULL, NULL)))
			at = "INSERT INTO " PGS_PROGRESS_TABLE;
		if (!rc && (rc = record_stage(r, i, "done", attempt)))
			at = "INSERT INTO " PGS_APPLY_SCHEMA ".stages";
		if (!rc && (rc = run(r, r->s.conn, "COMMIT", 0, NULL, NULL, NULL)))
			at = "COMMIT";
		if (!rc)
			return 0;
		char state[6], message[1024];
		memcpy(state, r->s.sqlstate, sizeof(state));
		memcpy(message, r->s.message, sizeof(message));
		(void)run(r, r->s.conn, "ROLLBACK", 0, NULL, NULL, NULL);
		memcpy(r->s.sqlstate, state, sizeof(state));
		memcpy(r->s.message, message, sizeof(message));
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
		    message, r->s.blockers[0] ? "; blocked by " : "", r->s.blockers, ms, attempt,
		    r->o->retries);
		pgs_sleep_ms(ms);
		wait = wait * 2 > 5000 ? 5000 : wait * 2;
	}
}

/* Run the statements a query returns, like psql's \gexec. */
static int gexec(struct runner *r, const char *query, const char **at)
{
	PGresult *res = NULL;
	int rc = pgs_session_run(&r->s, r->s.conn, query, 0, NULL, &res);

	*at = query;
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
		if ((rc = run_step(r, k)))
			at = st->steps[k].sql;
	if (!rc && st->verify && (rc = run(r, r->s.conn, st->verify, 0, NULL, NULL, NULL)))
		at = st->verify;
	if (!rc && st->record &&
	    (rc = run(r, r->s.conn,
		      "INSERT INTO " PGS_PROGRESS_TABLE " (step) VALUES ($1) ON CONFLICT DO NOTHING",
		      1, st->record, NULL, NULL)))
		at = "INSERT INTO " PGS_PROGRESS_TABLE;
	if (!rc && (rc = record_stage(r, i, "done", 1)))
		at = "INSERT INTO " PGS_APPLY_SCHEMA ".stages";
	if (!rc)
		return 0;
	char state[6], message[1024];
	memcpy(state, r->s.sqlstate, sizeof(state));
	memcpy(message, r->s.message, sizeof(message));
	/* a failed CONCURRENTLY build leaves an INVALID index: not past this run */
	const char *ignored;
	if (st->cleanup && gexec(r, st->cleanup, &ignored) == 0)
		say(r, "stage %zu/%zu: dropped what the failed build left", i + 1,
		    r->plan->n_stages);
	memcpy(r->s.sqlstate, state, sizeof(state));
	memcpy(r->s.message, message, sizeof(message));
	failed(r, err, i, at, RUN_AGAIN);
	return -1;
}

/* A backfill stage with the batches run from here. */
static int run_backfill(struct runner *r, size_t i, struct pgs_error *err, bool *interrupted)
{
	const struct pgs_plan_stage *st = &r->plan->stages[i];
	const char *at = NULL;
	struct pgs_backfill_run b = {
	    .s = &r->s,
	    .b = st->backfill,
	    .run_id = r->o->run_id,
	    .stage = i,
	    .label = r->label,
	    .lock_timeout = st->lock_timeout,
	    .statement_timeout = r->plan->opts.statement_timeout,
	    .retries = r->o->retries,
	    .control = &r->o->control,
	};

	snprintf(r->label, sizeof(r->label), "stage %zu/%zu", i + 1, r->plan->n_stages);
	trace(r, 0, false);
	switch (pgs_exec_backfill(&b, &at)) {
	case PGS_BACKFILL_DONE:
		trace(r, 0, true);
		break;
	case PGS_BACKFILL_INTERRUPTED:
		*interrupted = true;
		return 0;
	case PGS_BACKFILL_FAILED:
		failed(r, err, i, at ? at : st->steps[0].sql,
		       strcmp(r->s.sqlstate, "55P03") == 0 || strcmp(r->s.sqlstate, "40P01") == 0
			   ? "another session held a conflicting lock through every try: see who "
			     "above, then run the same command again: the batches committed are kept "
			     "and it goes on after them"
			   : "fix the cause, then run the same command again: the batches committed "
			     "are kept and it goes on after them");
		return -1;
	}
	if (record_stage(r, i, "done", 1)) {
		failed(r, err, i, "INSERT INTO " PGS_APPLY_SCHEMA ".stages", RUN_AGAIN);
		return -1;
	}
	return 0;
}

/* Whether stage i is recorded with that status for this run. */
static int status_of(struct runner *r, size_t i, const char *status, bool *is,
		     struct pgs_error *err)
{
	char stage[32], buf[16];

	snprintf(stage, sizeof(stage), "%zu", i + 1);
	if (value(r,
		  "SELECT status FROM " PGS_APPLY_SCHEMA ".stages WHERE run_id = $1 AND stage = "
		  "$2::int",
		  2, r->o->run_id, stage, buf, sizeof(buf)))
		return pgs_error_set(err, "could not read %s.stages: %s", PGS_APPLY_SCHEMA,
				     r->s.message);
	*is = strcmp(buf, status) == 0;
	return 0;
}

static bool interrupted(const struct pgs_apply_options *o)
{
	return o->control.interrupted && *o->control.interrupted;
}

/* --dry-run: each stage as it would run; reads the server, changes nothing. */
static enum pgs_apply_result dry_run(struct runner *r, struct pgs_error *err)
{
	const struct pgs_plan *plan = r->plan;
	char version[64], lock[64], statement[64], recorded[8], line[128];
	size_t done = 0, checkpoint = 0;

	if (value(r, "SELECT current_setting('server_version')", 0, NULL, NULL, version,
		  sizeof(version)) ||
	    value(r, "SELECT current_setting('lock_timeout')", 0, NULL, NULL, lock, sizeof(lock)) ||
	    value(r, "SELECT current_setting('statement_timeout')", 0, NULL, NULL, statement,
		  sizeof(statement)) ||
	    value(r, "SELECT to_regclass('" PGS_APPLY_SCHEMA ".stages') IS NOT NULL", 0, NULL, NULL,
		  recorded, sizeof(recorded))) {
		pgs_error_set(err, "could not read the server's settings: %s", r->s.message);
		return PGS_APPLY_FAILED;
	}
	say(r, "dry run: nothing is changed; the server is PostgreSQL %s (lock_timeout %s, "
	       "statement_timeout %s for other sessions)",
	    version, lock, statement);
	if (strcmp(recorded, "t") == 0 && stages_done(r, &done, err))
		return PGS_APPLY_FAILED;
	for (size_t i = 0; i < plan->n_stages; i++) {
		const struct pgs_plan_stage *st = &plan->stages[i];
		if (st->kind == PGS_STAGE_CHECKPOINT) {
			say(r, "stage %zu/%zu: checkpoint %zu%s: %s", i + 1, plan->n_stages,
			    ++checkpoint, i < done ? " (passed already)" : "",
			    st->why ? st->why : "deploy the application change");
			continue;
		}
		say(r, "stage %zu/%zu: %s%s%s%s", i + 1, plan->n_stages,
		    pgs_stage_kind_name(st->kind), i < done ? " (done already)" : "",
		    st->why ? ": " : "", st->why ? st->why : "");
		if (st->locks)
			say(r, "  locks: %s", st->locks);
		if (st->backfill) {
			const struct pgs_backfill *b = st->backfill;
			say(r, "  runs: %s in batches by %s %s, each its own transaction of about %.0f ms "
			       "(lock_timeout %s, statement_timeout %s a batch, %u tries again)",
			    pgs_excerpt(b->body, line, sizeof(line)), b->pk ? "key" : "table pages",
			    b->pk ? b->pk : "(ctid)",
			    r->o->control.batch_time > 0 ? r->o->control.batch_time * 1000 : 200,
			    st->lock_timeout, plan->opts.statement_timeout, r->o->retries);
			continue;
		}
		say(r, "  under: lock_timeout %s, statement_timeout %s%s", st->lock_timeout,
		    st->statement_timeout,
		    st->kind == PGS_STAGE_TRANSACTIONAL ? ", tried again after a lock timeout" : "");
		for (size_t k = 0; k < st->n_steps; k++)
			say(r, "  runs: %s", pgs_excerpt(st->steps[k].sql, line, sizeof(line)));
	}
	return PGS_APPLY_DONE;
}

enum pgs_apply_result pgs_apply(const struct pgs_plan *plan, const struct pgs_apply_options *o,
				struct pgs_error *err)
{
	struct runner r = {.plan = plan, .o = o, .s = {.db = o->db, .say = o->say, .say_data = o->say_data}};
	enum pgs_apply_result result = PGS_APPLY_FAILED;
	char where[256];
	size_t done = 0, checkpoint = 0;

	plan_hash(plan, r.hash);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	if (!(r.s.conn = pgs_exec_connect(o->db, "pgstage apply", err)) ||
	    (!o->dry_run &&
	     !(r.s.monitor = pgs_exec_connect(o->db, "pgstage apply (monitor)", err))))
		goto out;
	PQsetNoticeProcessor(r.s.conn, notice, &r);
	if (o->dry_run) {
		result = dry_run(&r, err);
		goto out;
	}
	say(&r, "%s %zu stage%s to %s (run %s, plan %s)", o->dry_run ? "would apply" : "applying",
	    plan->n_stages,
	    plan->n_stages == 1 ? "" : "s",
	    pgs_exec_describe(r.s.conn, where, sizeof(where)), o->run_id, r.hash);
	/* the bookkeeping runs under the plan's own timeouts, not the session's */
	if (set_timeouts(&r, plan->opts.lock_timeout, plan->opts.statement_timeout, false)) {
		pgs_error_set(err, "could not set the plan's timeouts: %s", r.s.message);
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
			bool waited = false;
			if (o->resume && status_of(&r, i, "waiting", &waited, err))
				goto out;
			if (o->phase <= checkpoint && !waited) {
				say(&r, "checkpoint %zu: %s", checkpoint,
				    st->why ? st->why : "deploy the application change");
				say(&r,
				    "stopped at checkpoint %zu; after the deploy, run the same command "
				    "again with --continue",
				    checkpoint);
				result = record_stage(&r, i, "waiting", 1) ? PGS_APPLY_FAILED
									  : PGS_APPLY_CHECKPOINT;
				if (result == PGS_APPLY_FAILED)
					pgs_error_set(err, "could not record checkpoint %zu: %s",
						      checkpoint, r.s.message);
				goto out;
			}
			if (waited)
				say(&r, "checkpoint %zu: going on after the deploy (--continue)",
				    checkpoint);
			if (record_stage(&r, i, "done", 1)) {
				pgs_error_set(err, "could not record checkpoint %zu: %s", checkpoint,
					      r.s.message);
				goto out;
			}
			continue;
		}
		if (o->through && i >= o->through) {
			say(&r, "stopped after stage %zu as asked (--through %zu); run again without "
				"it to go on",
			    o->through, o->through);
			result = PGS_APPLY_DONE;
			goto out;
		}
		say(&r, "stage %zu/%zu: %s%s%s", i + 1, plan->n_stages,
		    pgs_stage_kind_name(st->kind), st->why ? ": " : "", st->why ? st->why : "");
		if (interrupted(o)) {
			say(&r, "interrupted before stage %zu/%zu; run the same command again to go on",
			    i + 1, plan->n_stages);
			result = PGS_APPLY_INTERRUPTED;
			goto out;
		}
		r.stage = i;
		bool stopped = false;
		int rc = st->backfill			    ? run_backfill(&r, i, err, &stopped)
			 : st->kind == PGS_STAGE_TRANSACTIONAL ? run_transactional(&r, i, err)
							       : run_alone(&r, i, err);
		if (rc)
			goto out;
		if (stopped) {
			result = PGS_APPLY_INTERRUPTED;
			goto out;
		}
		if (set_timeouts(&r, plan->opts.lock_timeout, plan->opts.statement_timeout,
				 false)) {
			pgs_error_set(err, "could not set the plan's timeouts: %s", r.s.message);
			goto out;
		}
	}
	(void)run(&r, r.s.conn,
		  "UPDATE " PGS_APPLY_SCHEMA ".runs SET finished_at = now() WHERE run_id = $1", 1,
		  o->run_id, NULL, NULL);
	say(&r, "done: %zu stage%s", plan->n_stages, plan->n_stages == 1 ? "" : "s");
	result = PGS_APPLY_DONE;
out:
	PQfinish(r.s.monitor);
	PQfinish(r.s.conn);
	return result;
}
