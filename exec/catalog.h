/*
 * catalog: a database's schema as sorted lines of text, to compare two
 * databases (verify, and the integration tests).
 */
#ifndef PGS_EXEC_CATALOG_H
#define PGS_EXEC_CATALOG_H

#include <stddef.h>

#include <libpq-fe.h>

#include "core/error.h"

/*
 * Every object of the user schemas as one line each, sorted and joined by
 * newlines, malloc-ed; NULL with err set when the query fails.
 */
char *pgs_catalog_lines(PGconn *conn, struct pgs_error *err);

/*
 * The lines only in a ('-') or only in b ('+') of two texts of
 * pgs_catalog_lines, each given to line (which may be NULL); how many.
 */
size_t pgs_catalog_diff(const char *a, const char *b,
			void (*line)(void *data, char sign, const char *text), void *data);

#endif
