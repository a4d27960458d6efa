#include "rules/registry.h"

#include <string.h>

#define RULE(id, sym) extern const struct pgs_rule pgs_rule_##sym;
#include "rules/rules.def"
#undef RULE

const struct pgs_rule *const pgs_rules[] = {
#define RULE(id, sym) &pgs_rule_##sym,
#include "rules/rules.def"
#undef RULE
};

const size_t pgs_n_rules = sizeof(pgs_rules) / sizeof(pgs_rules[0]);

const struct pgs_rule *pgs_rule_find(const char *id_or_name)
{
	for (size_t i = 0; i < pgs_n_rules; i++)
		if (strcmp(pgs_rules[i]->id, id_or_name) == 0 ||
		    strcmp(pgs_rules[i]->name, id_or_name) == 0)
			return pgs_rules[i];
	return NULL;
}

size_t pgs_rule_index(const struct pgs_rule *rule)
{
	for (size_t i = 0; i < pgs_n_rules; i++)
		if (pgs_rules[i] == rule)
			return i;
	return 0;
}
