/*
 * session: what apply's parts share to talk to the server: the connection
 * the plan runs on, a second one that watches it (who blocks it, replica
 * lag, load), the last error kept with its SQLSTATE, and the say callback
 * every message goes through with passwords masked.
 */
#ifndef PGS_EXEC_SESSION_H
#define PGS_EXEC_SESSION_H

#include <stddef.h>

#include <libpq-fe.h>

struct pgs_session {
	PGconn *conn;	 /* the plan's statements */
	PGconn *monitor; /* watching, never waiting on a lock */
	const char *db;	 /* what was connected to: its password is masked */
	void (*say)(void *data, const char *line);
	void *say_data;
	/* the last failed statement's SQLSTATE ("?????": none) and message */
	char sqlstate[6];
	char message[1024];
	/* the sessions that last blocked the running statement, or "" */
	char blockers[1024];
};

/* A line to the say callback, password masked. */
void pgs_session_say(struct pgs_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Run sql on conn with n text parameters; 0, or -1 with the error kept in
 * s. With out, the result (rows) is handed over on success (PQclear it).
 */
int pgs_session_run(struct pgs_session *s, PGconn *conn, const char *sql, int n,
		    const char *const *params, PGresult **out);

/* The first column of sql's first row in buf ("" for none or NULL); 0, or -1. */
int pgs_session_value(struct pgs_session *s, PGconn *conn, const char *sql, int n,
		      const char *const *params, char *buf, size_t size);

/*
 * Run sql on s->conn while the monitor connection watches who blocks it:
 * s->blockers holds them; every 10 s of waiting after the first 2, a line
 * "LABEL: waiting N s for ..." is said. Like pgs_session_run otherwise.
 */
int pgs_session_watched(struct pgs_session *s, const char *label, const char *sql, int n,
			const char *const *params, PGresult **out);

/* Keep the error of res (NULL: the connection's) in s, password masked. */
void pgs_session_keep_error(struct pgs_session *s, PGconn *conn, const PGresult *res);

/* sql as one line of at most 100 bytes and "...", for messages. */
const char *pgs_excerpt(const char *sql, char *buf, size_t size);

/* Seconds on a monotonic clock. */
double pgs_now(void);
void pgs_sleep_ms(unsigned ms);

#endif
