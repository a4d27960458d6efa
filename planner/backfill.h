/*
 * backfill: the self-contained DO block a backfill stage runs: one DML
 * statement applied in batches, each batch its own transaction, keyed on
 * the table's single-column primary key or, without one, on ranges of
 * table pages (ctid).
 */
#ifndef PGS_BACKFILL_H
#define PGS_BACKFILL_H

#include <stddef.h>

#include "lint/arena.h"
#include "lint/model.h"

/* The table's single-column primary key, or NULL (none, several columns, or no table). */
const char *pgs_backfill_primary_key(struct pgs_table *t);

/*
 * A DO block (without the final semicolon) that runs body ("UPDATE t SET ..."
 * or "DELETE FROM t", with no WHERE) once per batch, with the batch's range
 * as its WHERE, ANDed with extra when not NULL (e.g. "c IS NULL", so a re-run
 * skips done rows). rel is the table as SQL (quoted), pk the quoted primary
 * key column or NULL for page ranges; batch is rows per batch (a hundredth
 * of it in pages for page ranges). COMMIT in DO needs PostgreSQL 11 and no
 * outer transaction block. The loop ends: key ranges only move forward and
 * the page count is fixed at the start. Allocated in a; never fails.
 */
const char *pgs_backfill_sql(struct pgs_arena *a, const char *rel, const char *body,
			     const char *extra, const char *pk, size_t batch);

#endif
