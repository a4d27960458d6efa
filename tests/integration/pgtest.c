#include "tests/integration/pgtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include <pg_query.h>

PGconn *pgt_connect(const char *dbname, const char *application_name)
{
	const char *const keys[] = {"dbname", "application_name", NULL};
	const char *const values[] = {dbname, application_name, NULL};
	PGconn *conn = PQconnectdbParams(keys, values, 0);

	if (PQstatus(conn) != CONNECTION_OK) {
		printf("connect to database %s: %s", dbname ? dbname : "(default)",
		       PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

int pgt_exec(PGconn *conn, const char *sql)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		printf("SQL failed: %s\n  error: %s", sql, PQerrorMessage(conn));
		rc = -1;
	}
	PQclear(r);
	return rc;
}

int pgt_drop_database(PGconn *admin, const char *dbname)
{
	char sql[512];

	if (PQserverVersion(admin) >= 130000) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
		return pgt_exec(admin, sql);
	}
	/* before 13: end its sessions first; a terminated one takes a moment to go */
	snprintf(sql, sizeof(sql),
		 "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' "
		 "AND pid <> pg_backend_pid()",
		 dbname);
	if (pgt_exec(admin, sql) != 0)
		return -1;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", dbname);
	for (int i = 0; i < 100; i++) {
		PGresult *r = PQexec(admin, sql);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if (ok)
			return 0;
		usleep(50 * 1000);
	}
	return pgt_exec(admin, sql);
}

int pgt_create_copy(PGconn *admin, const char *template_db, const char *dbname)
{
	char sql[256];

	if (pgt_drop_database(admin, dbname) != 0)
		return -1;
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE %s", dbname, template_db);
	return pgt_exec(admin, sql);
}

void pgt_drop_db(PGconn *admin, const char *dbname)
{
	(void)pgt_drop_database(admin, dbname);
}

enum pgs_lock pgt_lock_from_pg(const char *mode)
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

enum pgs_lock pgt_strongest(unsigned mask)
{
	for (int l = PGS_LOCK_ACCESS_EXCLUSIVE; l > PGS_LOCK_NONE; l--)
		if (mask & (1u << l))
			return (enum pgs_lock)l;
	return PGS_LOCK_NONE;
}

const char *pgt_yes_no(bool b)
{
	return b ? "yes" : "no";
}

char **pgt_split_statements(const char *sql)
{
	PgQuerySplitResult split = pg_query_split_with_parser(sql);
	char **out = NULL;
	size_t len = strlen(sql);

	if (split.error) {
		printf("cannot split the script into statements: %s (at byte %d)\n",
		       split.error->message, split.error->cursorpos);
		goto done;
	}
	out = calloc((size_t)split.n_stmts + 1, sizeof(*out));
	for (int i = 0; out && i < split.n_stmts; i++) {
		size_t at = (size_t)split.stmts[i]->stmt_location;
		/* a length of 0 means: to the end of the text */
		size_t n = split.stmts[i]->stmt_len ? (size_t)split.stmts[i]->stmt_len : len - at;
		if (!(out[i] = strndup(sql + at, n))) {
			pgt_free_statements(out);
			out = NULL;
		}
	}
done:
	pg_query_free_split_result(split);
	return out;
}

void pgt_free_statements(char **stmts)
{
	for (size_t i = 0; stmts && stmts[i]; i++)
		free(stmts[i]);
	free(stmts);
}

int pgt_exec_script(PGconn *conn, const char *sql)
{
	char **stmts = pgt_split_statements(sql);
	int rc = stmts ? 0 : -1;

	for (size_t i = 0; rc == 0 && stmts[i]; i++)
		rc = pgt_exec(conn, stmts[i]);
	pgt_free_statements(stmts);
	return rc;
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

void pgt_snapshot_free(struct pgt_snapshot *s)
{
	free(s->rels);
	free(s->locks);
	memset(s, 0, sizeof(*s));
}

static int snapshot_locks(PGconn *conn, struct pgt_snapshot *s, char *err, size_t errlen)
{
	PGresult *res = PQexec(conn, locks_sql);

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "pg_locks query failed: %s", PQerrorMessage(conn));
		PQclear(res);
		return -1;
	}
	s->locks = calloc((size_t)PQntuples(res) + 1, sizeof(*s->locks));
	for (int i = 0; s->locks && i < PQntuples(res); i++) {
		unsigned oid = (unsigned)strtoul(PQgetvalue(res, i, 0), NULL, 10);
		enum pgs_lock l = pgt_lock_from_pg(PQgetvalue(res, i, 1));
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
		snprintf(err, errlen, "out of memory");
	return s->locks ? 0 : -1;
}

int pgt_snapshot_take(PGconn *conn, struct pgt_snapshot *s, int flags, char *err, size_t errlen)
{
	char sql[sizeof(snapshot_sql) + 32];

	memset(s, 0, sizeof(*s));
	snprintf(sql, sizeof(sql), snapshot_sql,
		 flags & PGT_SNAP_FLUSHED ? "pg_stat_user_tables" : "pg_stat_xact_user_tables");
	PGresult *res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "snapshot failed: %s", PQerrorMessage(conn));
		PQclear(res);
		return -1;
	}
	s->n = (size_t)PQntuples(res);
	s->rels = calloc(s->n ? s->n : 1, sizeof(*s->rels));
	for (size_t i = 0; s->rels && i < s->n; i++) {
		struct pgt_rel *x = &s->rels[i];
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
	if (!s->rels) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return flags & PGT_SNAP_LOCKS ? snapshot_locks(conn, s, err, errlen) : 0;
}

const struct pgt_rel *pgt_rel_by_oid(const struct pgt_snapshot *s, unsigned oid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->rels[i].oid == oid)
			return &s->rels[i];
	return NULL;
}

const struct pgt_rel *pgt_rel_by_name(const struct pgt_snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->rels[i].name, name) == 0)
			return &s->rels[i];
	return NULL;
}

unsigned pgt_lock_mask(const struct pgt_snapshot *s, unsigned oid)
{
	for (size_t i = 0; i < s->n_locks; i++)
		if (s->locks[i].oid == oid)
			return s->locks[i].mask;
	return 0;
}

int pgt_find_pgstage(const char **pgstage)
{
	if (!getenv("PGHOST")) {
		printf("PGHOST is not set: run under tests/pg/with-cluster.sh\n");
		return -1;
	}
	if (getenv("PGSTAGE"))
		*pgstage = getenv("PGSTAGE");
	if (access(*pgstage, X_OK) != 0) {
		printf("%s is not an executable (set PGSTAGE)\n", *pgstage);
		return -1;
	}
	return 0;
}
