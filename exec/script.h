/*
 * script: SQL text split into its statements, as psql would send them.
 */
#ifndef PGS_EXEC_SCRIPT_H
#define PGS_EXEC_SCRIPT_H

#include "core/error.h"

/*
 * The statements of sql: a malloc-ed NULL-terminated array of malloc-ed
 * strings (pgs_free_statements), or NULL with err set when it does not parse.
 */
char **pgs_split_statements(const char *sql, struct pgs_error *err);
void pgs_free_statements(char **stmts);

#endif
