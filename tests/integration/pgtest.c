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

const char *pgt_yes_no(bool b)
{
	return b ? "yes" : "no";
}

char **pgt_split_statements(const char *sql)
{
	struct pgs_error e;
	char **out = pgs_split_statements(sql, &e);

	if (!out)
		printf("%s\n", e.message);
	return out;
}

int pgt_exec_script(PGconn *conn, const char *sql)
{
	char **stmts = pgt_split_statements(sql);
	int rc = stmts ? 0 : -1;

	for (size_t i = 0; rc == 0 && stmts[i]; i++)
		rc = pgt_exec(conn, stmts[i]);
	pgs_free_statements(stmts);
	return rc;
}

int pgt_snapshot_take(PGconn *conn, struct pgs_snapshot *s, int flags, char *err, size_t errlen)
{
	struct pgs_error e;
	int rc = pgs_snapshot_take(conn, s, flags, &e);

	if (rc)
		snprintf(err, errlen, "%s", e.message);
	return rc;
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
