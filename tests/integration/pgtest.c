#include "tests/integration/pgtest.h"

#include <stdio.h>
#include <string.h>

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

int pgt_create_copy(PGconn *admin, const char *template_db, const char *dbname)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
	if (pgt_exec(admin, sql) != 0)
		return -1;
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE %s", dbname, template_db);
	return pgt_exec(admin, sql);
}

void pgt_drop_db(PGconn *admin, const char *dbname)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
	(void)pgt_exec(admin, sql);
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
