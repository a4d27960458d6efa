/*
 * names: the names PostgreSQL makes up for objects created without one
 * (indexes of UNIQUE / PRIMARY KEY constraints, constraints, ...), byte for
 * byte, so the model and the planner agree with the server.
 */
#ifndef PGS_NAMES_H
#define PGS_NAMES_H

#include <stddef.h>

#include "core/arena.h"

/* PostgreSQL's NAMEDATALEN: names hold at most NAMEDATALEN - 1 bytes. */
#define PGS_NAMEDATALEN 64

/*
 * PostgreSQL's makeObjectName: name1_name2_label (name2 may be NULL), the
 * longer of name1 and name2 cut first until it fits in NAMEDATALEN - 1
 * bytes, never inside a UTF-8 character. In a; never fails.
 */
const char *pgs_object_name(struct pgs_arena *a, const char *name1, const char *name2,
			    const char *label);

/*
 * PostgreSQL's ChooseIndexNameAddition: the index's column names (keys,
 * then INCLUDE columns) joined by "_", stopping once NAMEDATALEN bytes are
 * reached. NULL entries (expressions) count as "expr". In a.
 */
const char *pgs_index_name_addition(struct pgs_arena *a, const char *const *columns, size_t n);

#endif
