/*
 * cluster: a throwaway local PostgreSQL server (what tests/pg/cluster.sh does,
 * from C), for verify to run a migration and its plan on scratch databases.
 */
#ifndef PGS_EXEC_CLUSTER_H
#define PGS_EXEC_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/error.h"

/* A buffer of this size holds the conninfo of any database name up to 63 bytes. */
#define PGS_CLUSTER_CONNINFO_SIZE 512

struct pgs_cluster {
	char dir[128];	  /* the temp dir: data in dir/data, socket and logs in dir */
	char bindir[512]; /* the server binaries used */
	int major;	  /* the server's major version */
	bool running;
	/* private */
	bool created;  /* dir was made by start: stop may remove it */
	bool as_owner; /* run as root: children run as the postgres user */
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[32];
};

/*
 * Start a throwaway server in c (which it initializes): initdb into a new
 * directory /tmp/pgstage-c.XXXXXX, unix socket there only, port 5432, trust
 * authentication for the superuser postgres, no durability. major: the
 * PostgreSQL major version wanted (0: any). Binaries: $PGSTAGE_PG_BINDIR if
 * set, else `pg_config --bindir` if it holds initdb, else
 * /usr/lib/postgresql/<major>/bin (major 0: the newest there). As root, initdb
 * and the server run as the user postgres. 0, or -1 with err saying what
 * failed and the tail of the initdb or server log; on failure nothing is left
 * running or on disk.
 */
int pgs_cluster_start(struct pgs_cluster *c, int major, struct pgs_error *err);

/*
 * The libpq conninfo of database dbname on c, quoted, in buf. NULL when buf
 * is too small (PGS_CLUSTER_CONNINFO_SIZE is enough): never hand that on to
 * a connect, which would take the PG* variables and reach another server.
 */
const char *pgs_cluster_conninfo(const struct pgs_cluster *c, const char *dbname, char *buf,
				 size_t size);

/*
 * Stop the server immediately and remove its directory. Safe after a failed
 * start and when called twice.
 */
void pgs_cluster_stop(struct pgs_cluster *c);

#endif
