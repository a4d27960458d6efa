/*
 * inputs: the files of a migration history in apply order. Directories are
 * searched recursively for .sql files, sorted the way migration tools apply
 * them: natural order of version prefixes (2_x.sql before 10_x.sql), flyway
 * repeatable R__ scripts after versioned ones, golang-migrate *.down.sql and
 * flyway U*__ undo scripts left out unless down migrations are asked for.
 */
#ifndef PGS_INPUTS_H
#define PGS_INPUTS_H

#include <stdbool.h>
#include <stddef.h>

#include "lint/error.h"

struct pgs_input {
	char *path;   /* heap */
	bool context; /* --context: feeds the model, not reported */
};

struct pgs_inputs {
	struct pgs_input *items;
	size_t n, cap;
	char *const *exclude; /* globs of paths to leave out (borrowed), see pgs_glob_match */
	size_t n_exclude;
	const char *exclude_base; /* the globs are relative to this directory ("." or NULL: as given) */
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

/* strcmp, except that runs of digits compare by numeric value. */
int pgs_natural_compare(const char *a, const char *b);

#endif
