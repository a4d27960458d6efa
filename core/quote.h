/*
 * quote: identifiers as PostgreSQL's quote_ident writes them: bare when
 * they are lower-case simple names and not key words, double-quoted (with
 * inner quotes doubled) otherwise. Used for every name pgstage prints or
 * generates.
 */
#ifndef PGS_QUOTE_H
#define PGS_QUOTE_H

#include <stdbool.h>

#include "core/arena.h"

/* Whether name must be quoted to mean itself. */
bool pgs_ident_needs_quotes(const char *name);

/* name, quoted when needed; in the arena. */
const char *pgs_quote_ident(struct pgs_arena *arena, const char *name);

/* "schema.name" key as a qualified SQL name, dropping the public schema. */
const char *pgs_quote_relation(struct pgs_arena *arena, const char *key);

/*
 * s as a string literal, as PostgreSQL's quote_literal writes it: '...' with
 * quotes doubled, and E'...' with backslashes doubled too when s holds one,
 * so it means s whatever standard_conforming_strings says. The one function
 * for every literal pgstage generates; in the arena.
 */
const char *pgs_quote_literal(struct pgs_arena *arena, const char *s);

/*
 * body between dollar quotes whose tag ($pgstage$, else $pgstage1$, ...)
 * does not occur in it, so no text can end the quoted body early.
 */
const char *pgs_dollar_quote(struct pgs_arena *arena, const char *body);

#endif
