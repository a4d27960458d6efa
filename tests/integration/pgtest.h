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

/* pg_locks.mode ("AccessShareLock", ...) as a lock mode; PGS_LOCK_NONE for other modes. */
enum pgs_lock pgt_lock_from_pg(const char *mode);

/* The strongest mode in a mask with bit (1 << mode) set per mode held. */
enum pgs_lock pgt_strongest(unsigned mask);

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
 * NULL-terminated array of malloc-ed strings (pgt_free_statements), or NULL
 * after printing the parser's error.
 */
char **pgt_split_statements(const char *sql);
void pgt_free_statements(char **stmts);

/*
 * Run sql statement by statement (pgt_split_statements), each on its own
 * like psql does, so a script may hold BEGIN/COMMIT, VACUUM or CREATE INDEX
 * CONCURRENTLY. Stops at the first failure: prints it and returns -1.
 */
int pgt_exec_script(PGconn *conn, const char *sql);

/* One relation of a snapshot (user schemas only). */
struct pgt_rel {
	unsigned oid;
	char name[160];    /* "schema.name" */
	char relname[128]; /* name alone (indexes are matched by it) */
	char kind;         /* pg_class.relkind */
	unsigned long long filenode;
	long long seq_scan, seq_tup_read;
	unsigned table;  /* indexes: pg_index.indrelid */
	unsigned parent; /* partitions and inheritance children: pg_inherits.inhparent */
};

struct pgt_lock {
	unsigned oid;
	unsigned mask; /* bit (1 << enum pgs_lock) per mode granted */
};

struct pgt_snapshot {
	struct pgt_rel *rels;
	size_t n;
	struct pgt_lock *locks; /* only with PGT_SNAP_LOCKS */
	size_t n_locks;
};

enum {
	PGT_SNAP_LOCKS = 1,   /* also the backend's granted relation locks (pg_locks) */
	PGT_SNAP_FLUSHED = 2, /* seq_scan from pg_stat_user_tables (flushed statistics)
			       * instead of pg_stat_xact_user_tables (the backend's
			       * counts not yet flushed: in a transaction, deltas are
			       * the transaction's own scans) */
};

/*
 * Every relation of the user schemas with relkind, pg_relation_filenode,
 * seq_scan and seq_tup_read, its table (indexes) and parent (partitions);
 * flags are PGT_SNAP_*. 0, or -1 with the reason in err[errlen]. The caller
 * frees the snapshot with pgt_snapshot_free (also after a failure).
 */
int pgt_snapshot_take(PGconn *conn, struct pgt_snapshot *s, int flags, char *err, size_t errlen);
void pgt_snapshot_free(struct pgt_snapshot *s);

const struct pgt_rel *pgt_rel_by_oid(const struct pgt_snapshot *s, unsigned oid);
const struct pgt_rel *pgt_rel_by_name(const struct pgt_snapshot *s, const char *name);

/* The modes the snapshot's backend holds on oid, as a mask for pgt_strongest. */
unsigned pgt_lock_mask(const struct pgt_snapshot *s, unsigned oid);

#endif
