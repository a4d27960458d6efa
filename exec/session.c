#include "exec/session.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "exec/conn.h"

void pgs_session_say(struct pgs_session *s, const char *fmt, ...)
{
	char line[2048], safe[2048];
	va_list ap;

	if (!s->say)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->say(s->say_data, pgs_exec_scrub(line, s->db, safe, sizeof(safe)));
}

const char *pgs_excerpt(const char *sql, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *p = sql; *p && n + 4 < size && n < 100; p++)
		buf[n++] = *p == '\n' || *p == '\t' ? ' ' : *p;
	if (sql[n] && n >= 100)
		buf[n++] = '.', buf[n++] = '.', buf[n++] = '.';
	buf[n] = '\0';
	return buf;
}

void pgs_session_keep_error(struct pgs_session *s, PGconn *conn, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *msg = primary ? primary : res ? PQresultErrorMessage(res) : PQerrorMessage(conn);

	snprintf(s->sqlstate, sizeof(s->sqlstate), "%s", state ? state : "?????");
	pgs_exec_scrub(msg, s->db, s->message, sizeof(s->message));
	size_t n = strlen(s->message);
	while (n && (s->message[n - 1] == '\n' || s->message[n - 1] == ' '))
		s->message[--n] = '\0';
}

static bool ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

int pgs_session_run(struct pgs_session *s, PGconn *conn, const char *sql, int n,
		    const char *const *params, PGresult **out)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);

	if (!ok(res)) {
		pgs_session_keep_error(s, conn, res);
		PQclear(res);
		return -1;
	}
	if (out)
		*out = res;
	else
		PQclear(res);
	return 0;
}

int pgs_session_value(struct pgs_session *s, PGconn *conn, const char *sql, int n,
		      const char *const *params, char *buf, size_t size)
{
	PGresult *res;

	buf[0] = '\0';
	if (pgs_session_run(s, conn, sql, n, params, &res))
		return -1;
	if (PQntuples(res) && PQnfields(res) && !PQgetisnull(res, 0, 0))
		snprintf(buf, size, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* Who blocks the backend pid: a line per session, from the monitor connection. */
static void watch_blockers(struct pgs_session *s, const char *pid)
{
	const char *params[1] = {pid};
	PGresult *res = PQexecParams(
	    s->monitor,
	    "SELECT string_agg(format('pid %s (user %s, application %s, %s since %s): %s', a.pid, "
	    "a.usename, coalesce(nullif(a.application_name, ''), '-'), a.state, "
	    "date_trunc('second', a.state_change), left(regexp_replace(a.query, '\\s+', ' ', 'g'), "
	    "80)), '; ') FROM pg_catalog.pg_stat_activity a WHERE a.pid = ANY "
	    "(pg_catalog.pg_blocking_pids($1::int))",
	    1, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) && !PQgetisnull(res, 0, 0))
		snprintf(s->blockers, sizeof(s->blockers), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
}

double pgs_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void pgs_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int pgs_session_watched(struct pgs_session *s, const char *label, const char *sql, int n,
			const char *const *params, PGresult **out)
{
	char pid[16];
	int rc = 0;
	PGresult *res, *last = NULL;

	snprintf(pid, sizeof(pid), "%d", PQbackendPID(s->conn));
	s->blockers[0] = '\0';
	if (!PQsendQueryParams(s->conn, sql, n, NULL, params, NULL, NULL, 0)) {
		pgs_session_keep_error(s, s->conn, NULL);
		return -1;
	}
	int sock = PQsocket(s->conn);
	double start = pgs_now(), said = 0;
	while (PQisBusy(s->conn)) {
		fd_set fds;
		struct timeval tv = {0, 200 * 1000};
		FD_ZERO(&fds);
		FD_SET(sock, &fds);
		if (select(sock + 1, &fds, NULL, NULL, &tv) == 0) {
			watch_blockers(s, pid);
			double t = pgs_now();
			if (s->blockers[0] && t - start >= 2 && t - said >= 10) {
				pgs_session_say(s, "%s: waiting %.0f s for %s", label, t - start,
						s->blockers);
				said = t;
			}
		}
		if (!PQconsumeInput(s->conn))
			break;
	}
	while ((res = PQgetResult(s->conn))) {
		if (!ok(res) && !rc) {
			pgs_session_keep_error(s, s->conn, res);
			rc = -1;
		}
		PQclear(last);
		last = res;
	}
	if (rc || !out)
		PQclear(last);
	else
		*out = last;
	if (!rc && out && !last) {
		pgs_session_keep_error(s, s->conn, NULL);
		rc = -1;
	}
	return rc;
}
