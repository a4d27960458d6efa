/*
 * seed: n generated rows in every user table, for verify --rows. The
 * server writes each table's INSERT ... SELECT ... FROM generate_series
 * from its catalog (format() with %I, format_type for the casts), so the
 * only SQL built here is fixed text; tables go referenced first.
 */
#include "exec/seed.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tables, by oid, with the indexes of the other tables they reference. */
static const char tables_sql[] =
    "WITH t AS ("
    " SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name,"
    "        row_number() OVER (ORDER BY c.oid) - 1 AS i"
    "   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    /* partitions get their rows through their parent */
    "  WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
    "    AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgstage')"
    "    AND n.nspname NOT LIKE 'pg\\_%'"
    /* an extension's tables are its own (configuration, reference data) */
    "    AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
    "                     AND d.objid = c.oid AND d.deptype = 'e'))"
    " SELECT t.oid, t.name, coalesce(e.parents::text, '{}')"
    "   FROM t LEFT JOIN (SELECT f.conrelid, array_agg(DISTINCT p.i) AS parents"
    "                       FROM pg_constraint f JOIN t p ON p.oid = f.confrelid"
    "                      WHERE f.contype = 'f' AND f.confrelid <> f.conrelid"
    "                      GROUP BY f.conrelid) e ON e.conrelid = t.oid"
    "  ORDER BY t.i";

/*
 * The INSERT of table $1 (its parameter $1: n), and its NOT NULL columns no
 * value is generated for (NULL: none). $2: the tables it references that are
 * seeded. A domain column's value is its base type's, cast to the domain.
 */
static const char insert_sql[] =
    "WITH RECURSIVE col AS ("
    " SELECT a.attnum, a.attname, a.attnotnull, format_type(a.atttypid, a.atttypmod) AS typ,"
    /* identity, generated (12+: read through to_jsonb for 11) and default
     * columns are the server's; not a foreign key's though */
    "        a.attidentity <> '' OR coalesce(to_jsonb(a)->>'attgenerated', '') <> ''"
    "        OR (EXISTS (SELECT FROM pg_attrdef d WHERE d.adrelid = a.attrelid"
    "                     AND d.adnum = a.attnum)"
    "            AND NOT EXISTS (SELECT FROM pg_constraint f WHERE f.conrelid = a.attrelid"
    "                             AND f.contype = 'f' AND a.attnum = ANY (f.conkey))) AS by_server,"
    /* NULL: in no foreign key; false: one references a table not seeded
     * (clones of a key, on the partitions it references, do not count) */
    "        (SELECT bool_and(f.confrelid = a.attrelid OR f.confrelid = ANY ($2::oid[]))"
    "           FROM pg_constraint f WHERE f.conrelid = a.attrelid AND f.contype = 'f'"
    "            AND f.conparentid = 0 AND a.attnum = ANY (f.conkey)) AS fk_seeded,"
    "        a.atttypid AS base, a.atttypmod AS mod"
    "   FROM pg_attribute a WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped"
    " UNION ALL"
    " SELECT c.attnum, c.attname, c.attnotnull, c.typ, c.by_server, c.fk_seeded,"
    "        t.typbasetype, t.typtypmod"
    "   FROM col c JOIN pg_type t ON t.oid = c.base WHERE t.typtype = 'd'"
    "), val AS ("
    " SELECT c.attnum, c.attname, c.typ, c.attnotnull, c.by_server,"
    "        CASE WHEN c.fk_seeded = false AND NOT c.attnotnull THEN 'NULL'"
    "        WHEN t.typtype = 'e' THEN (SELECT quote_literal(e.enumlabel) FROM pg_enum e"
    "             WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder LIMIT 1)"
    "        WHEN t.typcategory = 'A' THEN '''{}'''"
    /* text, varchar, char, citext, name: the cast cuts to the length */
    "        WHEN t.typcategory = 'S' THEN '''v'' || g'"
    "        WHEN t.oid = 'int2'::regtype THEN '1 + (g - 1) % 32767'"
    "        WHEN t.oid = ANY ('{int4,int8,float4,float8,money}'::regtype[]) THEN 'g'"
    /* numeric(p, s): g modulo 10^(p - s), so it fits (0 when s < 0 or s >= p) */
    "        WHEN t.oid = 'numeric'::regtype THEN CASE WHEN c.mod < 4 THEN 'g'"
    "             ELSE 'g % 1' || repeat('0', ((c.mod - 4) >> 16) - ((c.mod - 4) & 2047)) END"
    "        WHEN t.oid = 'bool'::regtype THEN 'g % 2 = 0'"
    "        WHEN t.oid = 'date'::regtype THEN 'date ''2000-01-01'' + g::int'"
    "        WHEN t.oid = 'timestamp'::regtype"
    "             THEN 'timestamp ''2000-01-01'' + g * interval ''1 second'''"
    "        WHEN t.oid = 'timestamptz'::regtype"
    "             THEN 'timestamptz ''2000-01-01 00:00:00+00'' + g * interval ''1 second'''"
    "        WHEN t.oid = ANY ('{time,timetz}'::regtype[])"
    "             THEN 'time ''00:00'' + g * interval ''1 second'''"
    "        WHEN t.oid = 'interval'::regtype THEN 'g * interval ''1 second'''"
    "        WHEN t.oid = 'uuid'::regtype THEN 'md5(g::text)::uuid'"
    "        WHEN t.oid = ANY ('{json,jsonb}'::regtype[]) THEN 'json_build_object(''g'', g)'"
    "        WHEN t.oid = 'bytea'::regtype THEN 'convert_to(''v'' || g, ''UTF8'')'"
    "        WHEN t.oid = ANY ('{inet,cidr}'::regtype[]) THEN 'inet ''10.0.0.0'' + g'"
    "        END AS expr"
    "   FROM col c JOIN pg_type t ON t.oid = c.base WHERE t.typtype <> 'd')"
    " SELECT format('INSERT INTO %I.%I %s SELECT %s FROM generate_series(1, $1::bigint) AS s(g)',"
    "               n.nspname, r.relname,"
    "               '(' || string_agg(quote_ident(v.attname), ', ' ORDER BY v.attnum)"
    "                      FILTER (WHERE NOT v.by_server AND v.expr IS NOT NULL) || ')',"
    "               string_agg(format('(%s)::%s', v.expr, v.typ), ', ' ORDER BY v.attnum)"
    "                      FILTER (WHERE NOT v.by_server AND v.expr IS NOT NULL)),"
    "        string_agg(format('%I %s', v.attname, v.typ), ', ' ORDER BY v.attnum)"
    "               FILTER (WHERE NOT v.by_server AND v.expr IS NULL AND v.attnotnull)"
    "   FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace LEFT JOIN val v ON true"
    "  WHERE r.oid = $1 GROUP BY n.nspname, r.relname";

struct table {
	const char *oid, *name; /* in the tables' result */
	size_t *parents, n_parents;
	int mark; /* ordering: 1 being visited, 2 placed */
	bool seeded;
};

/* "{1,5}" as indexes below n; the count. */
static size_t parse_parents(const char *s, size_t n, size_t **out)
{
	size_t k = 0, cap = 1;

	for (const char *p = s; *p; p++)
		cap += *p == ',';
	*out = malloc(cap * sizeof(**out));
	if (!*out)
		abort();
	for (const char *p = s + (*s == '{'); *p && *p != '}';) {
		char *end;
		unsigned long i = strtoul(p, &end, 10);
		if (end == p)
			break;
		if (i < n)
			(*out)[k++] = i;
		p = *end == ',' ? end + 1 : end;
	}
	return k;
}

/*
 * Depth first over the references: a table is placed after the tables it
 * references. A reference back into a table being visited (a cycle) is not
 * followed: that reference is then to a table not seeded yet (NULL when
 * nullable).
 */
static void place(struct table *t, size_t i, size_t *order, size_t *n_order)
{
	if (t[i].mark)
		return;
	t[i].mark = 1;
	for (size_t k = 0; k < t[i].n_parents; k++)
		place(t, t[i].parents[k], order, n_order);
	t[i].mark = 2;
	order[(*n_order)++] = i;
}

static bool ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* The server's one-line message for res, in buf. */
static const char *message(const PGresult *res, char *buf, size_t size)
{
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	snprintf(buf, size, "%s", primary ? primary : PQresultErrorMessage(res));
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* Run a fixed command; 0, or -1 with err. */
static int command(PGconn *conn, const char *sql, struct pgs_error *err)
{
	char why[512];
	PGresult *res = PQexec(conn, sql);
	int rc =
	    ok(res) ? 0 : pgs_error_set(err, "seed: %s: %s", sql, message(res, why, sizeof(why)));
	PQclear(res);
	return rc;
}

/*
 * Seed table i in a savepoint: 1 seeded, 0 skipped (why said), -1 when the
 * savepoint itself fails (the connection is gone).
 */
static int seed_table(PGconn *conn, struct table *t, size_t i, const char *n,
		      void (*skip)(void *, const char *, const char *), void *data,
		      struct pgs_error *err)
{
	size_t size = t[i].n_parents * 12 + 3, len = 1;
	char why[1024] = "", *seeded = malloc(size);
	PGresult *res = NULL;

	if (!seeded)
		abort();
	snprintf(seeded, size, "{");
	for (size_t k = 0; k < t[i].n_parents; k++)
		if (t[t[i].parents[k]].seeded)
			len += (size_t)snprintf(seeded + len, size - len, "%s%s",
						len > 1 ? "," : "", t[t[i].parents[k]].oid);
	snprintf(seeded + len, size - len, "}");
	if (command(conn, "SAVEPOINT pgs_seed", err)) {
		free(seeded);
		return -1;
	}
	const char *build[2] = {t[i].oid, seeded};
	res = PQexecParams(conn, insert_sql, 2, NULL, build, NULL, NULL, 0);
	if (!ok(res) || PQntuples(res) != 1)
		message(res, why, sizeof(why));
	else if (!PQgetisnull(res, 0, 1))
		snprintf(why, sizeof(why), "no value is generated for NOT NULL column %s",
			 PQgetvalue(res, 0, 1));
	else {
		PGresult *ins =
		    PQexecParams(conn, PQgetvalue(res, 0, 0), 1, NULL, &n, NULL, NULL, 0);
		if (!ok(ins))
			message(ins, why, sizeof(why));
		PQclear(ins);
	}
	PQclear(res);
	free(seeded);
	if (*why && command(conn, "ROLLBACK TO SAVEPOINT pgs_seed", err))
		return -1;
	if (command(conn, "RELEASE SAVEPOINT pgs_seed", err))
		return -1;
	if (*why && skip)
		skip(data, t[i].name, why);
	t[i].seeded = !*why;
	return t[i].seeded;
}

/* Seed every table in the open transaction: how many, or -1 with err. */
static int seed_all(PGconn *conn, const char *rows,
		    void (*skip)(void *, const char *, const char *), void *data,
		    struct pgs_error *err)
{
	char why[512];
	PGresult *res = PQexec(conn, tables_sql);
	int seeded = 0;

	if (!ok(res)) {
		pgs_error_set(err, "seed: could not list the tables: %s",
			      message(res, why, sizeof(why)));
		PQclear(res);
		return -1;
	}
	size_t n_tables = (size_t)PQntuples(res), n_order = 0;
	struct table *t = calloc(n_tables + 1, sizeof(*t));
	size_t *order = malloc((n_tables + 1) * sizeof(*order));
	if (!t || !order)
		abort();
	for (size_t i = 0; i < n_tables; i++) {
		t[i].oid = PQgetvalue(res, (int)i, 0);
		t[i].name = PQgetvalue(res, (int)i, 1);
		t[i].n_parents = parse_parents(PQgetvalue(res, (int)i, 2), n_tables, &t[i].parents);
	}
	for (size_t i = 0; i < n_tables; i++)
		place(t, i, order, &n_order);
	for (size_t k = 0; k < n_order && seeded >= 0; k++) {
		int rc = seed_table(conn, t, order[k], rows, skip, data, err);
		seeded = rc < 0 ? -1 : seeded + rc;
	}
	for (size_t i = 0; i < n_tables; i++)
		free(t[i].parents);
	free(t);
	free(order);
	PQclear(res);
	return seeded;
}

int pgs_seed(PGconn *conn, long long n,
	     void (*skip)(void *data, const char *table, const char *why), void *data,
	     struct pgs_error *err)
{
	char rows[32];
	PGTransactionStatusType status = PQtransactionStatus(conn);
	bool own = status == PQTRANS_IDLE;
	int seeded = -1;

	if (n < 0)
		return pgs_error_set(err, "seed: %lld rows", n);
	if (n == 0)
		return 0;
	if (!own && status != PQTRANS_INTRANS)
		return pgs_error_set(err, "seed: the connection is not ready for a transaction");
	snprintf(rows, sizeof(rows), "%lld", n);
	/* deferred constraints are checked at each INSERT, so that they skip
	 * its table rather than fail the commit */
	if ((!own || !command(conn, "BEGIN", err)) &&
	    !command(conn, "SET CONSTRAINTS ALL IMMEDIATE", err))
		seeded = seed_all(conn, rows, skip, data, err);
	if (own && seeded >= 0 && command(conn, "COMMIT", err))
		seeded = -1;
	if (own && seeded < 0 && PQtransactionStatus(conn) != PQTRANS_IDLE)
		PQclear(PQexec(conn, "ROLLBACK"));
	return seeded;
}
