/*
 * pgstage apply: plan the migration (as pgstage plan does) and run the plan
 * on a database with exec/apply.c, printing its progress on stderr.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "cli/options.h"
#include "exec/apply.h"

static void print(void *data, const char *line)
{
	(void)data;
	fprintf(stderr, "pgstage: %s\n", line);
}

int pgs_cmd_apply(int argc, char **argv)
{
	struct pgs_cli_options cli;
	struct pgs_cli_plan p;
	int rc = pgs_cli_options_parse(&cli, PGS_CMD_APPLY, PGS_ACCEPT_DB, argc, argv);

	if (rc != 0) {
		pgs_cli_options_release(&cli);
		return rc > 0 ? PGS_EXIT_CLEAN : PGS_EXIT_USAGE;
	}
	rc = pgs_cli_plan_make(&p, &cli);
	if (rc == PGS_EXIT_CLEAN) {
		struct pgs_apply_options o = {
		    .db = cli.db,
		    .phase = (unsigned)cli.phase,
		    .retries = (unsigned)cli.retries,
		    .run_id = cli.run_id,
		    .say = print,
		};
		struct pgs_error err;
		for (size_t i = 0; i < p.plan.n_notes; i++)
			fprintf(stderr, "pgstage: note: %s\n", p.plan.notes[i]);
		switch (pgs_apply(&p.plan, &o, &err)) {
		case PGS_APPLY_DONE:
			break;
		case PGS_APPLY_CHECKPOINT:
			rc = PGS_EXIT_CHECKPOINT;
			break;
		case PGS_APPLY_FAILED:
			pgs_cli_error("apply: %s", err.message);
			rc = PGS_EXIT_FINDINGS;
			break;
		}
	}
	pgs_cli_plan_release(&p);
	pgs_cli_options_release(&cli);
	return rc;
}
