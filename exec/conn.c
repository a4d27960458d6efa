#include "exec/conn.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The password db names, in a malloc-ed copy, or NULL. */
static char *password_of(const char *db)
{
	char *msg = NULL, *found = NULL;
	PQconninfoOption *opts = db && *db ? PQconninfoParse(db, &msg) : NULL;

	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
			found = strdup(o->val);
	PQconninfoFree(opts);
	PQfreemem(msg);
	return found;
}

/* Replace every occurrence of secret in buf (NUL-terminated, of size size). */
static void mask(char *buf, size_t size, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	char *at;

	if (!n)
		return;
	while ((at = strstr(buf, secret))) {
		const char *stars = "********";
		size_t rest = strlen(at + n);
		size_t k = strlen(stars);
		if ((size_t)(at - buf) + k + rest + 1 > size)
			k = n; /* never grow past the buffer: overwrite in place */
		memmove(at + k, at + n, rest + 1);
		memset(at, '*', k);
	}
}

const char *pgs_exec_scrub(const char *text, const char *db, char *buf, size_t size)
{
	char *secret = password_of(db);

	snprintf(buf, size, "%s", text ? text : "");
	mask(buf, size, secret);
	mask(buf, size, getenv("PGPASSWORD"));
	free(secret);
	return buf;
}

PGconn *pgs_exec_connect(const char *db, const char *application, struct pgs_error *err)
{
	const char *keys[] = {"dbname", "application_name", "fallback_application_name", NULL};
	const char *values[] = {db && *db ? db : NULL, application, "pgstage", NULL};
	/* expand_dbname: dbname may be a URL or a conninfo string */
	PGconn *conn = PQconnectdbParams(keys, values, 1);
	char msg[1024];

	if (conn && PQstatus(conn) == CONNECTION_OK)
		return conn;
	pgs_exec_scrub(conn ? PQerrorMessage(conn) : "out of memory", db, msg, sizeof(msg));
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	pgs_error_set(err, "could not connect to the database: %s", msg);
	PQfinish(conn);
	return NULL;
}

const char *pgs_exec_describe(PGconn *conn, char *buf, size_t size)
{
	const char *host = PQhost(conn), *port = PQport(conn), *dbname = PQdb(conn);

	snprintf(buf, size, "%s on %s%s%s", dbname ? dbname : "?", host && *host ? host : "local",
		 port && *port ? ":" : "", port ? port : "");
	return buf;
}

/* value as a conninfo value: quoted, ' and \ escaped */
static void append_value(char **out, size_t *len, const char *value)
{
	size_t need = *len + 2 * strlen(value) + 4;
	char *grown = realloc(*out, need);

	if (!grown)
		abort();
	*out = grown;
	grown[(*len)++] = '\'';
	for (const char *p = value; *p; p++) {
		if (*p == '\'' || *p == '\\')
			grown[(*len)++] = '\\';
		grown[(*len)++] = *p;
	}
	grown[(*len)++] = '\'';
	grown[*len] = '\0';
}

char *pgs_exec_with_dbname(const char *db, const char *dbname, struct pgs_error *err)
{
	char *msg = NULL, *out = NULL;
	size_t len = 0;
	PQconninfoOption *opts = db && *db ? PQconninfoParse(db, &msg) : PQconndefaults();

	if (!opts) {
		char safe[512];
		pgs_error_set(err, "not a connection string or URL: %s",
			      pgs_exec_scrub(msg ? msg : "out of memory", db, safe, sizeof(safe)));
		PQfreemem(msg);
		return NULL;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		bool is_dbname = strcmp(o->keyword, "dbname") == 0;
		const char *v = is_dbname ? dbname : o->val;
		if (!v || !*v)
			continue;
		size_t k = strlen(o->keyword);
		char *grown = realloc(out, len + k + 3);
		if (!grown)
			abort();
		out = grown;
		len += (size_t)sprintf(out + len, "%s%s=", len ? " " : "", o->keyword);
		append_value(&out, &len, v);
	}
	PQconninfoFree(opts);
	return out;
}
