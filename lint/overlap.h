/*
 * overlap: whether the context already holds what an input statement does.
 * A context that already contains the migration (a schema dump taken after
 * it ran, say) makes its statements look harmless: the column already has
 * its new type, the index already exists. The engine asks for every
 * statement of an input file whether the schema the context files alone
 * describe already has its effect, and only for objects that come from the
 * context, never for what an earlier input created or changed.
 */
#ifndef PGS_OVERLAP_H
#define PGS_OVERLAP_H

#include <stdbool.h>
#include <stdint.h>

#include <pg_query/pg_query.pb-c.h>

#include "core/arena.h"
#include "core/model.h"
#include "core/parse.h"
#include "core/strmap.h"

struct pgs_overlap {
	/* the schema as the context files alone leave it */
	struct pgs_model context;
	/* sequences and types (the models don't hold them) by "S:" / "T:" + key,
	 * valued by whether the context made them; dropped ones are gone */
	struct pgs_strmap others;
};

/* What of a statement the context already has. */
struct pgs_overlap_hit {
	const char *what; /* of the context: "it already has column orders.note"; NULL: nothing */
	int action;	  /* the ALTER TABLE action it is about (0-based), or -1 */
};

void pgs_overlap_init(struct pgs_overlap *ov);
void pgs_overlap_release(struct pgs_overlap *ov);

/* Record a statement as applied (after pgs_overlap_find saw it, for an input's). */
void pgs_overlap_apply(struct pgs_overlap *ov, const PgQuery__Node *stmt, uint32_t offset,
		       bool context);

/*
 * For a parsed statement of an input file (text is its file's text), before
 * model applies it: what would fail or change nothing because model already
 * has it from the context, and the context alone has it too. Statements
 * written to be re-run (IF [NOT] EXISTS, OR REPLACE) never count. The
 * message is in arena.
 */
struct pgs_overlap_hit pgs_overlap_find(struct pgs_overlap *ov, struct pgs_model *model,
					const struct pgs_stmt *stmt, const char *text,
					struct pgs_arena *arena);

#endif
