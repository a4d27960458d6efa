/*
 * render: a plan as one psql script, as JSON, or as numbered migration files
 * in the layout of a migration tool (render_files.c).
 */
#ifndef PGS_PLAN_RENDER_H
#define PGS_PLAN_RENDER_H

#include <stdio.h>

#include <jansson.h>

#include "lint/sections.h"
#include "planner/plan.h"

/*
 * One script psql can run as is: a header per stage (kind, why, locks,
 * origin), BEGIN / SET LOCAL timeouts / COMMIT around transactional stages.
 */
void pgs_plan_render_sql(FILE *out, const struct pgs_plan *plan);

/* Stage i: its header, then what runs (no guard, no echo). */
void pgs_plan_render_stage(FILE *out, const struct pgs_plan *plan, size_t i);

/*
 * Stage i as the one script has it: header, a psql guard that runs it only
 * when run (SQL, a boolean; NULL: always) holds, an \echo of what runs, then
 * the stage: timeouts, cleanup (\gexec), steps, verification.
 */
void pgs_plan_render_guarded(FILE *out, const struct pgs_plan *plan, size_t i, const char *run);

/*
 * What a psql script of the plan starts with: ON_ERROR_STOP, and the plan's
 * timeouts for its own queries (each stage then sets its own).
 */
void pgs_plan_render_preamble(FILE *out, const struct pgs_plan *plan);

/* CREATE TABLE IF NOT EXISTS pgstage_progress, with a comment (pgs_plan_stage.record). */
void pgs_plan_render_progress_table(FILE *out);

/* SET [LOCAL] lock_timeout and statement_timeout as the stage runs them. */
void pgs_plan_render_timeouts(FILE *out, const struct pgs_plan_stage *st, bool local);

/* The stage's header comment lines: "-- stage i/n: kind: why" and "-- locks: ...". */
void pgs_plan_render_stage_header(FILE *out, const struct pgs_plan *plan, size_t i);

/*
 * "-- " and the formatted text as one comment line: control characters
 * (a newline in a table name, in a file name) are escaped, so no text can
 * end the comment and be run. Every comment with names in it goes through it.
 */
void pgs_plan_comment(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The formatted text as one line for a terminal, control characters escaped. */
void pgs_plan_print_line(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One step: "-- from PATH:LINE" for generated SQL, then the SQL and its semicolon. */
void pgs_plan_render_step(FILE *out, const struct pgs_plan_step *step);

/* {"version": 1, "stages": [{"kind", "why", "locks", "steps": [{"sql", "verbatim",
 * "origin": {"path", "line"}}]}], "notes": [...]} (new reference). */
json_t *pgs_plan_render_json(const struct pgs_plan *plan);

/*
 * The plan a pgs_plan_render_json document describes, into plan (initialised
 * here; release it in every case): what `apply --plan FILE` runs. 0, or -1
 * with err set when the document is not such a plan or breaks its
 * invariants.
 */
int pgs_plan_load_json(struct pgs_plan *plan, const json_t *doc, struct pgs_error *err);

/* One file to write, or a checkpoint between two phases. */
struct pgs_plan_file {
	const char *name; /* relative to the output directory ("phase-2/0043_x.sql"); NULL for
			   * a checkpoint */
	const char *text; /* the file's contents; for a checkpoint, its message */
	size_t phase;     /* the file's phase; for a checkpoint, the phase that follows it */
	size_t stage;     /* index of the stage the file (or checkpoint) comes from */
};

struct pgs_plan_files {
	struct pgs_plan_file *items; /* in the order the tool applies them */
	size_t n, cap;
	bool phased; /* the plan has checkpoints: files are in phase-N/ directories */
};

/*
 * The plan as migration files in layout (PLAIN, GOOSE, DBMATE, GOLANG_MIGRATE
 * or FLYWAY; not AUTO): one file per stage (golang-migrate: an .up.sql and a
 * .down.sql; flyway: a .sql.conf beside a script that must not run in a
 * transaction), numbered from the version prefix of first_path's file name
 * (else from 1), in phase-N/ directories split at checkpoints. Down
 * migrations come from planner/down.c. Everything is allocated in arena;
 * returns -1 with a message when generated SQL fails to deparse (a bug).
 */
int pgs_plan_files(struct pgs_plan_files *out, struct pgs_arena *arena,
		   const struct pgs_plan *plan, enum pgs_tool layout, const char *first_path,
		   struct pgs_error *err);

/*
 * What the user is told after files were written under dir: the plan's
 * notes, each file's path (dir/name) on its own line, and at each checkpoint
 * its message and which phase directory to apply after the deploy.
 */
void pgs_plan_files_list(FILE *out, const struct pgs_plan_files *files,
			 const struct pgs_plan *plan, const char *dir);

/*
 * Write files under dir (created, with its parents, when missing). Checks
 * first that none of the files exists and that no phase directory is a
 * symbolic link or not a directory; never overwrites. All or nothing: every
 * file is written under a temporary name before any takes its own, and a
 * failure removes what was written and every directory created. Returns -1
 * with a message naming the path on failure.
 */
int pgs_plan_files_write(const struct pgs_plan_files *files, const char *dir,
			 struct pgs_error *err);

#endif
