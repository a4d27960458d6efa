/*
 * apply: run a plan (planner/plan.h) on a live server, stage by stage, with
 * control psql does not give:
 *
 * - transactional stages run under their own lock_timeout; a lock timeout or
 *   a deadlock rolls the stage back and tries it again after a capped,
 *   jittered exponential wait, a bounded number of times, naming the
 *   sessions that blocked it (pg_blocking_pids, watched from a second
 *   connection while the statement waits);
 * - CONCURRENTLY stages drop an INVALID leftover of a failed build before
 *   building, and again after a build that fails;
 * - every stage done is recorded in the database (schema pgstage: the run,
 *   its plan's hash, each stage's status and attempts), so a run that was
 *   killed or failed resumes after the last stage done, never redoes one,
 *   and refuses to resume a different plan under the same run id; the
 *   stages' catalog markers are read too, as the psql script does;
 * - a backfill stage runs its batches from here (exec/backfill.h), with
 *   throttles, pause and progress, resuming from the last batch recorded;
 * - a checkpoint stops the run until it is started again with the next
 *   phase, after the application deploy.
 *
 * A library: it never prints or exits; what it has to say goes to the say
 * callback, one line at a time, with passwords masked.
 */
#ifndef PGS_EXEC_APPLY_H
#define PGS_EXEC_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "exec/backfill.h"
#include "planner/plan.h"

struct pgs_apply_options {
	const char *db;	    /* postgresql:// URL or conninfo; NULL: the PG* variables */
	unsigned phase;	    /* go past checkpoints 1 .. phase-1 (1: stop at the first) */
	unsigned retries;   /* a stage's tries again after a lock timeout or deadlock */
	const char *run_id; /* the run's name in pgstage.runs */
	bool resume;	    /* go past the checkpoint the previous run stopped at */
	size_t through;	    /* stop after this stage (from 1); 0: none */
	bool dry_run;	    /* say what would run; read the server, change nothing */
	/* backfills: batch time, throttles, pause, interrupt and progress; an
	 * interrupt also ends the run between two stages */
	struct pgs_backfill_control control;
	void (*say)(void *data, const char *line);
	void *say_data;
	/* verify's tracer: called on the plan's connection before and after each
	 * step (a backfill: the whole stage), in the step's transaction; NULL: none */
	void (*trace)(void *data, PGconn *conn, size_t stage, size_t step, bool after);
	void *trace_data;
};

enum pgs_apply_result {
	PGS_APPLY_DONE,	      /* every stage is done */
	PGS_APPLY_CHECKPOINT, /* stopped at a checkpoint: deploy, then the next phase */
	PGS_APPLY_FAILED,     /* a stage failed (err says which, why and what to do) */
	PGS_APPLY_INTERRUPTED, /* stopped on an interrupt, progress recorded: run again */
};

/* The schema where runs and stages are recorded. */
#define PGS_APPLY_SCHEMA "pgstage"

enum pgs_apply_result pgs_apply(const struct pgs_plan *plan, const struct pgs_apply_options *o,
				struct pgs_error *err);

#endif
