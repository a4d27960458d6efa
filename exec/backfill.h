/*
 * backfill: apply runs a backfill stage's batches itself rather than its DO
 * block, for control the block can't give:
 *
 * - each batch is its own transaction and records how far it got in
 *   pgstage.backfills in that same transaction, so a run killed at any point
 *   resumes after the last batch committed: no row skipped, none done twice;
 * - the batch size adapts to a target batch duration (bounded);
 * - before each batch: a pause requested (a file that exists, or a signal),
 *   a standby's replay lag above the limit, or more active sessions than
 *   allowed hold the loop until they clear, and the progress says why;
 * - an interrupt (SIGINT/SIGTERM) ends the loop after the batch running;
 * - the end is checked: no row still pending.
 *
 * Batches go by the single-column primary key, or by ranges of table pages
 * (ctid) where there is none, with the same passes as the DO block
 * (planner/backfill.h).
 */
#ifndef PGS_EXEC_BACKFILL_H
#define PGS_EXEC_BACKFILL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "exec/session.h"
#include "planner/backfill.h"

/* Where a backfill is, for a progress bar or a log line. */
struct pgs_backfill_progress {
	const char *label;		/* "stage 3/7" */
	unsigned pass;			/* from 1 */
	bool pages;			/* it goes by table pages, not keys */
	unsigned long long done, total; /* keys (or pages) of this pass passed; total: an
					 * estimate, 0 when unknown */
	unsigned long long rows;	/* rows changed, all passes and runs */
	double rate;			/* keys (or pages) per second, lately */
	double eta;			/* seconds left, < 0: unknown */
	size_t batch;			/* the batch size now */
	const char *waiting;		/* why the loop waits, or NULL */
	bool finished;
};

/* How a backfill is run. */
struct pgs_backfill_control {
	double batch_time;	/* seconds a batch should take (0: 0.2) */
	double max_replica_lag; /* seconds; 0: no limit */
	unsigned max_active;	/* other active sessions at most; 0: no limit */
	const char *pause_file; /* while it exists, no batch starts */
	/* set by signal handlers: non-zero pauses; non-zero ends the loop */
	volatile sig_atomic_t *paused, *interrupted;
	void (*progress)(void *data, const struct pgs_backfill_progress *p);
	void *progress_data;
};

enum pgs_backfill_result {
	PGS_BACKFILL_DONE,
	PGS_BACKFILL_INTERRUPTED, /* progress recorded: run again to go on */
	PGS_BACKFILL_FAILED,	  /* s holds the error; *at the statement */
};

/* The table the progress of each run's backfills is kept in. */
#define PGS_BACKFILL_STATE_CREATE                                                            \
	"CREATE TABLE IF NOT EXISTS pgstage.backfills (run_id text NOT NULL REFERENCES "    \
	"pgstage.runs ON DELETE CASCADE, stage int NOT NULL, pass int NOT NULL, last_key text, " \
	"pass_end text, passed bigint NOT NULL DEFAULT 0, rows bigint NOT NULL DEFAULT 0, "     \
	"batches bigint NOT NULL DEFAULT 0, "                                                 \
	"batch_size int NOT NULL, started_at timestamptz NOT NULL DEFAULT now(), updated_at "    \
	"timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (run_id, stage))"

/* Everything a backfill stage runs with. */
struct pgs_backfill_run {
	struct pgs_session *s;
	const struct pgs_backfill *b;
	const char *run_id;
	size_t stage;	   /* from 0: its row in pgstage.backfills */
	const char *label; /* "stage 3/7" */
	const char *lock_timeout, *statement_timeout; /* per batch */
	unsigned retries;  /* a batch's tries again after a lock timeout or deadlock */
	const struct pgs_backfill_control *control;
};

/*
 * Run the backfill on s->conn, watching from s->monitor. On failure *at is
 * the statement that failed (for the message), s holds the server's error.
 */
enum pgs_backfill_result pgs_exec_backfill(const struct pgs_backfill_run *run, const char **at);

#endif
