/*
 * type_change: whether ALTER COLUMN ... TYPE rewrites the table or rebuilds
 * its indexes, judged from the column's known old type and the new one:
 * binary-coercible casts (from the catalog table), typmod widening and
 * narrowing, domains, collations, and the session TimeZone for
 * timestamp -> timestamptz.
 */
#ifndef PGS_TYPE_CHANGE_H
#define PGS_TYPE_CHANGE_H

#include <stdbool.h>

#include <pg_query/pg_query.pb-c.h>

#include "core/model.h"

struct pgs_type_change {
	bool rewrite;  /* the table and all its indexes are rewritten */
	bool reindex;  /* indexes on the column are rebuilt (implied by rewrite) */
	bool assumed;  /* old type or TimeZone unknown: the conservative answer */
	/* values go through a conversion to another type (not a binary-coercible
	 * relabelling or a typmod check): foreign keys on the column compare
	 * with another operator and are re-validated */
	bool converts;
	const char *why; /* short reason, static string */
};

/*
 * Judge changing column old (NULL when the model doesn't know it) to the
 * type, collation and USING expression of def. timezone is the session's
 * TimeZone when the history SET it, else NULL.
 */
struct pgs_type_change pgs_type_change_judge(struct pgs_model *model, const struct pgs_column *old,
					     const PgQuery__ColumnDef *def, const char *timezone,
					     int pg_version);

#endif
