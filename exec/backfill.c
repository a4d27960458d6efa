#include "exec/backfill.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A backfill gives up after this many passes with rows still pending (as the DO block). */
#define MAX_PASSES 5

/* The bounds of the adaptive batch size. */
#define MIN_ROWS 10
#define MAX_ROWS 100000
#define MAX_PAGES 10000

/* Samples of the server's WAL position over time: how old WAL a standby has not replayed is. */
#define N_SAMPLES 1024

struct sample {
	double at;
	long long lsn;
};

struct loop {
	const struct pgs_backfill_run *run;
	struct pgs_session *s;
	const struct pgs_backfill *b;
	const struct pgs_backfill_control *c;
	char stage[16];
	/* recorded state */
	unsigned pass;
	char last[512], end[512]; /* the last key (page) done, the pass's last key ("": none) */
	unsigned long long passed, rows;
	size_t batch;
	/* progress */
	struct pgs_backfill_progress progress;
	double busy; /* seconds spent in batches this run */
	double rate;
	/* replica lag */
	struct sample samples[N_SAMPLES];
	size_t n_samples;
	bool lag_unknown_said;
	char waiting[512];
	/* SQL of this backfill */
	char *window_first, *window_next, *body_first, *body_next;
};

static char *sql_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *sql_printf(const char *fmt, ...)
{
	va_list ap, again;

	va_start(ap, fmt);
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	char *out = n < 0 ? NULL : malloc((size_t)n + 1);
	if (!out)
		abort();
	vsnprintf(out, (size_t)n + 1, fmt, again);
	va_end(again);
	va_end(ap);
	return out;
}

/* The statements of the batches, by key or by page range. */
static void make_sql(struct loop *l)
{
	const struct pgs_backfill *b = l->b;
	const char *pending = b->pending ? b->pending : "true";

	if (b->pk) {
		/* the batch's last key and how many keys it spans; $1 the pass's
		 * last key, $2 the batch size, $3 the last key done */
#define WINDOW                                                                             \
	"SELECT %s, count(*) OVER () FROM (SELECT %s FROM %s WHERE %s <= $1%s ORDER BY %s LIMIT " \
	"$2) AS pgstage_batch ORDER BY %s DESC LIMIT 1"
		char *more = sql_printf(" AND %s > $3", b->pk);
		l->window_first = sql_printf(WINDOW, b->pk, b->pk, b->rel, b->pk, "", b->pk, b->pk);
		l->window_next = sql_printf(WINDOW, b->pk, b->pk, b->rel, b->pk, more, b->pk, b->pk);
		free(more);
#undef WINDOW
		/* $1 the batch's last key, $2 the last key done */
		l->body_first = sql_printf("%s WHERE %s <= $1 AND (%s)", b->body, b->pk, pending);
		l->body_next = sql_printf("%s WHERE %s <= $1 AND %s > $2 AND (%s)", b->body, b->pk,
					  b->pk, pending);
	} else {
		/* $1 the first page, $2 the number of pages */
		l->body_first = sql_printf("%s WHERE ctid >= format('(%%s,0)', $1::bigint)::tid AND "
					   "ctid < format('(%%s,0)', $1::bigint + $2::bigint)::tid "
					   "AND (%s)",
					   b->body, pending);
	}
}

static void free_sql(struct loop *l)
{
	free(l->window_first);
	free(l->window_next);
	free(l->body_first);
	free(l->body_next);
}

static void report(struct loop *l, bool finished)
{
	struct pgs_backfill_progress *p = &l->progress;

	p->label = l->run->label;
	p->pass = l->pass;
	p->pages = !l->b->pk;
	p->done = l->passed;
	p->rows = l->rows;
	p->rate = l->rate;
	p->eta = l->rate > 0 && p->total > p->done ? (double)(p->total - p->done) / l->rate
		 : p->total && p->total <= p->done ? 0
						   : -1;
	p->batch = l->batch;
	p->waiting = l->waiting[0] ? l->waiting : NULL;
	p->finished = finished;
	if (l->c->progress)
		l->c->progress(l->c->progress_data, p);
}

/* Save the state (outside a batch: the pass's start). */
static int save(struct loop *l)
{
	char pass[16], passed[32];
	const char *params[6] = {l->run->run_id, l->stage, pass, l->last[0] ? l->last : NULL,
				 l->end[0] ? l->end : NULL, passed};

	snprintf(pass, sizeof(pass), "%u", l->pass);
	snprintf(passed, sizeof(passed), "%llu", l->passed);
	return pgs_session_run(l->s, l->s->conn,
			       "UPDATE pgstage.backfills SET pass = $3::int, last_key = $4, "
			       "pass_end = $5, passed = $6::bigint, updated_at = now() WHERE run_id "
			       "= $1 AND stage = $2::int",
			       6, params, NULL);
}

/* Start or resume: the recorded state. */
static int load(struct loop *l)
{
	char size[32];
	PGresult *res = NULL;
	const char *params[3] = {l->run->run_id, l->stage, size};

	snprintf(size, sizeof(size), "%zu", l->b->pk ? l->b->batch_rows : l->b->batch_pages);
	if (pgs_session_run(l->s, l->s->conn,
			    "INSERT INTO pgstage.backfills (run_id, stage, pass, batch_size) VALUES "
			    "($1, $2::int, 1, $3::int) ON CONFLICT DO NOTHING",
			    3, params, NULL) ||
	    pgs_session_run(l->s, l->s->conn,
			    "SELECT pass, last_key, pass_end, passed, rows, batch_size FROM "
			    "pgstage.backfills WHERE run_id = $1 AND stage = $2::int",
			    2, params, &res))
		return -1;
	if (PQntuples(res) == 1) {
		l->pass = (unsigned)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
		snprintf(l->last, sizeof(l->last), "%s", PQgetvalue(res, 0, 1));
		snprintf(l->end, sizeof(l->end), "%s", PQgetvalue(res, 0, 2));
		l->passed = strtoull(PQgetvalue(res, 0, 3), NULL, 10);
		l->rows = strtoull(PQgetvalue(res, 0, 4), NULL, 10);
		l->batch = strtoul(PQgetvalue(res, 0, 5), NULL, 10);
	}
	PQclear(res);
	if (!l->pass)
		l->pass = 1;
	if (!l->batch)
		l->batch = 1;
	if (l->last[0] || l->pass > 1)
		pgs_session_say(l->s,
				"%s: resuming pass %u after %s %s (%llu rows changed already)",
				l->run->label, l->pass, l->b->pk ? "key" : "page", l->last,
				l->rows);
	return 0;
}

static long long wal_position(struct loop *l, bool *ok)
{
	char buf[64];

	*ok = pgs_session_value(l->s, l->s->monitor,
				"SELECT pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), "
				"'0/0')::bigint",
				0, NULL, buf, sizeof(buf)) == 0;
	return strtoll(buf, NULL, 10);
}

/*
 * The worst standby's replay lag in seconds: the later of what the server
 * reports (replay_lag) and how long ago the oldest WAL it has not replayed
 * was written, from this loop's own samples of the WAL position (replay_lag
 * does not grow while replay is paused). Why in why; -1 when unknown.
 */
static double replica_lag(struct loop *l, char *why, size_t size)
{
	PGresult *res = NULL;
	bool ok;
	double now = pgs_now(), worst = 0;
	long long lsn = wal_position(l, &ok);

	why[0] = '\0';
	if (!ok ||
	    pgs_session_run(l->s, l->s->monitor,
			    "SELECT coalesce(nullif(application_name, ''), client_addr::text, "
			    "'standby'), pg_catalog.pg_wal_lsn_diff(replay_lsn, '0/0')::bigint, "
			    "coalesce(extract(epoch FROM replay_lag), 0) FROM "
			    "pg_catalog.pg_stat_replication",
			    0, NULL, &res))
		return -1;
	if (l->n_samples == N_SAMPLES) {
		memmove(l->samples, l->samples + 1, sizeof(l->samples[0]) * (N_SAMPLES - 1));
		l->n_samples--;
	}
	l->samples[l->n_samples++] = (struct sample){now, lsn};
	long long oldest_replay = lsn;
	for (int i = 0; i < PQntuples(res); i++) {
		if (PQgetisnull(res, i, 1)) {
			if (!l->lag_unknown_said)
				pgs_session_say(l->s,
						"%s: standby %s's replay position is not visible to "
						"this role (it needs pg_monitor or "
						"pg_read_all_stats): its lag is not watched",
						l->run->label, PQgetvalue(res, i, 0));
			l->lag_unknown_said = true;
			continue;
		}
		long long replay = strtoll(PQgetvalue(res, i, 1), NULL, 10);
		double lag = strtod(PQgetvalue(res, i, 2), NULL);
		for (size_t k = 0; k < l->n_samples; k++)
			if (l->samples[k].lsn > replay) {
				if (now - l->samples[k].at > lag)
					lag = now - l->samples[k].at;
				break;
			}
		if (replay < oldest_replay)
			oldest_replay = replay;
		if (lag > worst || !why[0]) {
			worst = lag;
			snprintf(why, size, "standby %s replays %.1f s behind (%.1f MB)",
				 PQgetvalue(res, i, 0), lag, (double)(lsn - replay) / 1e6);
		}
	}
	PQclear(res);
	/* samples every standby has replayed are of no more use */
	size_t keep = 0;
	while (keep + 1 < l->n_samples && l->samples[keep].lsn <= oldest_replay)
		keep++;
	if (keep) {
		memmove(l->samples, l->samples + keep, sizeof(l->samples[0]) * (l->n_samples - keep));
		l->n_samples -= keep;
	}
	return worst;
}

/* Why no batch may start now, in l->waiting ("" when one may). */
static void why_wait(struct loop *l)
{
	const struct pgs_backfill_control *c = l->c;
	char why[256];

	l->waiting[0] = '\0';
	if (c->paused && *c->paused) {
		snprintf(l->waiting, sizeof(l->waiting),
			 "paused by SIGUSR1 (SIGUSR2 goes on)");
		return;
	}
	if (c->pause_file && access(c->pause_file, F_OK) == 0) {
		snprintf(l->waiting, sizeof(l->waiting), "paused while %s exists", c->pause_file);
		return;
	}
	if (c->max_replica_lag > 0) {
		double lag = replica_lag(l, why, sizeof(why));
		if (lag > c->max_replica_lag) {
			snprintf(l->waiting, sizeof(l->waiting), "%s, over --max-replica-lag %.1f s",
				 why, c->max_replica_lag);
			return;
		}
	}
	if (c->max_active) {
		char pid[16], buf[32];
		const char *params[1] = {pid};
		snprintf(pid, sizeof(pid), "%d", PQbackendPID(l->s->conn));
		if (pgs_session_value(l->s, l->s->monitor,
				      "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE state "
				      "= 'active' AND backend_type = 'client backend' AND pid NOT "
				      "IN (pg_catalog.pg_backend_pid(), $1::int)",
				      1, params, buf, sizeof(buf)) == 0 &&
		    strtoul(buf, NULL, 10) > c->max_active)
			snprintf(l->waiting, sizeof(l->waiting),
				 "%s other sessions are active, over --max-active %u", buf,
				 c->max_active);
	}
}

/* Wait while a batch may not start; false when interrupted. */
static bool hold(struct loop *l)
{
	double since = 0;
	char said[512] = "";

	for (;;) {
		if (l->c->interrupted && *l->c->interrupted)
			return false;
		why_wait(l);
		if (!l->waiting[0])
			break;
		if (!since)
			since = pgs_now();
		if (strcmp(said, l->waiting) != 0) {
			pgs_session_say(l->s, "%s: waiting: %s", l->run->label, l->waiting);
			snprintf(said, sizeof(said), "%s", l->waiting);
		}
		report(l, false);
		pgs_sleep_ms(500);
	}
	if (since)
		pgs_session_say(l->s, "%s: going on after waiting %.0f s", l->run->label,
				pgs_now() - since);
	return true;
}

/* The table's size estimate for the progress: rows (by key) or pages. */
static void estimate(struct loop *l)
{
	char buf[32];
	const char *params[1] = {l->b->rel};

	/* rows: the planner's estimate; without one (never analyzed), a count
	 * where it is cheap (under 1 GB) */
	char *count = sql_printf("SELECT count(*) FROM %s", l->b->rel);
	if (pgs_session_value(l->s, l->s->monitor,
			      l->b->pk ? "SELECT CASE WHEN reltuples > 0 THEN reltuples::bigint WHEN "
					 "pg_catalog.pg_relation_size(oid) < 1073741824 THEN -1 ELSE 0 "
					 "END FROM pg_catalog.pg_class WHERE oid = $1::regclass"
				       : "SELECT pg_catalog.pg_relation_size($1::regclass) / "
					 "current_setting('block_size')::int",
			      1, params, buf, sizeof(buf)) == 0 &&
	    (strcmp(buf, "-1") != 0 ||
	     pgs_session_value(l->s, l->s->monitor, count, 0, NULL, buf, sizeof(buf)) == 0))
		l->progress.total = strtoull(buf, NULL, 10);
	free(count);
}

/* A new pass: its end (the last key or page there is now); false: nothing left to do. */
static int start_pass(struct loop *l, bool *more, const char **at)
{
	char buf[32];
	PGresult *res = NULL;
	const char *params[1] = {l->b->rel};
	char *sql;

	*more = false;
	if (l->b->pending) {
		sql = sql_printf("SELECT EXISTS (SELECT FROM %s%s%s WHERE %s)", l->b->rel,
				 l->b->alias ? " AS " : "", l->b->alias ? l->b->alias : "",
				 l->b->pending);
		int rc = pgs_session_value(l->s, l->s->conn, sql, 0, NULL, buf, sizeof(buf));
		free(sql);
		if (rc)
			return *at = "SELECT EXISTS (... the rows still to do)", -1;
		if (strcmp(buf, "t") != 0)
			return 0;
		if (l->pass > 1)
			pgs_session_say(l->s, "%s: pass %u over %s, for the rows still to do",
					l->run->label, l->pass, l->b->rel);
		if (l->pass > MAX_PASSES) {
			snprintf(l->s->sqlstate, sizeof(l->s->sqlstate), "%s", "P0001");
			snprintf(l->s->message, sizeof(l->s->message),
				 "rows of %s are still not done after %d passes: something keeps "
				 "writing rows the backfill must change; stop it",
				 l->b->rel, MAX_PASSES);
			return *at = "the backfill's passes", -1;
		}
	}
	if (l->b->pk) {
		sql = sql_printf("SELECT %s FROM %s ORDER BY %s DESC LIMIT 1", l->b->pk, l->b->rel,
				 l->b->pk);
		int rc = pgs_session_run(l->s, l->s->conn, sql, 0, NULL, &res);
		free(sql);
		if (rc)
			return *at = "SELECT the table's last key", -1;
		if (!PQntuples(res)) {
			PQclear(res);
			return 0; /* an empty table */
		}
		snprintf(l->end, sizeof(l->end), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
	} else {
		if (pgs_session_value(l->s, l->s->conn,
				      "SELECT pg_catalog.pg_relation_size($1::regclass) / "
				      "current_setting('block_size')::int",
				      1, params, l->end, sizeof(l->end)))
			return *at = "SELECT pg_relation_size(...)", -1;
		snprintf(l->last, sizeof(l->last), "0");
	}
	if (l->b->pk)
		l->last[0] = '\0';
	l->passed = 0;
	estimate(l);
	*more = true;
	if (save(l))
		return *at = "UPDATE pgstage.backfills", -1;
	return 0;
}

enum batch { BATCH_DONE, BATCH_PASS_OVER, BATCH_FAILED };

/* One batch in its own transaction, with the state it reaches. */
static enum batch batch(struct loop *l, const char **at)
{
	const struct pgs_backfill_run *run = l->run;
	char size[32], hi[512], rows[32], passed[32], batch_size[32];
	unsigned long long span = 0;
	PGresult *res = NULL;
	bool first = !l->last[0];
	const char *timeouts[3] = {run->lock_timeout, run->statement_timeout, "true"};

	snprintf(size, sizeof(size), "%zu", l->batch);
	if (pgs_session_run(l->s, l->s->conn, "BEGIN", 0, NULL, NULL) ||
	    pgs_session_run(l->s, l->s->conn,
			    "SELECT pg_catalog.set_config('lock_timeout', $1, $3::bool), "
			    "pg_catalog.set_config('statement_timeout', $2, $3::bool)",
			    3, timeouts, NULL))
		return *at = "BEGIN", BATCH_FAILED;
	if (l->b->pk) {
		const char *params[3] = {l->end, size, l->last};
		*at = first ? l->window_first : l->window_next;
		if (pgs_session_watched(l->s, run->label, *at, first ? 2 : 3, params, &res))
			return BATCH_FAILED;
		if (!PQntuples(res)) {
			PQclear(res);
			return pgs_session_run(l->s, l->s->conn, "COMMIT", 0, NULL, NULL)
				   ? (*at = "COMMIT", BATCH_FAILED)
				   : BATCH_PASS_OVER;
		}
		snprintf(hi, sizeof(hi), "%s", PQgetvalue(res, 0, 0));
		span = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
		PQclear(res);
		const char *body[2] = {hi, l->last};
		*at = first ? l->body_first : l->body_next;
		if (pgs_session_watched(l->s, run->label, *at, first ? 1 : 2, body, &res))
			return BATCH_FAILED;
	} else {
		if (strtoull(l->last, NULL, 10) > strtoull(l->end, NULL, 10))
			return pgs_session_run(l->s, l->s->conn, "COMMIT", 0, NULL, NULL)
				   ? (*at = "COMMIT", BATCH_FAILED)
				   : BATCH_PASS_OVER;
		const char *body[2] = {l->last, size};
		*at = l->body_first;
		if (pgs_session_watched(l->s, run->label, *at, 2, body, &res))
			return BATCH_FAILED;
		span = l->batch;
		snprintf(hi, sizeof(hi), "%llu", strtoull(l->last, NULL, 10) + l->batch);
	}
	unsigned long long changed = strtoull(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	snprintf(rows, sizeof(rows), "%llu", changed);
	snprintf(passed, sizeof(passed), "%llu", l->passed + span);
	snprintf(batch_size, sizeof(batch_size), "%zu", l->batch);
	const char *state[6] = {run->run_id, l->stage, hi, rows, passed, batch_size};
	*at = "UPDATE pgstage.backfills";
	if (pgs_session_run(l->s, l->s->conn,
			    "UPDATE pgstage.backfills SET last_key = $3, rows = rows + $4::bigint, "
			    "passed = $5::bigint, batches = batches + 1, batch_size = $6::int, "
			    "updated_at = now() WHERE run_id = $1 AND stage = $2::int",
			    6, state, NULL))
		return BATCH_FAILED;
	*at = "COMMIT";
	if (pgs_session_run(l->s, l->s->conn, "COMMIT", 0, NULL, NULL))
		return BATCH_FAILED;
	snprintf(l->last, sizeof(l->last), "%s", hi);
	l->rows += changed;
	l->passed += span;
	return BATCH_DONE;
}

/* The next batch's size: toward the target duration, at most halved or doubled. */
static void adapt(struct loop *l, double took)
{
	double target = l->c->batch_time > 0 ? l->c->batch_time : 0.2;
	double f = took > 0 ? target / took : 2;
	size_t max = l->b->pk ? MAX_ROWS : MAX_PAGES, min = l->b->pk ? MIN_ROWS : 1;
	double next = (double)l->batch * (f < 0.5 ? 0.5 : f > 2 ? 2 : f);

	l->batch = next < (double)min ? min : next > (double)max ? max : (size_t)next;
}

/* A batch, tried again after a lock timeout or a deadlock. */
static enum batch batch_retried(struct loop *l, const char **at)
{
	unsigned wait = 200;

	for (unsigned attempt = 1;; attempt++) {
		double start = pgs_now();
		enum batch r = batch(l, at);
		if (r != BATCH_FAILED) {
			double took = pgs_now() - start;
			if (r == BATCH_DONE) {
				l->busy += took;
				double rate = (double)l->batch / (took > 0 ? took : 1e-3);
				l->rate = l->rate ? 0.8 * l->rate + 0.2 * rate : rate;
				adapt(l, took);
			}
			return r;
		}
		char state[6], message[1024];
		memcpy(state, l->s->sqlstate, sizeof(state));
		memcpy(message, l->s->message, sizeof(message));
		(void)pgs_session_run(l->s, l->s->conn, "ROLLBACK", 0, NULL, NULL);
		memcpy(l->s->sqlstate, state, sizeof(state));
		memcpy(l->s->message, message, sizeof(message));
		bool lock = strcmp(state, "55P03") == 0 || strcmp(state, "40P01") == 0;
		if (!lock || attempt > l->run->retries)
			return BATCH_FAILED;
		unsigned ms = wait + (unsigned)(rand() % (int)(wait / 2 + 1));
		pgs_session_say(l->s, "%s: a batch: %s (%s)%s%s; trying again in %u ms (%u of %u)",
				l->run->label,
				strcmp(state, "55P03") == 0 ? "lock timeout" : "deadlock", message,
				l->s->blockers[0] ? "; blocked by " : "", l->s->blockers, ms,
				attempt, l->run->retries);
		pgs_sleep_ms(ms);
		wait = wait * 2 > 5000 ? 5000 : wait * 2;
	}
}

enum pgs_backfill_result pgs_exec_backfill(const struct pgs_backfill_run *run, const char **at)
{
	struct loop *l = calloc(1, sizeof(*l));
	enum pgs_backfill_result result = PGS_BACKFILL_FAILED;

	if (!l)
		abort();
	*l = (struct loop){.run = run, .s = run->s, .b = run->b, .c = run->control};
	snprintf(l->stage, sizeof(l->stage), "%zu", run->stage + 1);
	make_sql(l);
	if (load(l)) {
		*at = "SELECT ... FROM pgstage.backfills";
		goto out;
	}
	/* a pass under way (resumed) needs its estimate; a new one makes its own */
	if (l->end[0])
		estimate(l);
	for (;;) {
		if (!l->end[0]) {
			bool more;
			if (start_pass(l, &more, at))
				goto out;
			if (!more)
				break;
		}
		if (!hold(l)) {
			pgs_session_say(l->s,
					"%s: interrupted after %llu rows; run the same command again "
					"to go on from %s %s",
					run->label, l->rows, l->b->pk ? "key" : "page",
					l->last[0] ? l->last : "(the start)");
			result = PGS_BACKFILL_INTERRUPTED;
			goto out;
		}
		enum batch r = batch_retried(l, at);
		if (r == BATCH_FAILED)
			goto out;
		if (r == BATCH_PASS_OVER) {
			bool one_pass = !l->b->pending;
			l->end[0] = '\0';
			l->pass++;
			if (one_pass)
				break;
			l->last[0] = '\0';
		}
		report(l, false);
	}
	l->waiting[0] = '\0';
	report(l, true);
	pgs_session_say(l->s, "%s: %llu rows changed in %.1f s of batches%s", run->label, l->rows,
			l->busy, l->b->pending ? "; checked: no row is left to do" : "");
	result = PGS_BACKFILL_DONE;
out:
	free_sql(l);
	free(l);
	return result;
}
