/*
 * tool_files: what the files beside a migration say about how its tool runs
 * it: flyway's <script>.conf, diesel's metadata.toml, a sqitch.plan above
 * deploy/revert/verify, drizzle's meta/_journal.json, and whether the
 * nearest Cargo.toml depends on sqlx or refinery.
 */
#ifndef PGS_TOOL_FILES_H
#define PGS_TOOL_FILES_H

#include "lint/sections.h"

/*
 * Fill hints for the migration at path (all false for "-", "<stdin>" and
 * files that can't be read). Reads only small files beside it and the
 * Cargo.toml files of the directories above it, up to the first found.
 */
void pgs_tool_hints_read(const char *path, struct pgs_tool_hints *hints);

#endif
