/*
 * snapshot: what a session sees of the relations of the user schemas at one
 * moment (relfilenode, sequential scans, its own granted locks), so that
 * two snapshots around a statement tell whether it rewrote or scanned a
 * table and under which lock: verify's trace of a plan, and the tests'.
 */
#include "exec/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum pgs_lock pgs_lock_from_pg(const char *mode)
{
	static const struct {
		const char *name;
		enum pgs_lock lock;
	} map[] = {
		{"AccessShareLock", PGS_LOCK_ACCESS_SHARE},
		{"RowShareLock", PGS_LOCK_ROW_SHARE},
		{"RowExclusiveLock", PGS_LOCK_ROW_EXCLUSIVE},
		{"ShareUpdateExclusiveLock", PGS_LOCK_SHARE_UPDATE_EXCLUSIVE},
		{"ShareLock", PGS_LOCK_SHARE},
		{"ShareRowExclusiveLock", PGS_LOCK_SHARE_ROW_EXCLUSIVE},
		{"ExclusiveLock", PGS_LOCK_EXCLUSIVE},
		{"AccessExclusiveLock", PGS_LOCK_ACCESS_EXCLUSIVE},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].name, mode) == 0)
			return map[i].lock;
	return PGS_LOCK_NONE; /* SIReadLock and the like: not a table lock mode */
}

enum pgs_lock pgs_lock_strongest(unsigned mask)
{
	for (int l = PGS_LOCK_ACCESS_EXCLUSIVE; l > PGS_LOCK_NONE; l--)
		if (mask & (1u << l))
			return (enum pgs_lock)l;
	return PGS_LOCK_NONE;
}

/* seq_scan: %s is the statistics view, flushed or the backend's own */
static const char snapshot_sql[] =
	"SELECT c.oid, n.nspname || '.' || c.relname, c.relname, c.relkind,"
	"       coalesce(pg_relation_filenode(c.oid), 0), coalesce(s.seq_scan, 0),"
	"       coalesce(i.indrelid, 0), coalesce(s.seq_tup_read, 0),"
	"       coalesce((SELECT min(h.inhparent::oid::bigint) FROM pg_inherits h"
	"                  WHERE h.inhrelid = c.oid), 0)"
	"  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
	"  LEFT JOIN %s s ON s.relid = c.oid"
	"  LEFT JOIN pg_index i ON i.indexrelid = c.oid"
	" WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
	"   AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%'";

static const char locks_sql[] =
	"SELECT l.relation, l.mode FROM pg_locks l"
	" WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted"
	"   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())";

void pgs_snapshot_free(struct pgs_snapshot *s)
{
	free(s->rels);
	free(s->locks);
	memset(s, 0, sizeof(*s));
}

static int snapshot_locks(PGconn *conn, struct pgs_snapshot *s, struct pgs_error *err)
{
	PGresult *res = PQexec(conn, locks_sql);

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pgs_error_set(err, "pg_locks query failed: %s", PQerrorMessage(conn));
		PQclear(res);
		return -1;
	}
	s->locks = calloc((size_t)PQntuples(res) + 1, sizeof(*s->locks));
	for (int i = 0; s->locks && i < PQntuples(res); i++) {
		unsigned oid = (unsigned)strtoul(PQgetvalue(res, i, 0), NULL, 10);
		enum pgs_lock l = pgs_lock_from_pg(PQgetvalue(res, i, 1));
		size_t k = 0;
		while (k < s->n_locks && s->locks[k].oid != oid)
			k++;
		if (k == s->n_locks)
			s->locks[s->n_locks++].oid = oid;
		if (l != PGS_LOCK_NONE)
			s->locks[k].mask |= 1u << l;
	}
	PQclear(res);
	if (!s->locks)
		abort();
	return 0;
}

int pgs_snapshot_take(PGconn *conn, struct pgs_snapshot *s, int flags, struct pgs_error *err)
{
	char sql[sizeof(snapshot_sql) + 32];

	memset(s, 0, sizeof(*s));
	snprintf(sql, sizeof(sql), snapshot_sql,
		 flags & PGS_SNAP_FLUSHED ? "pg_stat_user_tables" : "pg_stat_xact_user_tables");
	PGresult *res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pgs_error_set(err, "snapshot failed: %s", PQerrorMessage(conn));
		PQclear(res);
		return -1;
	}
	s->n = (size_t)PQntuples(res);
	s->rels = calloc(s->n ? s->n : 1, sizeof(*s->rels));
	for (size_t i = 0; s->rels && i < s->n; i++) {
		struct pgs_snapshot_rel *x = &s->rels[i];
		x->oid = (unsigned)strtoul(PQgetvalue(res, (int)i, 0), NULL, 10);
		snprintf(x->name, sizeof(x->name), "%s", PQgetvalue(res, (int)i, 1));
		snprintf(x->relname, sizeof(x->relname), "%s", PQgetvalue(res, (int)i, 2));
		x->kind = PQgetvalue(res, (int)i, 3)[0];
		x->filenode = strtoull(PQgetvalue(res, (int)i, 4), NULL, 10);
		x->seq_scan = strtoll(PQgetvalue(res, (int)i, 5), NULL, 10);
		x->table = (unsigned)strtoul(PQgetvalue(res, (int)i, 6), NULL, 10);
		x->seq_tup_read = strtoll(PQgetvalue(res, (int)i, 7), NULL, 10);
		x->parent = (unsigned)strtoul(PQgetvalue(res, (int)i, 8), NULL, 10);
	}
	PQclear(res);
	if (!s->rels)
		abort();
	return flags & PGS_SNAP_LOCKS ? snapshot_locks(conn, s, err) : 0;
}

const struct pgs_snapshot_rel *pgs_snapshot_by_oid(const struct pgs_snapshot *s, unsigned oid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->rels[i].oid == oid)
			return &s->rels[i];
	return NULL;
}

const struct pgs_snapshot_rel *pgs_snapshot_by_name(const struct pgs_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->rels[i].name, name) == 0)
			return &s->rels[i];
	return NULL;
}

unsigned pgs_snapshot_lock_mask(const struct pgs_snapshot *s, unsigned oid)
{
	for (size_t i = 0; i < s->n_locks; i++)
		if (s->locks[i].oid == oid)
			return s->locks[i].mask;
	return 0;
}

