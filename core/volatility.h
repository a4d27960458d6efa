/*
 * volatility: how volatile an expression is (immutable, stable, volatile), as
 * PostgreSQL would decide from pg_proc.provolatile of every function it
 * calls. Functions the catalog table doesn't know are assumed volatile.
 */
#ifndef PGS_VOLATILITY_H
#define PGS_VOLATILITY_H

#include <stdbool.h>

#include <pg_query/pg_query.pb-c.h>

#include "core/arena.h"

struct pgs_volatility {
	char level;        /* 'i', 's' or 'v' */
	bool assumed;      /* an unknown function made the answer conservative */
	const char *culprit; /* the (first) volatile or unknown function, or NULL */
	struct pgs_arena *arena; /* where a schema-qualified culprit name is made */
	int pg_version;		 /* whose catalog judges the functions */
};

/*
 * The volatility of a default or other expression tree on PostgreSQL
 * pg_version (function volatility changed between versions); names are made
 * in arena.
 */
struct pgs_volatility pgs_expr_volatility(const PgQuery__Node *expr, struct pgs_arena *arena,
					  int pg_version);

#endif
