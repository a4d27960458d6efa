/*
 * catalog: a database's schema as sorted lines of text, one per object
 * (relation, column by name, constraint, index, trigger, function, view,
 * sequence, enum), so two databases compare as text: what verify checks
 * after running a migration and its plan, and what the integration tests
 * check. Column numbers and OIDs are left out: a plan that moves a column to
 * the end or rebuilds an index under its old name ends the same.
 */
#include "exec/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USER_NS(ns) ns " NOT IN ('pg_catalog', 'information_schema') AND " ns " NOT LIKE 'pg\\_%'"

/* One query per kind of object, each giving lines; joined by UNION ALL. */
static const char *const catalog_parts[] = {
    /* relations */
    " SELECT format('relation %s kind %s persistence %s options %s', c.oid::regclass,"
    "        c.relkind, c.relpersistence, coalesce(c.reloptions::text, '{}')) AS line"
    "   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    "  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND " USER_NS("n.nspname"),
    /* columns, as a set by name */
    " SELECT format('column %s.%I %s%s%s%s%s%s', c.oid::regclass, a.attname,"
    "        format_type(a.atttypid, a.atttypmod),"
    "        CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,"
    /* columns PostgreSQL 11 lacks (attgenerated, 12) read through to_jsonb */
    "        CASE WHEN to_jsonb(a)->>'attgenerated' = 's'"
    "             THEN ' GENERATED ' || pg_get_expr(d.adbin, d.adrelid)"
    "             WHEN d.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid)"
    "             ELSE '' END,"
    "        CASE a.attidentity WHEN 'a' THEN ' IDENTITY ALWAYS' WHEN 'd' THEN"
    "             ' IDENTITY BY DEFAULT' ELSE '' END,"
    "        CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation"
    "             THEN ' COLLATE ' || (SELECT quote_ident(l.collname) FROM pg_collation l"
    "                                   WHERE l.oid = a.attcollation) ELSE '' END,"
    "        CASE WHEN a.attstattarget >= 0 THEN ' STATISTICS ' || a.attstattarget ELSE '' END)"
    "   FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    "   JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid"
    "   LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    "  WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
    "    AND " USER_NS("n.nspname"),
    /* constraints of tables and domains */
    " SELECT format('constraint %s %I %s%s%s', coalesce(r.conrelid::regclass::text,"
    "        'domain ' || r.contypid::regtype::text), r.conname, pg_get_constraintdef(r.oid),"
    "        CASE WHEN r.convalidated THEN '' ELSE ' (not validated)' END,"
    "        CASE WHEN r.condeferrable THEN ' deferrable' ELSE '' END)"
    "   FROM pg_constraint r JOIN pg_namespace n ON n.oid = r.connamespace"
    "  WHERE " USER_NS("n.nspname"),
    /* indexes */
    " SELECT format('index %s%s%s', pg_get_indexdef(i.indexrelid),"
    "        CASE WHEN i.indisvalid THEN '' ELSE ' (INVALID)' END,"
    "        CASE WHEN i.indisready THEN '' ELSE ' (not ready)' END)"
    "   FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
    "   JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " USER_NS("n.nspname"),
    /* triggers */
    " SELECT format('trigger %s enabled %s', pg_get_triggerdef(g.oid), g.tgenabled)"
    "   FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid"
    "   JOIN pg_namespace n ON n.oid = c.relnamespace"
    "  WHERE NOT g.tgisinternal AND " USER_NS("n.nspname"),
    /* functions and procedures */
    " SELECT format('function %s', regexp_replace(pg_get_functiondef(p.oid), '\\s+', ' ', 'g'))"
    "   FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    "  WHERE p.prokind IN ('f', 'p') AND " USER_NS("n.nspname"),
    /* views */
    " SELECT format('view %s %s', c.oid::regclass,"
    "        regexp_replace(pg_get_viewdef(c.oid), '\\s+', ' ', 'g'))"
    "   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    "  WHERE c.relkind IN ('v', 'm') AND " USER_NS("n.nspname"),
    /* sequences */
    " SELECT format('sequence %s %s increment %s min %s max %s owned by %s',"
    "        s.seqrelid::regclass, s.seqtypid::regtype, s.seqincrement, s.seqmin, s.seqmax,"
    /* the owning column by name: expand/contract changes its number */
    "        coalesce((SELECT dep.refobjid::regclass || '.' || quote_ident(a.attname)"
    "                   FROM pg_depend dep JOIN pg_attribute a"
    "                     ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid"
    "                   WHERE dep.objid = s.seqrelid AND dep.classid = 'pg_class'::regclass"
    "                     AND dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i')"
    "                   LIMIT 1), '-'))"
    "   FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid"
    "   JOIN pg_namespace n ON n.oid = c.relnamespace WHERE " USER_NS("n.nspname"),
    /* enum labels */
    " SELECT format('enum %s (%s)', e.enumtypid::regtype,"
    "        string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder))"
    "   FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid"
    "   JOIN pg_namespace n ON n.oid = t.typnamespace WHERE " USER_NS(
	"n.nspname") "  GROUP BY e.enumtypid",
};

/* The catalog as sorted lines, malloc-ed; NULL after printing why. */
char *pgs_catalog_lines(PGconn *conn, struct pgs_error *err)
{
	char sql[16384] = "SELECT coalesce(string_agg(line, E'\\n' ORDER BY line), '') FROM (";
	char *out = NULL;

	for (size_t i = 0; i < sizeof(catalog_parts) / sizeof(catalog_parts[0]); i++) {
		size_t len = strlen(sql);
		snprintf(sql + len, sizeof(sql) - len, "%s\n%s", i ? " UNION ALL" : "",
			 catalog_parts[i]);
	}
	snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), ") AS catalog");
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		out = strdup(PQgetvalue(res, 0, 0));
	else
		pgs_error_set(err, "could not read the catalog: %s", PQerrorMessage(conn));
	PQclear(res);
	return out;
}

/* Next line of *p (advanced), or NULL at the end; the line in line[size]. */
static const char *next_line(const char **p, char *line, size_t size)
{
	if (!*p || !**p)
		return NULL;
	const char *end = strchr(*p, '\n');
	size_t len = end ? (size_t)(end - *p) : strlen(*p);
	snprintf(line, size, "%.*s", (int)len, *p);
	*p = end ? end + 1 : *p + len;
	return line;
}

size_t pgs_catalog_diff(const char *a, const char *b,
			void (*line)(void *data, char sign, const char *text), void *data)
{
	char *la = malloc(8192), *lb = malloc(8192);
	const char *pa = a, *pb = b;
	if (!la || !lb)
		abort();
	const char *x = next_line(&pa, la, 8192), *y = next_line(&pb, lb, 8192);
	size_t n = 0;

	while (x || y) {
		int cmp = !x ? 1 : !y ? -1 : strcmp(x, y);
		if (cmp != 0 && line)
			line(data, cmp < 0 ? '-' : '+', cmp < 0 ? x : y);
		n += cmp != 0;
		if (cmp <= 0)
			x = next_line(&pa, la, 8192);
		if (cmp >= 0)
			y = next_line(&pb, lb, 8192);
	}
	free(la);
	free(lb);
	return n;
}

