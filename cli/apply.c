/*
 * pgstage apply: plan the migration (as pgstage plan does) and run the plan
 * on a database with exec/apply.c, printing its progress on stderr.
 */
#include <stdio.h>

#include <jansson.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "cli/options.h"
#include "exec/apply.h"
#include "planner/render.h"

static void print(void *data, const char *line)
{
	(void)data;
	fprintf(stderr, "pgstage: %s\n", line);
}

/* Run plan; the exit code. */
static int run(const struct pgs_cli_options *cli, const struct pgs_plan *plan)
{
	struct pgs_apply_options o = {
	    .db = cli->db,
	    .phase = (unsigned)cli->phase,
	    .retries = (unsigned)cli->retries,
	    .run_id = cli->run_id,
	    .say = print,
	};
	struct pgs_error err;

	for (size_t i = 0; i < plan->n_notes; i++)
		fprintf(stderr, "pgstage: note: %s\n", plan->notes[i]);
	switch (pgs_apply(plan, &o, &err)) {
	case PGS_APPLY_DONE:
		return PGS_EXIT_CLEAN;
	case PGS_APPLY_CHECKPOINT:
		return PGS_EXIT_CHECKPOINT;
	case PGS_APPLY_FAILED:
		break;
	}
	pgs_cli_error("apply: %s", err.message);
	return PGS_EXIT_FINDINGS;
}

/* --plan FILE: the plan as written by plan --format json. */
static int run_file(const struct pgs_cli_options *cli)
{
	json_error_t jerr;
	struct pgs_error err;
	struct pgs_plan plan;
	json_t *doc = json_load_file(cli->plan_file, JSON_REJECT_DUPLICATES, &jerr);
	int rc;

	if (!doc) {
		if (jerr.line > 0)
			pgs_cli_error("apply: %s:%d:%d: %s", cli->plan_file, jerr.line, jerr.column,
				      jerr.text);
		else
			pgs_cli_error("apply: %s", jerr.text);
		return PGS_EXIT_USAGE;
	}
	if (pgs_plan_load_json(&plan, doc, &err) < 0) {
		pgs_cli_error("apply: %s: %s", cli->plan_file, err.message);
		rc = PGS_EXIT_USAGE;
	} else {
		rc = run(cli, &plan);
	}
	pgs_plan_release(&plan);
	json_decref(doc);
	return rc;
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
	if (cli.plan_file) {
		if (cli.n_paths)
			pgs_cli_error("apply: --plan runs a plan made already: give no PATH");
		rc = cli.n_paths ? PGS_EXIT_USAGE : run_file(&cli);
		pgs_cli_options_release(&cli);
		return rc;
	}
	rc = pgs_cli_plan_make(&p, &cli);
	if (rc == PGS_EXIT_CLEAN)
		rc = run(&cli, &p.plan);
	pgs_cli_plan_release(&p);
	pgs_cli_options_release(&cli);
	return rc;
}
