/*
 * pgdata: facts about PostgreSQL's built-in catalog, generated from a real
 * server by core/pgdata/generate.sh (tables in functions.c and casts.c, which
 * are checked in; core/pgdata/check.sh compares them with a live catalog).
 *
 * Everything here is static, read-only data: nothing allocates, nothing can
 * fail other than by answering "unknown", and all of it is thread-safe.
 */
#ifndef PGSTAGE_LINT_PGDATA_PGDATA_H
#define PGSTAGE_LINT_PGDATA_PGDATA_H

#include <stdbool.h>
#include <stddef.h>

/*
 * One row per (pg_catalog function name, argument count it can be called
 * with). Overloads callable with that many arguments are merged into the row:
 * a function with defaulted arguments appears once per callable arity, and a
 * variadic one under every arity it accepts.
 *
 * volatility:     the MOST volatile of the merged overloads: 'v' volatile,
 *                 's' stable, 'i' immutable ('v' > 's' > 'i').
 * min_volatility: the LEAST volatile of them; when it differs from
 *                 volatility, the answer depends on the argument types.
 * variadic:       the row also stands for every larger argument count
 *                 (only variadic overloads match there). It is then the
 *                 last row for its name.
 *
 * Rows are sorted by (strcmp(name), nargs) and keys are unique. Names are as
 * in the catalog: lowercase except a few trigger functions (RI_FKey_*).
 * Plain functions, aggregates and window functions are included; procedures
 * are not.
 */
struct pgs_pgdata_function {
	const char *name;
	unsigned char nargs;
	char volatility;
	char min_volatility;
	bool variadic;
};

extern const struct pgs_pgdata_function pgs_pgdata_functions[];
extern const size_t pgs_pgdata_n_functions;

/*
 * A binary-coercible cast (pg_cast.castmethod = 'b', i.e. WITHOUT FUNCTION)
 * between two pg_catalog types named by pg_type.typname ("int4", "varchar",
 * "bpchar", "timestamptz", ...), the names libpg_query parse trees use
 * (pg_catalog.int4). context is pg_cast.castcontext: 'i' implicit,
 * 'a' assignment, 'e' explicit only. Sorted by (strcmp(source),
 * strcmp(target)), unique.
 */
struct pgs_pgdata_cast {
	const char *source;
	const char *target;
	char context;
};

extern const struct pgs_pgdata_cast pgs_pgdata_casts[];
extern const size_t pgs_pgdata_n_casts;

/*
 * The row for calling pg_catalog function `name` with `nargs` arguments, or
 * NULL if no built-in function can be called that way. `name` is the
 * unqualified name as in the parse tree (already case-folded unless it was
 * quoted), without any "pg_catalog." prefix. A variadic row matches any
 * nargs >= its own. NULL name or negative nargs gives NULL.
 */
const struct pgs_pgdata_function *pgs_pgdata_function_find(const char *name,
                                                            int nargs);

/*
 * A function row of another PostgreSQL major version than 15 where it
 * differs from 15's (or 15 has none), generated into versions.c by
 * core/pgdata/versions.py from each version's catalog. Sorted by (version,
 * strcmp(name), nargs).
 */
struct pgs_pgdata_version_function {
	int version;
	struct pgs_pgdata_function row;
};

extern const struct pgs_pgdata_version_function pgs_pgdata_version_functions[];
extern const size_t pgs_pgdata_n_version_functions;

/*
 * pgs_pgdata_function_find on PostgreSQL pg_version: that version's own row
 * where it differs from 15's, else 15's.
 */
const struct pgs_pgdata_function *pgs_pgdata_function_find_at(const char *name, int nargs,
							       int pg_version);

/*
 * The binary-coercible cast from `source` to `target` (typnames as above),
 * or NULL if there is none. A type to itself has no row: see
 * pgs_pgdata_binary_coercible.
 */
const struct pgs_pgdata_cast *pgs_pgdata_cast_find(const char *source,
                                                    const char *target);

/*
 * Whether a value of type `source` can be reinterpreted as `target` without
 * calling a conversion function: true when they are the same type or a
 * binary-coercible cast exists, in any cast context (check
 * pgs_pgdata_cast_find(...)->context if the context matters). Does not know
 * about domains, arrays, or typmods (varchar(10) -> varchar(20)); callers
 * handle those. NULL arguments give false.
 */
bool pgs_pgdata_binary_coercible(const char *source, const char *target);

/*
 * Whether both tables are sorted and free of duplicate keys, as the lookups
 * require; for unit tests. The generator guarantees it, this proves it.
 */
bool pgs_pgdata_tables_ok(void);

/*
 * SQL key words: word (lowercase) and category, 'U' unreserved, 'C' unreserved
 * but not a function or type name, 'T' reserved but allowed as a function or
 * type name, 'R' reserved. Sorted by word.
 */
struct pgs_pgdata_keyword {
	const char *word;
	char category;
};

extern const struct pgs_pgdata_keyword pgs_pgdata_keywords[];
extern const size_t pgs_pgdata_n_keywords;

/* The category of a key word, or 0 when word is not one. */
char pgs_pgdata_keyword_category(const char *word);

#endif
