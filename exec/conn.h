/*
 * conn: connections to the server apply works on, by URL or conninfo string
 * (or the PG* variables), and messages that never show a password.
 */
#ifndef PGS_EXEC_CONN_H
#define PGS_EXEC_CONN_H

#include <libpq-fe.h>

#include "core/error.h"

/*
 * Connect to db (a postgresql:// URL or a conninfo string; NULL or "": the
 * PG* variables) as application. NULL with err set (without the password)
 * when it fails.
 */
PGconn *pgs_exec_connect(const char *db, const char *application, struct pgs_error *err);

/*
 * text with every password the connection could have used (db's password
 * parameter, PGPASSWORD) replaced by "********", in buf.
 */
const char *pgs_exec_scrub(const char *text, const char *db, char *buf, size_t size);

/* What the connection is to, for messages: "dbname on host:port" (no password). */
const char *pgs_exec_describe(PGconn *conn, char *buf, size_t size);

/*
 * A conninfo string for database dbname on the server db connects to (db: a
 * URL or conninfo string, NULL or "": the PG* variables), malloc-ed; NULL
 * with err set when db does not parse.
 */
char *pgs_exec_with_dbname(const char *db, const char *dbname, struct pgs_error *err);

#endif
