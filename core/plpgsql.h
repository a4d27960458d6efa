/*
 * plpgsql: the SQL statements inside a DO block or a PL/pgSQL function
 * body, found with libpg_query's PL/pgSQL parser, with their position in
 * the migration file, so rules can check DDL hidden in procedural code.
 */
#ifndef PGS_PLPGSQL_H
#define PGS_PLPGSQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pg_query/pg_query.pb-c.h>

#include "core/arena.h"

struct pgs_embedded_sql {
	const char *sql;  /* NUL-terminated, in the arena */
	uint32_t offset;  /* source offset of sql[0]: the text there is sql, byte for byte */
};

struct pgs_embedded {
	struct pgs_embedded_sql *items;
	size_t n, cap;
	bool executed;         /* DO runs now; a function body only when called */
	const char *function;  /* the function's name, for CREATE FUNCTION */
};

/*
 * Whether stmt holds PL/pgSQL code (DO, or CREATE FUNCTION/PROCEDURE ...
 * LANGUAGE plpgsql), and if so the SQL statements it runs: static SQL and
 * EXECUTE of a constant string. text[start..end) is the statement's source.
 * Statements whose text isn't found verbatim in the source (e.g. in a
 * string with doubled quotes) are left out.
 */
bool pgs_plpgsql_find(struct pgs_embedded *out, struct pgs_arena *arena, const char *text,
		      uint32_t start, uint32_t end, const PgQuery__Node *stmt);

#endif
