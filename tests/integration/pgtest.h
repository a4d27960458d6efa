/*
 * pgtest: libpq helpers shared by the integration tests
 * (tests/integration/test_*.c): connecting, running SQL, copying the
 * fixture database, and reading pg_locks lock modes. Linked into every
 * integration test binary (see the Makefile).
 */
#ifndef PGS_PGTEST_H
#define PGS_PGTEST_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "lint/effects.h"

/*
 * Connect to dbname (NULL: $PGDATABASE) with that application_name. Prints
 * the error and returns NULL on failure; the caller PQfinish-es the result.
 */
PGconn *pgt_connect(const char *dbname, const char *application_name);

/* Run sql expecting success (rows or not); prints the error and returns -1 on failure. */
int pgt_exec(PGconn *conn, const char *sql);

/*
 * Make dbname a fresh copy of template_db (dropping any earlier database of
 * that name) through the admin connection. 0, or -1 after printing why.
 */
int pgt_create_copy(PGconn *admin, const char *template_db, const char *dbname);

/* DROP DATABASE IF EXISTS dbname WITH (FORCE); errors are printed and ignored. */
void pgt_drop_db(PGconn *admin, const char *dbname);

/* pg_locks.mode ("AccessShareLock", ...) as a lock mode; PGS_LOCK_NONE for other modes. */
enum pgs_lock pgt_lock_from_pg(const char *mode);

/* The strongest mode in a mask with bit (1 << mode) set per mode held. */
enum pgs_lock pgt_strongest(unsigned mask);

const char *pgt_yes_no(bool b);

#endif
