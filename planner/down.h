/*
 * down: the statements that undo one stage of a plan, for the migration
 * tools that have down migrations. Computed from the stage's steps in
 * reverse order: each step's SQL is parsed and its inverse built as a tree
 * and deparsed (planner/deparse.c). A step without a known inverse becomes
 * a DO block that raises an error naming it, never a silent no-op.
 */
#ifndef PGS_DOWN_H
#define PGS_DOWN_H

#include <stdbool.h>
#include <stddef.h>

#include <pg_query/pg_query.pb-c.h>

#include "core/arena.h"
#include "core/error.h"
#include "planner/plan.h"

struct pgs_down_step {
	const char *comment; /* one line, or NULL */
	const char *sql;     /* a statement without its semicolon, or NULL (comment only) */
	bool cannot_undo;    /* sql raises an error: the step has no inverse */
};

struct pgs_down {
	struct pgs_down_step *steps;
	size_t n, cap;
	size_t n_sql; /* steps with SQL */
};

/*
 * The down migration of plan->stages[stage], allocated in arena. Returns
 * -1 with a message only when generated SQL fails to deparse (a bug).
 */
int pgs_plan_down(struct pgs_down *out, struct pgs_arena *arena, const struct pgs_plan *plan,
		  size_t stage, struct pgs_error *err);

/* The one statement of sql parsed into arena, or NULL when it is not exactly one statement. */
PgQuery__Node *pgs_plan_parse_one(struct pgs_arena *arena, const char *sql);

#endif
