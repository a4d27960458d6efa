/*
 * verify: prove a plan does what the migration does, on scratch databases.
 *
 * A throwaway local server (exec/cluster.h), or the server of --db where
 * scratch databases are made and dropped. The context statements build a
 * base database (then, with rows, every table gets generated rows: see
 * exec/seed.h); two copies of it get the migration as written (ORIGINAL)
 * and the plan through apply (PLAN, going past every checkpoint). Every
 * step of the plan is traced: a rewrite (new relfilenode) or an index
 * rebuild of a table that existed before is a violation in any step; in a
 * transactional stage, so is a sequential scan while the transaction holds
 * SHARE or a stronger lock on that table (writes wait for it). Then the two
 * catalogs must be the same (exec/catalog.h), apply's bookkeeping aside.
 *
 * A library: what it finds goes to the say callback, a line at a time.
 */
#ifndef PGS_EXEC_VERIFY_H
#define PGS_EXEC_VERIFY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "planner/plan.h"

struct pgs_verify_options {
	const char *db;	/* a database on the server to use; NULL: a throwaway server */
	int pg_version; /* the throwaway server's major version */
	long long rows; /* generated rows per table before the migration (0: none) */
	const char *const *context; /* the context statements, in order */
	size_t n_context;
	const char *const *original; /* the migration's statements as written */
	size_t n_original;
	const struct pgs_plan *plan;
	/* set by a signal handler: stop after the statement running, clean up */
	volatile sig_atomic_t *interrupted;
	void (*say)(void *data, const char *line);
	void *say_data;
};

struct pgs_verify_result {
	size_t failed_statement; /* of the migration as written, from 1; 0: it ran */
	size_t traced;		 /* steps traced */
	size_t violations;	 /* rewrites and scans under a lock that blocks writes */
	size_t differences;	 /* catalog lines only one database has */
	size_t catalog_lines;	 /* of ORIGINAL */
	bool plan_failed;	 /* apply stopped (said why) */
	bool interrupted;	 /* by a signal: no verdict */
};

/* 0 with res filled (the verdict is in it), or -1 with err: it could not be run. */
int pgs_verify(const struct pgs_verify_options *o, struct pgs_verify_result *res,
	       struct pgs_error *err);

#endif
