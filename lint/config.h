/*
 * config: .pgstage.json, the project's settings, found by walking up from
 * the current directory (or named with --config). Options given on the
 * command line win over it.
 *
 *   {
 *     "//": "free-form note",
 *     "pg_version": 15,
 *     "tool": "goose",
 *     "layout": "goose",
 *     "include": ["db/migrations"],
 *     "exclude": ["GLOB", ...],
 *     "disable": ["prefer-text-over-varchar"],
 *     "severity": {"require-concurrent-index": "error"},
 *     "fail_on": "warning",
 *     "lock_timeout": "2s",
 *     "statement_timeout": "5min",
 *     "validate_timeout": "0",
 *     "batch_size": 1000
 *   }
 *
 * exclude globs match file paths: * and ? within a path segment, ** across
 * segments. The timeouts must be durations the server accepts (core/duration.h):
 * plans paste them into SQL. Unknown keys and bad values are errors naming the
 * file, line and column of the key, on one line with control characters
 * escaped. A UTF-8 BOM is skipped, as in SQL files.
 */
#ifndef PGS_CONFIG_H
#define PGS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define PGS_CONFIG_NAME ".pgstage.json"

struct pgs_config {
	char *path;        /* the file read, or NULL when there is none */
	char *dir;         /* its directory: include paths are relative to it */
	int pg_version;    /* 0: not set */
	int tool;          /* enum pgs_tool, -1: not set */
	char *layout;      /* plan layout name, or NULL */
	char **include, **exclude, **disable;
	size_t n_include, n_exclude, n_disable;
	char **severity_rules; /* rule names, with severity_levels[i] */
	int *severity_levels;
	size_t n_severity;
	int fail_on;       /* a severity, 3 for "none", -1: not set */
	char *lock_timeout, *statement_timeout;
	char *validate_timeout; /* statement_timeout of plan stages that VALIDATE */
	long batch_size;        /* rows per backfill batch; 0: not set */
};

/* An empty configuration (nothing set). */
void pgs_config_init(struct pgs_config *config);
void pgs_config_release(struct pgs_config *config);

/*
 * Find .pgstage.json in start_dir or the nearest parent; out->path stays
 * NULL when there is none. Returns -1 with a message for an unreadable or
 * invalid file.
 */
int pgs_config_discover(struct pgs_config *out, const char *start_dir, struct pgs_error *err);

/* Read one configuration file. */
int pgs_config_load(struct pgs_config *out, const char *path, struct pgs_error *err);

/* Whether path matches a glob: * and ? within a path segment, ** across segments. */
bool pgs_glob_match(const char *pattern, const char *path);

#endif
