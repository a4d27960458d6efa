/*
 * deparse: SQL text for statement nodes the planner builds, through
 * libpg_query's deparser, so identifiers are quoted exactly as PostgreSQL
 * requires. Every result is checked to deparse to itself after a re-parse.
 */
#ifndef PGS_DEPARSE_H
#define PGS_DEPARSE_H

#include <stdbool.h>

#include <pg_query/pg_query.pb-c.h>

#include "core/arena.h"
#include "core/error.h"

/*
 * The SQL of one statement (without a semicolon), in the arena. Fails with
 * a message when libpg_query can't deparse the node, or when the SQL does
 * not parse back to a tree that deparses the same (a planner bug).
 */
const char *pgs_deparse(struct pgs_arena *arena, const PgQuery__Node *stmt, struct pgs_error *err);

#endif
