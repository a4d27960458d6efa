#include "exec/verify.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/apply.h"
#include "exec/catalog.h"
#include "exec/cluster.h"
#include "exec/conn.h"
#include "exec/seed.h"
#include "exec/session.h"
#include "exec/snapshot.h"

struct verifier {
	const struct pgs_verify_options *o;
	struct pgs_verify_result *res;
	struct pgs_cluster cluster;
	bool have_cluster;
	PGconn *admin;
	char names[3][64]; /* base, original, plan */
	bool created[3];
	/* the tracer */
	struct pgs_snapshot existing, before;
	bool in_transaction;
};

enum { BASE, ORIGINAL, PLAN };

static void say(struct verifier *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct verifier *v, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (!v->o->say)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	v->o->say(v->o->say_data, line);
}

/* A conninfo for database dbname of the server used, malloc-ed; NULL with err. */
static char *conninfo(struct verifier *v, const char *dbname, struct pgs_error *err)
{
	if (!v->have_cluster)
		return pgs_exec_with_dbname(v->o->db, dbname, err);
	char buf[1024];
	char *out = strdup(pgs_cluster_conninfo(&v->cluster, dbname, buf, sizeof(buf)));
	if (!out)
		abort();
	return out;
}

static PGconn *connect_to(struct verifier *v, const char *dbname, struct pgs_error *err)
{
	char *info = conninfo(v, dbname, err);
	PGconn *conn = info ? pgs_exec_connect(info, "pgstage verify", err) : NULL;

	free(info);
	if (conn)
		PQclear(PQexec(conn, "SET client_min_messages = warning"));
	return conn;
}

static int exec_admin(struct verifier *v, const char *sql, struct pgs_error *err)
{
	PGresult *res = PQexec(v->admin, sql);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;

	if (rc)
		pgs_error_set(err, "%s: %s", sql, PQresultErrorMessage(res));
	PQclear(res);
	return rc;
}

/* CREATE DATABASE name [TEMPLATE base]: quoted, names are ours */
static int create_db(struct verifier *v, int which, struct pgs_error *err)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"%s%s%s", v->names[which],
		 which == BASE ? "" : " TEMPLATE \"", which == BASE ? "" : v->names[BASE],
		 which == BASE ? "" : "\"");
	if (exec_admin(v, sql, err))
		return -1;
	v->created[which] = true;
	return 0;
}

/* Run statements one by one, as psql does; the first that fails, from 1 (0: none). */
static size_t run_all(struct verifier *v, PGconn *conn, const char *const *stmts, size_t n,
		      char *why, size_t size)
{
	for (size_t i = 0; i < n; i++) {
		if (v->o->interrupted && *v->o->interrupted) {
			snprintf(why, size, "interrupted");
			return i + 1;
		}
		PGresult *res = PQexec(conn, stmts[i]);
		ExecStatusType st = PQresultStatus(res);
		bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
		if (!ok) {
			const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
			snprintf(why, size, "%s", m ? m : PQerrorMessage(conn));
		}
		PQclear(res);
		if (!ok)
			return i + 1;
	}
	return 0;
}

/* ---- the tracer: called by apply around each step ---- */

static bool is_table(const struct pgs_snapshot_rel *r)
{
	return r->kind == 'r' || r->kind == 'm';
}

/* What the step did to existing table e: "", or "rewrites", "scans", "rebuilds index X". */
static const char *change_of(struct verifier *v, const struct pgs_snapshot *after,
			     const struct pgs_snapshot_rel *e, char *buf, size_t size)
{
	const struct pgs_snapshot_rel *b = pgs_snapshot_by_oid(&v->before, e->oid);
	const struct pgs_snapshot_rel *a = pgs_snapshot_by_oid(after, e->oid);

	if (!a || !b)
		return ""; /* dropped, or made by the plan */
	if (a->filenode && b->filenode && a->filenode != b->filenode)
		return "rewrites it (a new relfilenode)";
	if (v->in_transaction && a->seq_scan > b->seq_scan)
		return "scans it";
	for (size_t i = 0; i < v->existing.n; i++) {
		const struct pgs_snapshot_rel *x = &v->existing.rels[i];
		if (x->kind != 'i' || x->table != e->oid)
			continue;
		const struct pgs_snapshot_rel *xb = pgs_snapshot_by_oid(&v->before, x->oid);
		const struct pgs_snapshot_rel *xa = pgs_snapshot_by_oid(after, x->oid);
		if (xb && xa && xb->filenode && xa->filenode && xb->filenode != xa->filenode) {
			snprintf(buf, size, "rebuilds its index %s", x->name);
			return buf;
		}
	}
	return "";
}

static void on_step(void *data, PGconn *conn, size_t stage, size_t step, bool after)
{
	struct verifier *v = data;
	const struct pgs_plan_stage *st = &v->o->plan->stages[stage];
	struct pgs_error err;
	char buf[600], line[128];

	v->in_transaction = st->kind == PGS_STAGE_TRANSACTIONAL;
	if (!after) {
		pgs_snapshot_free(&v->before);
		if (pgs_snapshot_take(conn, &v->before, v->in_transaction ? PGS_SNAP_LOCKS : 0, &err))
			say(v, "trace: %s", err.message);
		return;
	}
	struct pgs_snapshot now;
	if (pgs_snapshot_take(conn, &now, v->in_transaction ? PGS_SNAP_LOCKS : 0, &err)) {
		say(v, "trace: %s", err.message);
		pgs_snapshot_free(&now);
		return;
	}
	v->res->traced++;
	for (size_t i = 0; i < v->existing.n; i++) {
		const struct pgs_snapshot_rel *e = &v->existing.rels[i];
		if (!is_table(e))
			continue;
		const char *what = change_of(v, &now, e, buf, sizeof(buf));
		if (!*what)
			continue;
		enum pgs_lock held = pgs_lock_strongest(pgs_snapshot_lock_mask(&now, e->oid));
		/* a new file needs SHARE or more whatever the lock seen; a scan only
		 * blocks writes under a lock that does */
		bool new_file = strcmp(what, "scans it") != 0;
		if (v->in_transaction && held < PGS_LOCK_SHARE)
			continue;
		if (!v->in_transaction && !new_file)
			continue;
		v->res->violations++;
		say(v, "violation: stage %zu/%zu, step %zu (`%s`) %s: %s%s%s", stage + 1,
		    v->o->plan->n_stages, step + 1,
		    pgs_excerpt(st->backfill ? st->backfill->body : st->steps[step].sql, line,
				sizeof(line)),
		    e->name, what, v->in_transaction ? " while the transaction holds " : "",
		    v->in_transaction ? pgs_lock_name(held) : "");
	}
	pgs_snapshot_free(&now);
}

/* ---- the run ---- */

static void apply_said(void *data, const char *line)
{
	struct verifier *v = data;
	say(v, "plan: %s", line);
}

static void left_empty(void *data, const char *table, const char *why)
{
	say(data, "not seeded: %s: %s", table, why);
}

static int prepare(struct verifier *v, struct pgs_error *err)
{
	char why[512];

	snprintf(v->names[BASE], sizeof(v->names[BASE]), "pgstage_verify_%d_base", (int)getpid());
	snprintf(v->names[ORIGINAL], sizeof(v->names[ORIGINAL]), "pgstage_verify_%d_original",
		 (int)getpid());
	snprintf(v->names[PLAN], sizeof(v->names[PLAN]), "pgstage_verify_%d_plan", (int)getpid());
	if (create_db(v, BASE, err))
		return -1;
	PGconn *base = connect_to(v, v->names[BASE], err);
	if (!base)
		return -1;
	size_t failed = run_all(v, base, v->o->context, v->o->n_context, why, sizeof(why));
	if (failed) {
		char line[128];
		pgs_error_set(err, "context statement %zu (`%s`) fails: %s", failed,
			      pgs_excerpt(v->o->context[failed - 1], line, sizeof(line)), why);
		PQfinish(base);
		return -1;
	}
	if (v->o->rows > 0) {
		int seeded = pgs_seed(base, v->o->rows, left_empty, v, err);
		if (seeded < 0) {
			PQfinish(base);
			return -1;
		}
		say(v, "seeded %d table%s with %lld rows each", seeded, seeded == 1 ? "" : "s",
		    v->o->rows);
	}
	PQfinish(base);
	/* a template must have no session */
	return create_db(v, ORIGINAL, err) || create_db(v, PLAN, err) ? -1 : 0;
}

static int run_original(struct verifier *v, struct pgs_error *err)
{
	char why[512], line[128];
	PGconn *conn = connect_to(v, v->names[ORIGINAL], err);

	if (!conn)
		return -1;
	size_t failed = run_all(v, conn, v->o->original, v->o->n_original, why, sizeof(why));
	PQfinish(conn);
	v->res->failed_statement = failed;
	if (failed)
		say(v, "the migration as written fails at statement %zu (`%s`): %s", failed,
		    pgs_excerpt(v->o->original[failed - 1], line, sizeof(line)), why);
	return 0;
}

static int run_plan(struct verifier *v, struct pgs_error *err)
{
	char *info = conninfo(v, v->names[PLAN], err);
	PGconn *conn = info ? connect_to(v, v->names[PLAN], err) : NULL;
	struct pgs_error apply_err;

	if (!conn || pgs_snapshot_take(conn, &v->existing, 0, err)) {
		PQfinish(conn);
		free(info);
		return -1;
	}
	PQfinish(conn);
	struct pgs_apply_options ao = {
	    .db = info,
	    .phase = UINT_MAX, /* no application to deploy here: past every checkpoint */
	    .retries = 5,
	    .run_id = "verify",
	    .say = apply_said,
	    .say_data = v,
	    .control = {.batch_time = 0.2, .interrupted = v->o->interrupted},
	    .trace = on_step,
	    .trace_data = v,
	};
	if (pgs_apply(v->o->plan, &ao, &apply_err) != PGS_APPLY_DONE) {
		v->res->plan_failed = true;
		say(v, "the plan fails: %s", apply_err.message);
	}
	free(info);
	return 0;
}

static void diff_line(void *data, char sign, const char *text)
{
	struct verifier *v = data;
	say(v, "%s %s", sign == '-' ? "only after the migration as written:"
				    : "only after the plan:",
	    text);
}

static int compare(struct verifier *v, struct pgs_error *err)
{
	PGconn *a = connect_to(v, v->names[ORIGINAL], err), *b = NULL;
	char *ca = NULL, *cb = NULL;
	int rc = -1;

	if (!a || !(b = connect_to(v, v->names[PLAN], err)))
		goto out;
	/* apply's bookkeeping is not the migration's */
	PQclear(PQexec(b, "DROP SCHEMA IF EXISTS pgstage CASCADE"));
	PQclear(PQexec(b, "DROP TABLE IF EXISTS " PGS_PROGRESS_TABLE));
	if (!(ca = pgs_catalog_lines(a, err)) || !(cb = pgs_catalog_lines(b, err)))
		goto out;
	for (const char *p = ca; *p; p++)
		v->res->catalog_lines += *p == '\n';
	v->res->catalog_lines += *ca != '\0';
	v->res->differences = pgs_catalog_diff(ca, cb, diff_line, v);
	rc = 0;
out:
	free(ca);
	free(cb);
	PQfinish(a);
	PQfinish(b);
	return rc;
}

static void clean_up(struct verifier *v)
{
	for (int i = PLAN; i >= BASE && v->admin; i--) {
		if (!v->created[i])
			continue;
		char sql[128];
		struct pgs_error ignored;
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\"", v->names[i]);
		(void)exec_admin(v, sql, &ignored);
	}
	PQfinish(v->admin);
	pgs_snapshot_free(&v->existing);
	pgs_snapshot_free(&v->before);
	if (v->have_cluster)
		pgs_cluster_stop(&v->cluster);
}

int pgs_verify(const struct pgs_verify_options *o, struct pgs_verify_result *res,
	       struct pgs_error *err)
{
	struct verifier v = {.o = o, .res = res};
	int rc = -1;

	memset(res, 0, sizeof(*res));
	if (!o->db) {
		if (pgs_cluster_start(&v.cluster, o->pg_version, err))
			return -1;
		v.have_cluster = true;
		say(&v, "a throwaway PostgreSQL %d server in %s", v.cluster.major, v.cluster.dir);
	}
	if (!(v.admin = v.have_cluster ? connect_to(&v, "postgres", err)
				       : pgs_exec_connect(o->db, "pgstage verify", err)))
		goto out;
	if (prepare(&v, err) || run_original(&v, err) || run_plan(&v, err) || compare(&v, err))
		goto out;
	res->interrupted = o->interrupted && *o->interrupted;
	rc = 0;
out:
	clean_up(&v);
	return rc;
}
