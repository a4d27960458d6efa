#include "exec/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/conn.h"
#include "exec/session.h"
#include "exec/snapshot.h"

struct tracer {
	const struct pgs_trace_options *o;
	PGconn *conn;
	long disagreements;
	size_t failed;
};

static int exec_ok(PGconn *conn, const char *sql, char *why, size_t size)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY ? 0 : -1;

	if (rc && why) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		snprintf(why, size, "SQLSTATE %s: %s", state ? state : "?????",
			 m ? m : PQerrorMessage(conn));
	}
	PQclear(res);
	return rc;
}

/* names as a text[] literal: {"a","b"}, " and \ escaped */
static char *name_array(const struct pgs_trace_statement *stmts, size_t n)
{
	size_t cap = 16, len = 0;
	char *out = malloc(cap);

	if (!out)
		abort();
	out[len++] = '{';
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < stmts[i].n_predicted; k++) {
			const char *name = stmts[i].predicted[k].relation;
			size_t need = len + 2 * strlen(name) + 5;
			if (need > cap) {
				cap = need * 2;
				if (!(out = realloc(out, cap)))
					abort();
			}
			if (len > 1)
				out[len++] = ',';
			out[len++] = '"';
			for (const char *p = name; *p; p++) {
				if (*p == '"' || *p == '\\')
					out[len++] = '\\';
				out[len++] = *p;
			}
			out[len++] = '"';
		}
	out[len++] = '}';
	out[len] = '\0';
	return out;
}

/* Other sessions holding locks on the relations the statements touch: "" when none. */
static int in_use(struct tracer *t, const struct pgs_trace_statement *stmts, size_t n,
		  char *who, size_t size, struct pgs_error *err)
{
	char *names = name_array(stmts, n);
	const char *params[1] = {names};
	PGresult *res = PQexecParams(
	    t->conn,
	    "SELECT coalesce(string_agg(DISTINCT format('pid %s (user %s, application %s, %s) on "
	    "%s', l.pid, a.usename, coalesce(nullif(a.application_name, ''), '-'), a.state, "
	    "l.relation::regclass), '; '), '') FROM pg_catalog.pg_locks l JOIN "
	    "pg_catalog.pg_stat_activity a ON a.pid = l.pid JOIN pg_catalog.pg_class c ON c.oid = "
	    "l.relation JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace WHERE "
	    "l.locktype = 'relation' AND l.pid <> pg_catalog.pg_backend_pid() AND "
	    /* autovacuum gives way to a conflicting lock by itself */
	    "a.backend_type = 'client backend' AND l.database = "
	    "(SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) AND "
	    "s.nspname || '.' || c.relname = ANY ($1::text[])",
	    1, NULL, params, NULL, NULL, 0);
	int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;

	if (rc)
		pgs_error_set(err, "could not read pg_locks: %s", PQerrorMessage(t->conn));
	else
		snprintf(who, size, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	free(names);
	return rc;
}

/* The strongest effect predicted on name, or NULL. */
static const struct pgs_effect *prediction(const struct pgs_trace_statement *s, const char *name)
{
	const struct pgs_effect *best = NULL;

	for (size_t k = 0; k < s->n_predicted; k++) {
		const struct pgs_effect *e = &s->predicted[k];
		if (strcmp(e->relation, name) == 0 && (!best || e->lock > best->lock))
			best = e;
	}
	return best;
}

static bool is_table(char kind)
{
	return kind == 'r' || kind == 'p' || kind == 'm';
}

/*
 * An index of table oid was rebuilt between the snapshots: a new file, or
 * gone and made again under its name (ALTER COLUMN TYPE drops and creates
 * the indexes on the column).
 */
static bool reindexed(const struct pgs_snapshot *before, const struct pgs_snapshot *after,
		      unsigned oid)
{
	for (size_t i = 0; i < before->n; i++) {
		const struct pgs_snapshot_rel *x = &before->rels[i];
		if (x->kind != 'i' || x->table != oid)
			continue;
		const struct pgs_snapshot_rel *y = pgs_snapshot_by_oid(after, x->oid);
		if (y ? x->filenode && y->filenode && x->filenode != y->filenode
		      : (y = pgs_snapshot_by_name(after, x->name)) && y->table == oid)
			return true;
	}
	return false;
}

static void add_why(struct pgs_trace_relation *r, const char *what)
{
	size_t n = strlen(r->why);
	snprintf(r->why + n, sizeof(r->why) - n, "%s%s", n ? "; " : "", what);
	r->disagrees = true;
}

/* Compare what relation y (after; x before, or NULL) went through with the prediction. */
static void judge(struct pgs_trace_relation *r, const struct pgs_effect *p,
		  const struct pgs_snapshot_rel *x, const struct pgs_snapshot_rel *y,
		  const struct pgs_snapshot *before, const struct pgs_snapshot *after)
{
	char buf[160];
	enum pgs_lock had = x ? pgs_lock_strongest(pgs_snapshot_lock_mask(before, x->oid)) : 0;
	unsigned gained = pgs_snapshot_lock_mask(after, y->oid) &
			  ~(x ? pgs_snapshot_lock_mask(before, x->oid) : 0);

	r->observed_lock = pgs_lock_strongest(gained);
	r->rewrite = x && x->filenode && y->filenode && x->filenode != y->filenode;
	r->reindex = x && reindexed(before, after, x->oid);
	r->scan = x && y->seq_scan > x->seq_scan;
	r->observed = r->observed_lock || r->rewrite || r->reindex || r->scan;
	if (!p) {
		if (is_table(y->kind) && r->observed_lock) {
			snprintf(buf, sizeof(buf), "took %s, not predicted",
				 pgs_lock_name(r->observed_lock));
			add_why(r, buf);
		}
		return;
	}
	r->predicted = true;
	r->predicted_lock = p->lock;
	r->predicted_rewrite = p->rewrite;
	r->predicted_reindex = p->reindex;
	r->predicted_scan = p->scan;
	/* a mode the transaction held already (an earlier statement took it) is
	 * not taken again: not seen, only weaker ones it had not */
	r->held_already = had >= p->lock;
	/* ROW SHARE on another table is a foreign key check: it runs only for the
	 * rows a statement changes, and on a small table it may scan */
	bool key_check = p->lock == PGS_LOCK_ROW_SHARE;
	if (key_check && !r->observed_lock && !r->held_already) {
		snprintf(r->why, sizeof(r->why), "%s",
			 "a foreign key check: it runs for the rows the statement changes, here none");
		return;
	}
	if (r->observed_lock != p->lock && !r->held_already &&
	    !(p->assumed && r->observed_lock < p->lock)) {
		snprintf(buf, sizeof(buf), "predicted %s, took %s", pgs_lock_name(p->lock),
			 r->observed_lock ? pgs_lock_name(r->observed_lock) : "no new lock");
		add_why(r, buf);
	}
	/* made by the statement: nothing to rewrite or scan; an index's new file is
	 * its rebuild, judged on its table; a partitioned table has no storage:
	 * its partitions are judged */
	if (!x || y->kind == 'i' || y->kind == 'p')
		return;
	if (!r->rewrite && !r->scan && key_check)
		return;
	if (p->rewrite != r->rewrite && !(p->assumed && !r->rewrite))
		add_why(r, p->rewrite ? "predicted a rewrite, the table kept its file"
				      : "rewritten (a new file), not predicted");
	else if (!r->rewrite && p->reindex != r->reindex && !(p->assumed && !r->reindex))
		add_why(r, p->reindex ? "predicted an index rebuild, none was"
				      : "an index rebuilt, not predicted");
	if (!r->rewrite && p->scan != r->scan && !(p->assumed && !r->scan) && !key_check)
		add_why(r, p->scan ? "predicted a scan, none was" : "scanned, not predicted");
}

/* Each relation predicted or touched, judged; in res. */
static void compare(struct pgs_trace_result *res, const struct pgs_trace_statement *s,
		    const struct pgs_snapshot *before, const struct pgs_snapshot *after)
{
	res->relations = calloc(after->n + s->n_predicted + 1, sizeof(*res->relations));
	if (!res->relations)
		abort();
	for (size_t i = 0; i < after->n; i++) {
		const struct pgs_snapshot_rel *y = &after->rels[i];
		const struct pgs_snapshot_rel *x = pgs_snapshot_by_oid(before, y->oid);
		/* by its name before the statement (a rename) */
		const struct pgs_effect *p = prediction(s, y->name);
		if (!p && x)
			p = prediction(s, x->name);
		struct pgs_trace_relation r = {0};
		snprintf(r.name, sizeof(r.name), "%s", y->name);
		judge(&r, p, x, y, before, after);
		if (!r.predicted && !r.disagrees && !(is_table(y->kind) && r.observed))
			continue;
		res->disagreements += r.disagrees;
		res->relations[res->n_relations++] = r;
	}
	/* predicted on a relation that is not there after (dropped): its lock is gone too */
	for (size_t k = 0; k < s->n_predicted; k++) {
		const struct pgs_effect *p = &s->predicted[k];
		bool seen = pgs_snapshot_by_name(after, p->relation) != NULL;
		for (size_t i = 0; i < res->n_relations && !seen; i++)
			seen = strcmp(res->relations[i].name, p->relation) == 0;
		if (seen)
			continue;
		struct pgs_trace_relation r = {.predicted = true, .predicted_lock = p->lock};
		snprintf(r.name, sizeof(r.name), "%s", p->relation);
		snprintf(r.why, sizeof(r.why), "%s", "dropped by the statement: its lock went with it, not seen");
		res->relations[res->n_relations++] = r;
	}
}

static void trace_one(struct tracer *t, const struct pgs_trace_statement *s)
{
	struct pgs_trace_result res = {.statement = s};
	struct pgs_snapshot before = {0}, after = {0};
	struct pgs_error err;

	if (s->control) {
		res.outcome = PGS_TRACE_CONTROL;
	} else if (s->no_transaction) {
		res.outcome = PGS_TRACE_NOT_IN_TRANSACTION;
	} else if (pgs_snapshot_take(t->conn, &before, PGS_SNAP_LOCKS, &err) ||
		   exec_ok(t->conn, "SAVEPOINT pgstage_trace", res.message, sizeof(res.message))) {
		res.outcome = PGS_TRACE_FAILED;
		if (!res.message[0])
			snprintf(res.message, sizeof(res.message), "%.500s", err.message);
	} else {
		double start = pgs_now();
		bool failed = exec_ok(t->conn, s->sql, res.message, sizeof(res.message)) != 0;
		res.ms = (pgs_now() - start) * 1000;
		if (failed) {
			res.outcome = PGS_TRACE_FAILED;
			(void)exec_ok(t->conn, "ROLLBACK TO SAVEPOINT pgstage_trace", NULL, 0);
		} else if (exec_ok(t->conn, "RELEASE SAVEPOINT pgstage_trace", res.message,
				   sizeof(res.message)) ||
			   pgs_snapshot_take(t->conn, &after, PGS_SNAP_LOCKS, &err)) {
			res.outcome = PGS_TRACE_FAILED;
		} else {
			res.outcome = PGS_TRACE_RAN;
			compare(&res, s, &before, &after);
		}
	}
	t->disagreements += (long)res.disagreements;
	t->failed += res.outcome == PGS_TRACE_FAILED;
	if (t->o->each)
		t->o->each(t->o->data, &res);
	free(res.relations);
	pgs_snapshot_free(&before);
	pgs_snapshot_free(&after);
}

long pgs_trace(const struct pgs_trace_options *o, const struct pgs_trace_statement *stmts,
	       size_t n, size_t *failed, struct pgs_error *err)
{
	struct tracer t = {.o = o};
	char who[2048], why[512];
	long rc = -1;

	if (!(t.conn = pgs_exec_connect(o->db, "pgstage trace", err)))
		return -1;
	PQclear(PQexec(t.conn, "SET client_min_messages = warning"));
	if (PQserverVersion(t.conn) / 10000 != o->pg_version) {
		pgs_error_set(err,
			      "the server is PostgreSQL %d and the predictions are for %d: pass "
			      "--pg-version %d",
			      PQserverVersion(t.conn) / 10000, o->pg_version,
			      PQserverVersion(t.conn) / 10000);
		goto out;
	}
	if (in_use(&t, stmts, n, who, sizeof(who), err))
		goto out;
	if (who[0] && !o->force) {
		pgs_error_set(err,
			      "other sessions use the migration's tables: %s; trace takes their "
			      "locks for real (then rolls back): run it on a copy, or pass --force",
			      who);
		goto out;
	}
	/* short waits: a lock another session holds fails the statement, not the server */
	if (exec_ok(t.conn, "BEGIN", why, sizeof(why)) ||
	    exec_ok(t.conn, "SET LOCAL lock_timeout = '2s'", why, sizeof(why))) {
		pgs_error_set(err, "could not start the transaction: %s", why);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		trace_one(&t, &stmts[i]);
	(void)exec_ok(t.conn, "ROLLBACK", NULL, 0);
	rc = t.disagreements;
	if (failed)
		*failed = t.failed;
out:
	PQfinish(t.conn);
	return rc;
}
