/*
 * build: parse-tree nodes for the statements the planner writes, allocated
 * in the plan's arena (never freed one by one).
 */
#ifndef PGS_BUILD_H
#define PGS_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include <pg_query/pg_query.pb-c.h>

#include "core/arena.h"

PgQuery__Node *pgs_build_string(struct pgs_arena *a, const char *s);
/* An Integer node (array bounds) and an integer constant (typmods, expressions). */
PgQuery__Node *pgs_build_integer(struct pgs_arena *a, int32_t value);
PgQuery__Node *pgs_build_int_const(struct pgs_arena *a, int32_t value);

PgQuery__Node *pgs_build_column_ref(struct pgs_arena *a, const char *column);

/* col IS NOT NULL */
PgQuery__Node *pgs_build_is_not_null(struct pgs_arena *a, const char *column);

/* CHECK (expr) [NOT VALID] named name. */
PgQuery__Node *pgs_build_check(struct pgs_arena *a, const char *name, PgQuery__Node *expr,
			       bool not_valid);

/* One ALTER TABLE action: subtype with an optional name and definition. */
PgQuery__Node *pgs_build_alter_cmd(struct pgs_arena *a, PgQuery__AlterTableType subtype,
				   const char *name, PgQuery__Node *def);

/* ALTER TABLE relation cmd1, cmd2, ... */
PgQuery__Node *pgs_build_alter_table(struct pgs_arena *a, PgQuery__RangeVar *relation,
				     PgQuery__Node **cmds, size_t n_cmds);

/* A DefElem option without a value: name (e.g. "concurrently" for REINDEX (...)). */
PgQuery__Node *pgs_build_option(struct pgs_arena *a, const char *name);

/* A plain index key or INCLUDE column: column, default ordering. */
PgQuery__Node *pgs_build_index_elem(struct pgs_arena *a, const char *column);

/*
 * CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS name ON relation (keys)
 * INCLUDE (including) [WITH (options)] [TABLESPACE space]: the index a
 * UNIQUE / PRIMARY KEY constraint c would build (its keys, INCLUDE, WITH,
 * USING INDEX TABLESPACE and NULLS NOT DISTINCT).
 */
PgQuery__Node *pgs_build_unique_index(struct pgs_arena *a, const char *name,
				      PgQuery__RangeVar *relation, const PgQuery__Constraint *c);

/*
 * ADD CONSTRAINT name UNIQUE|PRIMARY KEY USING INDEX index, with the
 * deferrability of c (an ALTER TABLE action).
 */
PgQuery__Node *pgs_build_add_using_index(struct pgs_arena *a, const char *name,
					 const char *index, const PgQuery__Constraint *c);

/* The built-in type pg_catalog.name (e.g. "int8"), without typmods. */
PgQuery__TypeName *pgs_build_type_name(struct pgs_arena *a, const char *name);

/* SELECT expr (to deparse an expression on its own). */
PgQuery__Node *pgs_build_select(struct pgs_arena *a, PgQuery__Node *expr);

/* schema.name as a relation reference (schema may be NULL or ""). */
PgQuery__RangeVar *pgs_build_range_var(struct pgs_arena *a, const char *schema, const char *name);

/* SELECT * FROM from */
PgQuery__Node *pgs_build_select_star(struct pgs_arena *a, PgQuery__RangeVar *from);

/* CREATE VIEW view AS query */
PgQuery__Node *pgs_build_create_view(struct pgs_arena *a, PgQuery__RangeVar *view,
				     PgQuery__Node *query);

/* An empty node to fill in. */
PgQuery__Node *pgs_build_node(struct pgs_arena *a);

/* [schema.]name as the list of String nodes a DROP names its object with. */
PgQuery__Node *pgs_build_name_list(struct pgs_arena *a, const char *schema, const char *name);

/* DROP <type> [CONCURRENTLY] IF EXISTS object (e.g. a pgs_build_name_list). */
PgQuery__Node *pgs_build_drop(struct pgs_arena *a, PgQuery__ObjectType type,
			      PgQuery__Node *object, bool concurrent);

/* A deep copy of n in the arena, to change without touching the parsed input; NULL
 * when it can't be copied. */
PgQuery__Node *pgs_build_copy(struct pgs_arena *a, const PgQuery__Node *n);

/* A name made of parts joined by "_", cut to PostgreSQL's 63 bytes the way it cuts them. */
const char *pgs_build_name(struct pgs_arena *a, const char *table, const char *column,
			   const char *suffix);

#endif
