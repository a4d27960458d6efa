/*
 * ignore: suppression comments.
 *
 *   -- pgstage-ignore RULE[, RULE...]: reason       the next statement
 *   -- pgstage-ignore-file RULE[, RULE...]: reason  the whole file
 *
 * RULE is a rule name or id. A directive without a rule name, or naming a
 * rule that doesn't exist, is an error; one that suppresses nothing is
 * reported as unused.
 */
#ifndef PGS_IGNORE_H
#define PGS_IGNORE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/source.h"

struct pgs_rule;

#define PGS_IGNORE_MAX_RULES 16

struct pgs_ignore {
	struct pgs_span span; /* the comment */
	bool file_wide;
	const struct pgs_rule *rules[PGS_IGNORE_MAX_RULES];
	bool used[PGS_IGNORE_MAX_RULES];
	size_t n_rules;
	const char *error; /* set when the directive is malformed; rules[] is then empty */
};

struct pgs_ignores {
	struct pgs_ignore *items;
	size_t n, cap;
};

/*
 * Append the directives found in the comments of text[start..end) to out.
 * file_wide selects -- pgstage-ignore-file directives, otherwise
 * statement directives.
 */
void pgs_ignore_scan(struct pgs_ignores *out, struct pgs_arena *arena, const char *text,
		     uint32_t start, uint32_t end, bool file_wide);

/* Whether a directive in list suppresses rule; marks it used. */
bool pgs_ignore_match(struct pgs_ignores *list, const struct pgs_rule *rule);

#endif
