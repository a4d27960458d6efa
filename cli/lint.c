#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <pg_query.h>

#include "cli/changed.h"
#include "cli/cli.h"
#include "cli/help.h"
#include "cli/options.h"
#include "lint/engine.h"
#include "lint/fix.h"
#include "lint/inputs.h"
#include "lint/report.h"
#include "lint/write.h"

#ifndef PGS_DOCS_URL
#define PGS_DOCS_URL "https://github.com/pgstage/pgstage/blob/main/docs/rules.md"
#endif
#include "rules/registry.h"

struct totals {
	struct pgs_report_totals report;
	bool input_error;
	int max_severity;
};

/* --fix --dry-run: the change as a unified diff (diff(1) does the layout). */
static void print_diff(const char *path, const char *fixed)
{
	char tmp[] = "/tmp/pgstage-fix-XXXXXX";
	int fd = mkstemp(tmp);

	if (fd < 0)
		return;
	size_t len = strlen(fixed);
	bool ok = write(fd, fixed, len) == (ssize_t)len;
	close(fd);
	if (ok) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			char a[4096], b[4096];
			snprintf(a, sizeof(a), "a/%s", path);
			snprintf(b, sizeof(b), "b/%s", path);
			execlp("diff", "diff", "-u", "--label", a, "--label", b, path, tmp, (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	unlink(tmp);
}

/* Apply the file's fixes (or show them); drop the findings they fix from the report. */
static void fix_file(struct pgs_file_report *report, const struct pgs_cli_options *cli)
{
	if (strcmp(report->src.path, "<stdin>") == 0) {
		if (report->diags.n)
			pgs_cli_error("<stdin>: --fix changes files; standard input is left as is");
		return;
	}
	struct pgs_error err;
	bool *applied = pgs_xmalloc(report->diags.n + 1);
	size_t n_applied = 0;
	char *fixed = pgs_fix_apply(report, cli->unsafe_fixes, applied, &n_applied);

	if (fixed) {
		if (cli->dry_run) {
			print_diff(report->src.path, fixed);
		} else if (pgs_write_replace(report->src.path, fixed, &err) < 0) {
			pgs_cli_error("%s (the fixes are not applied)", err.message);
		} else {
			fprintf(stderr, "pgstage: %s: fixed %zu finding%s\n", report->src.path,
				n_applied, n_applied == 1 ? "" : "s");
			size_t kept = 0;
			for (size_t i = 0; i < report->diags.n; i++)
				if (!applied[i])
					report->diags.items[kept++] = report->diags.items[i];
			report->diags.n = kept;
		}
	}
	free(fixed);
	free(applied);
}

static void lint_one(struct pgs_engine *engine, const struct pgs_input *in,
		     const struct pgs_reporter *reporter, struct pgs_report_ctx *rctx,
		     struct totals *t, const struct pgs_cli_options *cli)
{
	struct pgs_file_report report;
	struct pgs_error err;

	if (pgs_engine_lint_file(engine, in->path, in->context, &report, &err) < 0) {
		pgs_cli_error("%s", err.message);
		if (reporter->input_error)
			reporter->input_error(rctx, in->path, err.message);
		t->input_error = true;
		return;
	}
	if (!in->context && cli->fix)
		fix_file(&report, cli);
	/* a finding says it, unless the rule is off or the finding suppressed */
	bool reported = false;
	for (size_t i = 0; i < report.diags.n; i++)
		reported |= report.diags.items[i].rule == &pgs_rule_context_includes_migration;
	if (!reported)
		pgs_cli_warn_overlap(&report);
	if (!in->context) {
		t->report.files++;
		if (report.diags.n)
			t->report.files_with_findings++;
		for (size_t i = 0; i < report.diags.n; i++)
			t->report.by_severity[report.diags.items[i].severity]++;
		int max = pgs_file_report_max_severity(&report);
		if (max > t->max_severity)
			t->max_severity = max;
		reporter->file(rctx, &report);
	}
	pgs_file_report_release(&report);
}

int pgs_cmd_lint(int argc, char **argv)
{
	struct pgs_cli_options cli;
	struct pgs_inputs inputs;
	struct totals totals = {.max_severity = -1};
	int rc = pgs_cli_options_parse(&cli, PGS_CMD_LINT,
				       PGS_ACCEPT_RULES | PGS_ACCEPT_REPORTERS | PGS_ACCEPT_FIX, argc,
				       argv);

	if (rc != 0) {
		pgs_cli_options_release(&cli);
		return rc > 0 ? PGS_EXIT_CLEAN : PGS_EXIT_USAGE;
	}
	const struct pgs_reporter *reporter = pgs_reporter_find(cli.format);
	struct pgs_report_ctx rctx = {.out = stdout, .color = cli.color, .docs_url = PGS_DOCS_URL};
	/* --output FILE: the report goes to a temporary file, renamed into place
	 * once complete (nothing half-written under FILE) */
	struct pgs_write_stream report_file = {0};
	if (cli.output_file && strcmp(cli.output_file, "-") != 0) {
		struct pgs_error err;
		if (pgs_write_stream_open(&report_file, cli.output_file, &err) < 0) {
			pgs_cli_error("%s", err.message);
			pgs_cli_options_release(&cli);
			return PGS_EXIT_USAGE;
		}
		rctx.out = report_file.out;
	}
	if (reporter->begin)
		reporter->begin(&rctx);

	json_t *path_errors = json_array();
	pgs_inputs_init(&inputs);
	totals.input_error = !pgs_cli_collect_inputs(&cli, &inputs, path_errors);
	if (cli.diff_ref && pgs_changed_mark_context(&inputs, cli.diff_ref) < 0) {
		pgs_write_stream_abort(&report_file);
		json_decref(path_errors);
		pgs_inputs_release(&inputs);
		pgs_cli_options_release(&cli);
		return PGS_EXIT_USAGE;
	}
	size_t i;
	json_t *e;
	json_array_foreach(path_errors, i, e)
		if (reporter->input_error)
			reporter->input_error(&rctx, json_string_value(json_object_get(e, "path")),
					      json_string_value(json_object_get(e, "message")));
	json_decref(path_errors);

	struct pgs_engine engine;
	pgs_engine_init(&engine, &cli.lint);
	for (i = 0; i < inputs.n; i++)
		lint_one(&engine, &inputs.items[i], reporter, &rctx, &totals, &cli);
	/* libpg_query's top memory context, so valgrind sees no leak; only
	 * safe once the parser has run. */
	if (engine.parsed_any)
		pg_query_exit();
	pgs_engine_release(&engine);
	if (reporter->end)
		reporter->end(&rctx, &totals.report);
	bool output_failed = false;
	if (report_file.out) {
		struct pgs_error err;
		if (pgs_write_stream_commit(&report_file, &err) < 0) {
			pgs_cli_error("%s (the report is not written)", err.message);
			output_failed = true;
		}
	}

	pgs_inputs_release(&inputs);
	int fail_on = cli.fail_on;
	pgs_cli_options_release(&cli);
	if (totals.input_error || output_failed)
		return PGS_EXIT_USAGE;
	return totals.max_severity >= fail_on ? PGS_EXIT_FINDINGS : PGS_EXIT_CLEAN;
}
