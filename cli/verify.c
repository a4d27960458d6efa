/*
 * pgstage verify: plan the migration (as pgstage plan does, keeping the
 * statements as written) and prove the plan on scratch databases with
 * exec/verify.c; its findings and the verdict on stderr.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/help.h"
#include "cli/options.h"
#include "exec/verify.h"

static volatile sig_atomic_t interrupts;

static void on_signal(int sig)
{
	(void)sig;
	interrupts++;
}

static void print(void *data, const char *line)
{
	(void)data;
	fprintf(stderr, "pgstage: %s\n", line);
}

static int verify(const struct pgs_cli_options *cli, const struct pgs_cli_plan *p,
		  const struct pgs_plan *plan)
{
	struct pgs_verify_options o = {
	    .db = cli->db,
	    .pg_version = cli->lint.pg_version,
	    .rows = cli->rows,
	    .context = p->context_sql,
	    .n_context = p->n_context_sql,
	    .original = p->original_sql,
	    .n_original = p->n_original_sql,
	    .plan = plan,
	    .interrupted = &interrupts,
	    .say = print,
	};
	struct sigaction sa;

	/* the throwaway server must go with verify: stop after the statement running */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct pgs_verify_result res;
	struct pgs_error err;

	if (pgs_verify(&o, &res, &err) < 0) {
		pgs_cli_error("verify: %s", err.message);
		return PGS_EXIT_USAGE;
	}
	if (res.interrupted) {
		pgs_cli_error("verify: interrupted: no verdict");
		return PGS_EXIT_INTERRUPTED;
	}
	if (res.failed_statement) {
		pgs_cli_error("verify: the migration as written fails (statement %zu): nothing "
			      "to compare the plan with",
			      res.failed_statement);
		return PGS_EXIT_FINDINGS;
	}
	if (res.plan_failed || res.differences || res.violations) {
		pgs_cli_error("verify: the plan is NOT proven: %s%zu catalog difference%s, %zu "
			      "violation%s in %zu steps traced",
			      res.plan_failed ? "it fails; " : "", res.differences,
			      res.differences == 1 ? "" : "s", res.violations,
			      res.violations == 1 ? "" : "s", res.traced);
		return PGS_EXIT_FINDINGS;
	}
	fprintf(stderr,
		"pgstage: verified: the plan (%zu stage%s, %zu steps traced) ends with the catalog "
		"the migration as written leaves (%zu objects), and rewrites, rebuilds or scans no "
		"existing table under a lock that blocks writes\n",
		plan->n_stages, plan->n_stages == 1 ? "" : "s", res.traced, res.catalog_lines);
	return PGS_EXIT_CLEAN;
}

int pgs_cmd_verify(int argc, char **argv)
{
	struct pgs_cli_options cli;
	struct pgs_cli_plan p;
	int rc = pgs_cli_options_parse(&cli, PGS_CMD_VERIFY, PGS_ACCEPT_VERIFY, argc, argv);

	if (rc != 0) {
		pgs_cli_options_release(&cli);
		return rc > 0 ? PGS_EXIT_CLEAN : PGS_EXIT_USAGE;
	}
	rc = pgs_cli_plan_make(&p, &cli, true);
	if (rc == PGS_EXIT_CLEAN && cli.plan_file) {
		struct pgs_plan given;
		rc = pgs_cli_plan_load(&given, cli.plan_file, "verify");
		if (rc == PGS_EXIT_CLEAN)
			rc = verify(&cli, &p, &given);
		pgs_plan_release(&given);
	} else if (rc == PGS_EXIT_CLEAN) {
		rc = verify(&cli, &p, &p.plan);
	}
	pgs_cli_plan_release(&p);
	pgs_cli_options_release(&cli);
	return rc;
}
