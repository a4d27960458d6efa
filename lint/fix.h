/*
 * fix: applying the single-statement fixes rules attach to diagnostics, as
 * byte edits on the original text (comments and layout survive).
 */
#ifndef PGS_FIX_H
#define PGS_FIX_H

#include <stdbool.h>
#include <stddef.h>

#include "lint/engine.h"

/*
 * The file's text with the fixes of its diagnostics applied: safe fixes, and
 * unsafe ones too when unsafe is true. When two fixes overlap, the one of
 * the rule with the lower id wins and the other is skipped. Marks applied[i]
 * for each diagnostic whose fix was applied (applied has diags.n entries).
 * Returns a heap string (free it), or NULL when nothing was applied.
 */
char *pgs_fix_apply(const struct pgs_file_report *file, bool unsafe, bool *applied,
		    size_t *n_applied);

#endif
