/*
 * guard: what makes a plan safe to run again. A re-run (after a failure, a
 * kill, or a finished run) must skip what is done and finish what is not,
 * from the catalog alone: pgstage keeps no state of its own in the database.
 *
 * A stage's marker is a SQL boolean on the catalog that is false before the
 * plan ran the stage and true once it has (the column exists, the index is
 * valid, the old name is gone). A script run starts from the last stage
 * whose marker holds: that stage, and every stage before it, ran already.
 *
 * Every name and literal in these predicates goes through core/quote.c.
 */
#ifndef PGS_GUARD_H
#define PGS_GUARD_H

#include <stdbool.h>

#include <pg_query/pg_query.pb-c.h>

#include "core/arena.h"
#include "core/model.h"

/* A RangeVar as SQL: [schema.]name, each part quoted when it must be. */
const char *pgs_guard_rel(struct pgs_arena *a, const PgQuery__RangeVar *rv);

/* The SQL name of an object (index, ...) named name in the schema of rv. */
const char *pgs_guard_sibling(struct pgs_arena *a, const PgQuery__RangeVar *rv, const char *name);

/*
 * Predicates. rel is a relation as SQL (quoted, schema-qualified or not:
 * it is resolved like the plan's own statements, with to_regclass); names
 * of columns, constraints and triggers are plain (unquoted) names.
 */
const char *pgs_guard_relation_exists(struct pgs_arena *a, const char *rel);
const char *pgs_guard_column_exists(struct pgs_arena *a, const char *rel, const char *column);
const char *pgs_guard_column_not_null(struct pgs_arena *a, const char *rel, const char *column);
const char *pgs_guard_column_identity(struct pgs_arena *a, const char *rel, const char *column);
/* The column has type (SQL, e.g. "bigint") and, when typmod >= 0, that typmod. */
const char *pgs_guard_column_type(struct pgs_arena *a, const char *rel, const char *column,
				  const char *type, int typmod);
const char *pgs_guard_constraint_exists(struct pgs_arena *a, const char *rel, const char *name);
const char *pgs_guard_constraint_valid(struct pgs_arena *a, const char *rel, const char *name);
const char *pgs_guard_index_valid(struct pgs_arena *a, const char *index);
const char *pgs_guard_partition_of(struct pgs_arena *a, const char *part, const char *parent);
const char *pgs_guard_trigger_exists(struct pgs_arena *a, const char *rel, const char *name);

const char *pgs_guard_not(struct pgs_arena *a, const char *p);
/* p OR q; either may be NULL (then the other is the result). */
const char *pgs_guard_or(struct pgs_arena *a, const char *p, const char *q);
/* p AND q; either may be NULL (then the other is the result). */
const char *pgs_guard_and(struct pgs_arena *a, const char *p, const char *q);

/*
 * What running a statement kept as written again does: rerun_safe when
 * running it again after it succeeded changes nothing (IF NOT EXISTS, SET
 * DEFAULT, a DELETE, ...); marker when the catalog shows it ran (false
 * before: a CREATE without IF NOT EXISTS, a DROP of an object that existed
 * before the migration history). model is the schema before the statement.
 */
struct pgs_guard {
	const char *marker; /* NULL when none */
	bool rerun_safe;
};

struct pgs_guard pgs_guard_statement(struct pgs_arena *a, struct pgs_model *model,
				     const PgQuery__Node *stmt);

/*
 * The typmod PostgreSQL stores for a type name (varchar(20) -> 24,
 * numeric(10,2) -> 655366, timestamp(3) -> 3), -1 when it has none, or -2
 * when pgstage can't compute it (e.g. interval fields).
 */
int pgs_guard_typmod(const PgQuery__TypeName *tn);

/*
 * Cleanup before a CONCURRENTLY build: a query whose rows are the
 * statements (DROP INDEX CONCURRENTLY ...) that remove an INVALID index a
 * failed build of index left (psql runs them with \gexec).
 */
const char *pgs_guard_drop_invalid_index(struct pgs_arena *a, const char *index);

/*
 * The same for REINDEX ... CONCURRENTLY: the INVALID *_ccnew / *_ccold
 * indexes a failed run left on table (of index, when index is not NULL).
 */
const char *pgs_guard_drop_reindex_leftovers(struct pgs_arena *a, const char *table,
					     const char *index);

/* A DO block that fails unless index exists and is valid, saying what to do. */
const char *pgs_guard_verify_index(struct pgs_arena *a, const char *index);

#endif
