/*
 * columns: helpers for the rules about column types and names. The column
 * definitions a statement declares or retypes (CREATE TABLE columns, ALTER
 * TABLE ... ADD COLUMN, ALTER COLUMN ... TYPE) with the source span of the
 * column name and of the type as written, how a type name resolves to a
 * built-in type, and lexer-based spans of tokens and clauses.
 */
#ifndef PGS_COLUMNS_H
#define PGS_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pg_query/pg_query.pb-c.h>

#include "core/arena.h"
#include "lint/rule.h"

enum pgs_coldef_kind {
	PGS_COLDEF_CREATE,     /* a column of CREATE TABLE */
	PGS_COLDEF_ADD,	       /* ALTER TABLE ... ADD COLUMN */
	PGS_COLDEF_ALTER_TYPE, /* ALTER TABLE ... ALTER COLUMN ... TYPE */
};

struct pgs_coldef {
	enum pgs_coldef_kind kind;
	const PgQuery__RangeVar *relation;
	const char *column;	       /* the column's name */
	const PgQuery__ColumnDef *def; /* its constraints (none for ALTER TYPE) */
	const PgQuery__TypeName *type;
	/*
	 * The built-in type the name denotes: its pg_type.typname ("int4",
	 * "varchar", "bpchar", "timestamp", "char" for the one-byte "char"),
	 * or "serial", "bigserial", ... for the serial shorthands; NULL for
	 * any other type (a schema other than pg_catalog, %TYPE).
	 */
	const char *builtin;
	size_t cmd;		   /* ALTER TABLE: index of the action */
	struct pgs_span name_span; /* the column name (ALTER TYPE: the whole action) */
	struct pgs_span type_span; /* the type as written, array bounds included */
	struct pgs_span base_span; /* the type without its array bounds ([] or ARRAY) */
	struct pgs_span def_span;  /* the column definition or ALTER action */
};

/*
 * Call fn for every column definition of the statement being checked that
 * has a type whose position the parse tree gives. Foreign tables are
 * skipped: their column types mirror a remote table.
 */
void pgs_coldefs_each(struct pgs_check *ctx,
		      void (*fn)(struct pgs_check *ctx, const struct pgs_coldef *c, void *data),
		      void *data);

/*
 * The built-in type a type name denotes (see pgs_coldef.builtin), or NULL.
 * Unqualified names resolve to pg_catalog first, as PostgreSQL's default
 * search_path does; the serial shorthands only exist unqualified.
 */
const char *pgs_builtin_type(const PgQuery__TypeName *tn);

/* The typmods of a type name as "(a, b)", "" when it has none; in the arena. */
const char *pgs_typmods_text(struct pgs_arena *arena, const PgQuery__TypeName *tn);

/* The span of the token that starts at offset at (at most to end). */
struct pgs_span pgs_token_span(const char *text, uint32_t at, uint32_t end);

/* The span of the possibly qualified name (a.b.c, quoted parts too) that starts at offset at. */
struct pgs_span pgs_name_span(const char *text, uint32_t at, uint32_t end);

/*
 * The clause starting at offset at: up to, not including, the first comma
 * or semicolon outside parentheses, or the parenthesis that closes the list
 * the clause is in; trailing spaces and comments left out.
 */
struct pgs_span pgs_clause_span(const char *text, uint32_t at, uint32_t end);

/* The text of a span with each run of spaces and newlines as one space; in the arena. */
const char *pgs_span_text(struct pgs_arena *arena, const char *text, struct pgs_span span);

#endif
