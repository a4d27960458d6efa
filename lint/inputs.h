/*
 * inputs: the files of a migration history in apply order. Directories are
 * searched recursively for .sql files, sorted the way migration tools apply
 * them: natural order of version prefixes (2_x.sql before 10_x.sql; diesel's
 * and prisma's by their directory, <version>_<name>/up.sql), flyway
 * repeatable R__ scripts after versioned ones, golang-migrate and sqlx
 * *.down.sql, diesel's down.sql and flyway U*__ undo scripts left out unless
 * down migrations are asked for (refinery's U*__ are up migrations: a
 * Cargo.toml depending on refinery says so). A directory holding a
 * sqitch.plan or drizzle's meta/_journal.json is in the order that file says
 * (lint/tool_order.h).
 * Context files that would show the model the inputs' own changes are then
 * left out (pgs_inputs_tidy_context).
 */
#ifndef PGS_INPUTS_H
#define PGS_INPUTS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

struct pgs_input {
	char *path;   /* heap */
	bool context; /* --context: feeds the model, not reported */
	const char *dir; /* the directory argument it was found in (in pgs_inputs.dirs), or NULL */
	char *group;  /* heap: the directory whose tool file (sqitch.plan, drizzle's journal)
		       * orders it, or NULL: ordered by name */
	size_t rank;  /* its place in that order, from 1 */
};

struct pgs_inputs {
	struct pgs_input *items;
	size_t n, cap;
	char *const *exclude; /* globs of paths to leave out (borrowed), see pgs_glob_match */
	size_t n_exclude;
	const char *exclude_base; /* the globs are relative to this directory ("." or NULL: as given) */
	char **dirs; /* the directory arguments, as given (heap) */
	size_t n_dirs, cap_dirs;
	char **warnings; /* what pgs_inputs_tidy_context left out, one line each (heap) */
	size_t n_warnings, cap_warnings;
};

void pgs_inputs_init(struct pgs_inputs *in);
void pgs_inputs_release(struct pgs_inputs *in);

/*
 * Add a file ("-" for stdin) or, for a directory, its .sql files in apply
 * order. A path that doesn't exist is added as is (reading it reports the
 * error, in order). Fails for a directory with no .sql file to lint.
 */
int pgs_inputs_add(struct pgs_inputs *in, const char *path, bool context, bool down,
		   struct pgs_error *err);

/*
 * Leave out of the context what would show the model the inputs' own
 * changes; call after the last pgs_inputs_add. Left out, each with a line in
 * in->warnings for the caller to print:
 * - a context file that is the same file as an input (device and inode, so
 *   through symbolic links and other spellings of the path);
 * - the files of a context directory that come at or after the earliest
 *   input in version order. Files are placed by the version their base name
 *   starts with (natural order, as directories are applied; flyway's V/U and
 *   golang-migrate's .up/.down set aside, repeatable R__ scripts last). An
 *   input without a version number is placed only among the files of a
 *   context directory it is in (by name); elsewhere it counts as newer than
 *   any context file, so it leaves nothing out.
 * With down (the inputs' down parts are linted) an input's own file is the
 * context its down part needs: only files after the newest input are left
 * out, and an input that can't be placed leaves nothing out.
 */
void pgs_inputs_tidy_context(struct pgs_inputs *in, bool down);

/* strcmp, except that runs of digits compare by numeric value. */
int pgs_natural_compare(const char *a, const char *b);

#endif
