/*
 * snapshot: the relations of the user schemas as a session sees them at one
 * moment (relfilenode, sequential scans, its own granted locks).
 */
#ifndef PGS_EXEC_SNAPSHOT_H
#define PGS_EXEC_SNAPSHOT_H

#include <stddef.h>

#include <libpq-fe.h>

#include "core/effects.h"
#include "core/error.h"

/* pg_locks.mode ("AccessShareLock", ...) as a lock mode; PGS_LOCK_NONE for other modes. */
enum pgs_lock pgs_lock_from_pg(const char *mode);

/* The strongest mode in a mask with bit (1 << mode) set per mode held. */
enum pgs_lock pgs_lock_strongest(unsigned mask);

/* One relation of a snapshot (user schemas only). */
struct pgs_snapshot_rel {
	unsigned oid;
	char name[160];    /* "schema.name" */
	char relname[128]; /* name alone (indexes are matched by it) */
	char kind;         /* pg_class.relkind */
	unsigned long long filenode;
	long long seq_scan, seq_tup_read;
	unsigned table;  /* indexes: pg_index.indrelid */
	unsigned parent; /* partitions and inheritance children: pg_inherits.inhparent */
};

struct pgs_snapshot_lock {
	unsigned oid;
	unsigned mask; /* bit (1 << enum pgs_lock) per mode granted */
};

struct pgs_snapshot {
	struct pgs_snapshot_rel *rels;
	size_t n;
	struct pgs_snapshot_lock *locks; /* only with PGS_SNAP_LOCKS */
	size_t n_locks;
};

enum {
	PGS_SNAP_LOCKS = 1,   /* also the backend's granted relation locks (pg_locks) */
	PGS_SNAP_FLUSHED = 2, /* seq_scan from pg_stat_user_tables (flushed statistics)
			       * instead of pg_stat_xact_user_tables (the backend's
			       * counts not yet flushed: in a transaction, deltas are
			       * the transaction's own scans) */
};

/*
 * Every relation of the user schemas with relkind, pg_relation_filenode,
 * seq_scan and seq_tup_read, its table (indexes) and parent (partitions);
 * flags are PGS_SNAP_*. 0, or -1 with err set. The caller
 * frees the snapshot with pgs_snapshot_free (also after a failure).
 */
int pgs_snapshot_take(PGconn *conn, struct pgs_snapshot *s, int flags, struct pgs_error *err);
void pgs_snapshot_free(struct pgs_snapshot *s);

const struct pgs_snapshot_rel *pgs_snapshot_by_oid(const struct pgs_snapshot *s, unsigned oid);
const struct pgs_snapshot_rel *pgs_snapshot_by_name(const struct pgs_snapshot *s, const char *name);

/* The modes the snapshot's backend holds on oid, as a mask for pgs_lock_strongest. */
unsigned pgs_snapshot_lock_mask(const struct pgs_snapshot *s, unsigned oid);

#endif
