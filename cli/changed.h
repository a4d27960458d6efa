/*
 * changed: the files git sees as added or changed relative to a ref, for
 * `lint --diff REF` (a pull-request check lints only those; the files
 * before them still feed the model).
 */
#ifndef PGS_CLI_CHANGED_H
#define PGS_CLI_CHANGED_H

#include <stdbool.h>
#include <stddef.h>

#include "lint/inputs.h"

/*
 * Mark every input that git does not list as added, copied, modified or
 * renamed since the merge base of ref and HEAD (committed, staged, in the
 * work tree, or untracked) as context: what `git diff REF...HEAD` shows, so
 * a file only ref's branch changed after the branch point is not linted.
 * Prints an error and returns -1 when git fails (not a repository, unknown
 * ref, no common ancestor).
 */
int pgs_changed_mark_context(struct pgs_inputs *inputs, const char *ref);

#endif
