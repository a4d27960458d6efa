/*
 * widen: what depends on a column whose type expand/contract changes
 * (planner/rewrite_expand.c), rebuilt on the new column so the swap stays
 * brief: each plain btree index that has it among its keys built
 * CONCURRENTLY under a temporary name and renamed at the swap; a PRIMARY
 * KEY or UNIQUE that has it built as a unique index CONCURRENTLY and
 * attached with ADD CONSTRAINT ... USING INDEX; foreign keys from the column and to it dropped at the swap, added
 * back NOT VALID against the new column, then validated; CHECK constraints
 * that read it, kept as the catalog writes them before the swap, added back
 * NOT VALID after it and validated. The int -> bigint of a primary key that
 * other tables reference, above all.
 */
#ifndef PGS_WIDEN_H
#define PGS_WIDEN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/model.h"
#include "planner/plan.h"

struct pgs_widen_index {
	const char *name; /* the index's name (without schema) */
	const char *tmp;  /* its name while built on the new column */
	bool unique;
	const char *const *columns; /* its plain key columns, in order */
	size_t n_columns;
};

struct pgs_widen_fk {
	const struct pgs_constraint *c;
	PgQuery__RangeVar *rel; /* the table that has it */
	const char *table;	/* that table's label */
};

struct pgs_widen {
	struct pgs_widen_index *indexes; /* plain indexes with the column; the key's first */
	size_t n_indexes;
	const struct pgs_constraint *key; /* PRIMARY KEY or UNIQUE with the column */
	struct pgs_widen_fk *fks;	  /* the column's own foreign key, and those to it */
	size_t n_fks;
	const struct pgs_constraint **checks; /* CHECK constraints that read the column */
	size_t n_checks;
};

/*
 * What depends on column of t: NULL when all of it can be rebuilt (w
 * filled in), else why not (a multi-column index or constraint, a CHECK, an
 * expression or partial index, options the model does not keep, ...).
 */
const char *pgs_widen_find(struct pgs_arena *a, struct pgs_model *model, struct pgs_table *t,
			   const char *column, struct pgs_widen *w);

/* Stages: each index built concurrently with new_column in column's place (after the backfill). */
void pgs_widen_build(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
		     const char *table, const struct pgs_widen *w, const char *column,
		     const char *new_column);

/*
 * The swap's first step when it touches other tables (their foreign keys):
 * lock them all, the other tables first, without waiting while holding any.
 */
void pgs_widen_swap_lock(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
			 const struct pgs_widen *w);

/*
 * Swap steps before the old column is renamed: the definitions of the CHECKs
 * that read it kept (transaction-local settings); the foreign keys dropped.
 * column: the old column's name, rel: its table.
 */
void pgs_widen_swap_drop(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
			 const struct pgs_widen *w, const char *column);

/*
 * Swap steps once the old column is gone and the new one has its name: the
 * indexes renamed, the key attached, the foreign keys and CHECKs back NOT
 * VALID.
 */
void pgs_widen_swap_add(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
			const struct pgs_widen *w);

/*
 * Stages after the swap: VALIDATE each foreign key and CHECK added back
 * (that was valid); swapped: SQL true once the swap ran (they had the same
 * names, valid, before it).
 */
void pgs_widen_validate(struct pgs_plan *plan, struct pgs_check *ctx, PgQuery__RangeVar *rel,
			const char *table, const struct pgs_widen *w, const char *swapped);

#endif
