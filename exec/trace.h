/*
 * trace: what a migration really does on a server, beside what explain
 * predicts. Every statement runs in one transaction that is rolled back at
 * the end (each in a savepoint, so one that fails does not stop the rest);
 * around each, a snapshot of the relations (exec/snapshot.h) tells which
 * locks it took (modes its transaction did not hold yet), whether it gave an
 * existing table or index a new file (a rewrite, an index rebuild) and
 * whether it scanned a table, and how long it took. Statements that can't
 * run in a transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ...) and
 * transaction control are listed, not run.
 *
 * A library: each statement's result goes to a callback.
 */
#ifndef PGS_EXEC_TRACE_H
#define PGS_EXEC_TRACE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/effects.h"
#include "core/error.h"

/* A statement to trace, with explain's prediction. */
struct pgs_trace_statement {
	const char *sql;
	const char *where; /* "path:line:column", for messages */
	const struct pgs_effect *predicted;
	size_t n_predicted;
	bool no_transaction; /* explain: can't run in a transaction block */
	bool control;	     /* BEGIN, COMMIT, ...: the trace has its own transaction */
};

/* What the server did to one relation, beside the prediction for it. */
struct pgs_trace_relation {
	char name[192]; /* "schema.name" */
	bool predicted, observed;
	enum pgs_lock predicted_lock, observed_lock; /* observed: the new mode it took */
	bool held_already; /* the transaction held that mode or more before it */
	bool predicted_rewrite, rewrite, predicted_reindex, reindex, predicted_scan, scan;
	bool disagrees;
	char why[256]; /* the disagreement, when there is one */
};

enum pgs_trace_outcome {
	PGS_TRACE_RAN,
	PGS_TRACE_FAILED,	 /* the server's error in message */
	PGS_TRACE_NOT_IN_TRANSACTION, /* listed, not run */
	PGS_TRACE_CONTROL,	 /* transaction control: not run */
};

struct pgs_trace_result {
	const struct pgs_trace_statement *statement;
	enum pgs_trace_outcome outcome;
	char message[512];
	double ms;
	struct pgs_trace_relation *relations;
	size_t n_relations;
	size_t disagreements;
};

struct pgs_trace_options {
	const char *db; /* URL or conninfo; NULL: the PG* variables */
	int pg_version; /* of the predictions: the server must be of that major version */
	bool force;	/* trace although other sessions use the migration's tables */
	void (*each)(void *data, const struct pgs_trace_result *r);
	void *data;
};

/*
 * Trace the statements; the number of disagreements (*failed: how many
 * statements failed, which are not judged), or -1 with err (could
 * not connect; the server is not of pg_version; other sessions hold locks
 * on the tables it touches, unless force: err names them).
 */
long pgs_trace(const struct pgs_trace_options *o, const struct pgs_trace_statement *stmts,
	       size_t n, size_t *failed, struct pgs_error *err);

#endif
