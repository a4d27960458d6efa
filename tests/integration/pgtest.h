/*
 * pgtest: libpq helpers shared by the integration tests
 * (tests/integration/test_*.c): connecting, running SQL (one statement or a
 * script split the way psql sends it), copying the fixture database, reading
 * pg_locks lock modes, and snapshots of every relation's relfilenode,
 * seq_scan count and the backend's locks. Linked into every integration test
 * binary (see the Makefile).
 */
#ifndef PGS_PGTEST_H
#define PGS_PGTEST_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "core/effects.h"
#include "exec/script.h"
#include "exec/snapshot.h"

/*
 * Connect to dbname (NULL: $PGDATABASE) with that application_name. Prints
 * the error and returns NULL on failure; the caller PQfinish-es the result.
 */
PGconn *pgt_connect(const char *dbname, const char *application_name);

/* Run sql expecting success (rows or not); prints the error and returns -1 on failure. */
int pgt_exec(PGconn *conn, const char *sql);

/* DROP DATABASE IF EXISTS dbname, ending its sessions first (any server version). */
int pgt_drop_database(PGconn *admin, const char *dbname);

/*
 * Make dbname a fresh copy of template_db (dropping any earlier database of
 * that name) through the admin connection. 0, or -1 after printing why.
 */
int pgt_create_copy(PGconn *admin, const char *template_db, const char *dbname);

/* DROP DATABASE IF EXISTS dbname WITH (FORCE); errors are printed and ignored. */
void pgt_drop_db(PGconn *admin, const char *dbname);

const char *pgt_yes_no(bool b);

/*
 * For a test group's setup: PGHOST must be set (the test runs under
 * tests/pg/with-cluster.sh) and the pgstage binary, $PGSTAGE or *pgstage,
 * executable; *pgstage is set to it. 0, or -1 after printing why.
 */
int pgt_find_pgstage(const char **pgstage);

/*
 * Split sql into its statements with libpg_query (comments before a
 * statement stay with it), as psql would send them. Returns a malloc-ed
 * NULL-terminated array of malloc-ed strings (pgs_free_statements), or NULL
 * after printing the parser's error.
 */
char **pgt_split_statements(const char *sql);

/*
 * Run sql statement by statement (pgt_split_statements), each on its own
 * like psql does, so a script may hold BEGIN/COMMIT, VACUUM or CREATE INDEX
 * CONCURRENTLY. Stops at the first failure: prints it and returns -1.
 */
int pgt_exec_script(PGconn *conn, const char *sql);

/*
 * pgs_snapshot_take (exec/snapshot.h) with the reason in err[errlen] when it
 * fails.
 */
int pgt_snapshot_take(PGconn *conn, struct pgs_snapshot *s, int flags, char *err, size_t errlen);

#endif
