#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "rules/registry.h"

/* pgstage rules [NAME]: the catalogue, or one rule's documentation. */
int pgs_cmd_rules(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		pgs_help_command(stdout, PGS_CMD_RULES);
		return PGS_EXIT_CLEAN;
	}
	if (argc > 2) {
		pgs_cli_error("rules takes at most one rule name");
		return PGS_EXIT_USAGE;
	}
	if (argc == 1) {
		for (size_t i = 0; i < pgs_n_rules; i++) {
			const struct pgs_rule *r = pgs_rules[i];
			printf("%s  %-36s %-8s %s\n", r->id, r->name, pgs_severity_name(r->severity),
			       r->summary);
		}
		return PGS_EXIT_CLEAN;
	}
	const struct pgs_rule *r = pgs_rule_find(argv[1]);
	if (!r) {
		pgs_cli_error("no rule named '%s' (pgstage rules lists them)", argv[1]);
		return PGS_EXIT_USAGE;
	}
	printf("# %s (%s)\n\n", r->name, r->id);
	printf("Severity: %s\n\n%s.\n\n%s\n", pgs_severity_name(r->severity), r->summary, r->docs);
	printf("## Bad\n\n```sql\n%s\n```\n\n## Good\n\n```sql\n%s\n```\n", r->example_bad,
	       r->example_good);
	return PGS_EXIT_CLEAN;
}
