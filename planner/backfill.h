/*
 * backfill: the self-contained DO block a backfill stage runs: one DML
 * statement applied in batches, each batch its own transaction, keyed on
 * the table's single-column primary key or, without one, on ranges of
 * table pages (ctid).
 */
#ifndef PGS_BACKFILL_H
#define PGS_BACKFILL_H

#include <stddef.h>

#include "core/arena.h"
#include "core/model.h"

/*
 * The column of the table an UPDATE's SET list reads while it also assigns
 * it ("*" for the whole row), or NULL: when it returns NULL, running the
 * UPDATE again on a row it did gives the same row.
 */
const char *pgs_backfill_update_reads_assigned(const PgQuery__UpdateStmt *us);

/* The table's single-column primary key, or NULL (none, several columns, or no table). */
const char *pgs_backfill_primary_key(struct pgs_table *t);

/* What a backfill stage runs, in batches, each its own transaction. */
struct pgs_backfill {
	const char *rel;     /* the table as SQL (quoted) */
	const char *alias;   /* the alias body and pending use for it, or NULL */
	const char *body;    /* "UPDATE t SET ..." or "DELETE FROM t", with no WHERE */
	/* SQL true for the rows still to do ("c IS NULL"), ANDed to each batch's
	 * range so a re-run skips rows done; after a pass over the table, more
	 * passes run while a row is pending (bounded). NULL: one pass */
	const char *pending;
	const char *pk;      /* the quoted single-column primary key, or NULL: page ranges */
	size_t batch_rows;   /* rows per batch by key */
	size_t batch_pages;  /* pages per batch by page ranges */
};

/*
 * A DO block (without the final semicolon) that runs the backfill: passes
 * over the keys (or pages) the table has when each pass starts, a batch
 * retried on a lock timeout or deadlock (bounded), COMMIT after each batch
 * (PostgreSQL 11+, outside a transaction block). The quoting tag is one the
 * SQL does not hold. Allocated in a; never fails.
 */
const char *pgs_backfill_sql(struct pgs_arena *a, const struct pgs_backfill *b);

/*
 * A backfill of table rel (SQL) running body, keyed on the quoted
 * single-column primary key pk or (NULL) on page ranges, in batches of
 * about rows rows; pending and alias are left NULL.
 */
struct pgs_backfill pgs_backfill_of(const char *rel, const char *body, const char *pk,
				    size_t rows);

/*
 * Add b's DO block to the plan's last stage (a backfill stage) and keep a
 * copy of b there for apply.
 */
struct pgs_plan;
struct pgs_check;
void pgs_backfill_add(struct pgs_plan *plan, struct pgs_check *ctx, const struct pgs_backfill *b);

#endif
