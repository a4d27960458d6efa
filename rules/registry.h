/*
 * registry: every rule pgstage has, sorted by id (rules/rules.def), and
 * lookups by id or name.
 */
#ifndef PGS_REGISTRY_H
#define PGS_REGISTRY_H

#include <stddef.h>

#include "lint/rule.h"

extern const struct pgs_rule *const pgs_rules[];
extern const size_t pgs_n_rules;

/* The built-in rules the engine reports itself. */
extern const struct pgs_rule pgs_rule_syntax_error;
extern const struct pgs_rule pgs_rule_context_includes_migration;
extern const struct pgs_rule pgs_rule_unused_ignore;
extern const struct pgs_rule pgs_rule_invalid_ignore;

/* A rule by id ("M101") or name ("require-concurrent-index"); NULL if none. */
const struct pgs_rule *pgs_rule_find(const char *id_or_name);

/* Position of a rule in pgs_rules (for per-rule option arrays). */
size_t pgs_rule_index(const struct pgs_rule *rule);

#endif
