/*
 * pgstage apply: plan the migration (as pgstage plan does) and run the plan
 * on a database with exec/apply.c, printing its progress on stderr.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>


#include "cli/cli.h"
#include "cli/help.h"
#include "cli/options.h"
#include "exec/apply.h"
#include "exec/session.h"

static volatile sig_atomic_t paused, interrupts;

/* SIGINT, SIGTERM: stop after the batch or stage running; SIGUSR1/2: pause, go on. */
static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		paused = 1;
	else if (sig == SIGUSR2)
		paused = 0;
	else
		interrupts++;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
}

/* What is on stderr: a progress bar is redrawn in place on a terminal. */
struct screen {
	bool tty;
	bool bar;	  /* a bar is drawn on the last line */
	double said;	  /* when the last progress line was written (not a terminal) */
	char last[256];	  /* the waiting reason last logged */
};

static void clear_bar(struct screen *sc)
{
	if (sc->bar)
		fputs("\r\033[K", stderr);
	sc->bar = false;
}

static void print(void *data, const char *line)
{
	clear_bar(data);
	fprintf(stderr, "pgstage: %s\n", line);
}

/* "1h02m", "3m05s", "12s" */
static const char *span(double seconds, char *buf, size_t size)
{
	unsigned long s = seconds < 0 ? 0 : (unsigned long)(seconds + 0.5);

	if (s >= 3600)
		snprintf(buf, size, "%luh%02lum", s / 3600, s / 60 % 60);
	else if (s >= 60)
		snprintf(buf, size, "%lum%02lus", s / 60, s % 60);
	else
		snprintf(buf, size, "%lus", s);
	return buf;
}

/* A backfill's progress: a bar on a terminal, else a line every 10 s. */
static void progress(void *data, const struct pgs_backfill_progress *p)
{
	struct screen *sc = data;
	char eta[32], line[512];
	double fraction = p->total ? (double)p->done / (double)p->total : 0;
	const char *unit = p->pages ? "pages" : "rows";

	if (fraction > 1)
		fraction = 1;
	if (p->finished) {
		clear_bar(sc);
		return;
	}
	char total[32] = "";
	if (p->total)
		snprintf(total, sizeof(total), "/%llu", p->total);
	snprintf(line, sizeof(line), "%s pass %u: %llu%s %s, %llu changed, %.0f %s/s, ETA %s%s%s",
		 p->label, p->pass, p->done, total, unit, p->rows, p->rate, unit,
		 p->eta < 0 ? "?" : span(p->eta, eta, sizeof(eta)), p->waiting ? "; waiting: " : "",
		 p->waiting ? p->waiting : "");
	if (sc->tty) {
		char bar[21];
		size_t full = (size_t)(fraction * 20);
		for (size_t i = 0; i < 20; i++)
			bar[i] = i < full ? '#' : '.';
		bar[20] = '\0';
		fprintf(stderr, "\r\033[K[%s] %3.0f%% %.*s", bar, fraction * 100, 150, line);
		fflush(stderr);
		sc->bar = true;
		return;
	}
	/* a log: every 10 s, and at once when the reason to wait changes */
	double t = pgs_now();
	const char *why = p->waiting ? p->waiting : "";
	if (t - sc->said < 10 && strcmp(sc->last, why) == 0)
		return;
	snprintf(sc->last, sizeof(sc->last), "%s", why);
	sc->said = t;
	fprintf(stderr, "pgstage: %s\n", line);
}

/* Run plan; the exit code. */
static int run(const struct pgs_cli_options *cli, const struct pgs_plan *plan)
{
	struct screen sc = {.tty = isatty(STDERR_FILENO) && !getenv("PGSTAGE_NO_PROGRESS_BAR")};
	struct pgs_apply_options o = {
	    .db = cli->db,
	    .phase = (unsigned)cli->phase,
	    .retries = (unsigned)cli->retries,
	    .run_id = cli->run_id,
	    .resume = cli->cont,
	    .through = (size_t)cli->through,
	    .dry_run = cli->dry_run,
	    .say = print,
	    .say_data = &sc,
	    .control =
		{
		    .batch_time = (double)cli->batch_time_ms / 1000,
		    .max_replica_lag = (double)cli->max_replica_lag_ms / 1000,
		    .max_active = (unsigned)cli->max_active,
		    .pause_file = cli->pause_file,
		    .paused = &paused,
		    .interrupted = &interrupts,
		    .progress = progress,
		    .progress_data = &sc,
		},
	};
	struct pgs_error err;

	catch_signals();

	for (size_t i = 0; i < plan->n_notes; i++)
		fprintf(stderr, "pgstage: note: %s\n", plan->notes[i]);
	switch (pgs_apply(plan, &o, &err)) {
	case PGS_APPLY_DONE:
		return PGS_EXIT_CLEAN;
	case PGS_APPLY_CHECKPOINT:
		return PGS_EXIT_CHECKPOINT;
	case PGS_APPLY_INTERRUPTED:
		return PGS_EXIT_INTERRUPTED;
	case PGS_APPLY_FAILED:
		break;
	}
	pgs_cli_error("apply: %s", err.message);
	return PGS_EXIT_FINDINGS;
}

/* --plan FILE: the plan as written by plan --format json. */
static int run_file(const struct pgs_cli_options *cli)
{
	struct pgs_plan plan;
	int rc = pgs_cli_plan_load(&plan, cli->plan_file, "apply");

	if (rc == PGS_EXIT_CLEAN)
		rc = run(cli, &plan);
	pgs_plan_release(&plan);
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
	rc = pgs_cli_plan_make(&p, &cli, false);
	if (rc == PGS_EXIT_CLEAN)
		rc = run(&cli, &p.plan);
	pgs_cli_plan_release(&p);
	pgs_cli_options_release(&cli);
	return rc;
}
