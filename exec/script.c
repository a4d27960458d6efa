/*
 * script: SQL text split into its statements the way psql sends them, by
 * libpg_query's parser (a comment before a statement stays with it).
 */
#include "exec/script.h"

#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

char **pgs_split_statements(const char *sql, struct pgs_error *err)
{
	PgQuerySplitResult split = pg_query_split_with_parser(sql);
	char **out = NULL;
	size_t len = strlen(sql);

	if (split.error) {
		pgs_error_set(err, "cannot split the script into statements: %s (at byte %d)",
			      split.error->message, split.error->cursorpos);
		goto done;
	}
	out = calloc((size_t)split.n_stmts + 1, sizeof(*out));
	if (!out)
		abort();
	for (int i = 0; i < split.n_stmts; i++) {
		size_t at = (size_t)split.stmts[i]->stmt_location;
		/* a length of 0 means: to the end of the text */
		size_t n = split.stmts[i]->stmt_len ? (size_t)split.stmts[i]->stmt_len : len - at;
		if (!(out[i] = strndup(sql + at, n)))
			abort();
	}
done:
	pg_query_free_split_result(split);
	return out;
}

void pgs_free_statements(char **stmts)
{
	for (size_t i = 0; stmts && stmts[i]; i++)
		free(stmts[i]);
	free(stmts);
}

