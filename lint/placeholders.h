/*
 * placeholders: templated migrations. A definition maps a text found in the
 * file (Flyway's "${schema}", a Go template's "{{ index .Options "Namespace" }}",
 * a project marker) to the text the parser sees instead. Substitution keeps a
 * map of every replaced region, so an offset into the substituted text maps
 * back into the original file: a position inside an expansion is the
 * placeholder's own (its start, or its end for the end of a span).
 *
 * With flyway syntax on (flyway files), every "${...}" is a placeholder:
 * one without a definition is unknown (the first occurrence of each name is
 * recorded, for one report per file), except Flyway's built-in
 * "${flyway:...}" ones, which get Flyway's defaults.
 */
#ifndef PGS_PLACEHOLDERS_H
#define PGS_PLACEHOLDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/source.h"

struct pgs_placeholder {
	const char *text;  /* found in the file, literally; not empty */
	const char *value; /* what the parser sees instead */
};

/* One replaced region: original bytes [from.start, from.end) became [to.start, to.end). */
struct pgs_expansion {
	struct pgs_span from, to;
};

struct pgs_substitution {
	const char
	    *text; /* the substituted text, NUL-terminated (the original when nothing changed) */
	uint32_t len;
	struct pgs_expansion *expansions; /* in text order */
	size_t n_expansions;
	struct pgs_span
	    *unknown; /* first "${name}" of each name without a definition (original offsets) */
	size_t n_unknown;
};

/*
 * Substitute the definitions (longest text first where several match at one
 * place) in text[0, len), into the arena. flyway: "${...}" syntax is
 * recognised (built-ins and unknown names as above). Cost is linear in len
 * times the number of definitions whose first byte occurs.
 */
void pgs_placeholders_substitute(struct pgs_substitution *out, struct pgs_arena *arena,
				 const char *text, uint32_t len, const struct pgs_placeholder *defs,
				 size_t n_defs, bool flyway);

/*
 * The original offset of an offset into out->text. An offset strictly inside
 * an expansion maps to the placeholder's start, or, when end is true (the
 * end of a span), to its end: a span never cuts a placeholder.
 */
uint32_t pgs_placeholders_original(const struct pgs_substitution *s, uint32_t offset, bool end);

/* Whether the substituted span [start, end) overlaps an expansion's text (a fix must not write it).
 */
bool pgs_placeholders_touches(const struct pgs_substitution *s, struct pgs_span span);

/* Flyway's value of a built-in "flyway:NAME" placeholder, or NULL when it has none. */
const char *pgs_placeholders_flyway_builtin(const char *name, size_t len);

#endif
