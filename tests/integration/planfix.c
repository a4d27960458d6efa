#include "tests/integration/planfix.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/pgtest.h"

/* ---- files and commands ---- */

/* The whole file, malloc-ed and NUL-terminated; NULL when it can't be read. */
char *pgf_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *grown = realloc(buf, cap += 65536);
			if (!grown) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = 0;
	return buf;
}

int pgf_write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}

/* Run a shell command; its standard output, malloc-ed, in *out. Returns the exit status. */
int pgf_run_capture(const char *cmd, char **out)
{
	FILE *pipe = popen(cmd, "r");
	size_t len = 0, cap = 65536, n;
	char *buf = malloc(cap);

	*out = NULL;
	if (!pipe || !buf) {
		if (pipe)
			pclose(pipe);
		free(buf);
		return -1;
	}
	while ((n = fread(buf + len, 1, cap - len - 1, pipe)) > 0) {
		len += n;
		if (cap - len < 4096) {
			char *grown = realloc(buf, cap *= 2);
			if (!grown)
				break;
			buf = grown;
		}
	}
	buf[len] = 0;
	*out = buf;
	int st = pclose(pipe);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Append ' text ' to cmd[size] (the text holds no single quote: fixture paths and args). */
static void append_quoted(char *cmd, size_t size, const char *text)
{
	size_t len = strlen(cmd);

	snprintf(cmd + len, size - len, " '%s'", text);
}

/* A one-line excerpt of sql for messages. */
const char *pgf_one_line(const char *sql, char *buf, size_t size)
{
	size_t k = 0;

	while (*sql == ' ' || *sql == '\n' || *sql == '\t')
		sql++;
	for (; *sql && k + 4 < size; sql++)
		buf[k++] = *sql == '\n' || *sql == '\t' ? ' ' : *sql;
	if (*sql)
		buf[k++] = '.', buf[k++] = '.', buf[k++] = '.';
	buf[k] = 0;
	return buf;
}

/* ---- declarations ---- */

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* "[N] LABEL: SQL" of a writer line (after "-- writer "). */
static void parse_writer(struct pgf_fixture *fx, const char *rest, int default_phase)
{
	int phase = default_phase, at = 0;
	const char *colon = strstr(rest, ": ");

	if (!colon || fx->n_writers >= PGF_MAX_WRITERS)
		return;
	if (sscanf(rest, "%d %n", &phase, &at) == 1 && at > 0)
		rest += at;
	else
		phase = default_phase;
	colon = strstr(rest, ": ");
	if (!colon)
		return;
	struct pgf_writer_sql *w = &fx->writers[fx->n_writers++];
	w->phase = phase;
	snprintf(w->label, sizeof(w->label), "%.*s", (int)(colon - rest), rest);
	w->sql = strcmp(colon + 2, "none") == 0 ? NULL : strdup(colon + 2);
}

/* The declarations of text; a context's (fixture false) are only writers and live ones. */
static void parse_declarations(struct pgf_fixture *fx, const char *text, bool fixture)
{
	const char *line = text;

	for (bool first = true; line && *line; first = false) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char *copy = strndup(line, len);
		int n, at = 0;

		if (fixture && first && starts(copy, "-- args: ")) {
			char *save = NULL;
			for (char *w = strtok_r(copy + 9, " \t", &save); w && fx->n_args < 32;
			     w = strtok_r(NULL, " \t", &save))
				fx->args[fx->n_args++] = strdup(w);
		} else if (fixture && sscanf(copy, "-- checkpoint %d: %n", &n, &at) == 1 && at > 0 &&
			   fx->n_checkpoints < PGF_MAX_ITEMS) {
			fx->checkpoints[fx->n_checkpoints++] =
			    (struct pgf_checkpoint_sql){n, strdup(copy + at)};
		} else if (fixture && starts(copy, "-- unsafe: ") && fx->n_unsafe < PGF_MAX_ITEMS) {
			char *colon = strchr(copy + 11, ':');
			if (colon)
				*colon = 0;
			fx->unsafe[fx->n_unsafe++] = strdup(copy + 11);
		} else if (starts(copy, "-- writer ")) {
			parse_writer(fx, copy + 10, 1);
		} else if (starts(copy, "-- live check") && fx->n_checks < PGF_MAX_ITEMS) {
			const char *rest = copy + 13;
			int cp = 0;
			if (sscanf(rest, " %d: %n", &cp, &at) == 1 && at > 0)
				rest += at;
			else if (starts(rest, ": "))
				rest += 2, cp = 0;
			else
				rest = NULL;
			if (rest)
				fx->checks[fx->n_checks++] = (struct pgf_live_check){cp, strdup(rest)};
		} else if (fixture && starts(copy, "-- changes rows: ") &&
			   fx->n_changes_rows < PGF_MAX_ITEMS) {
			fx->changes_rows[fx->n_changes_rows++] = strdup(copy + 17);
		} else if (starts(copy, "-- live table ") && fx->n_tables < PGF_MAX_ITEMS) {
			char *colon = strstr(copy + 14, ": ");
			if (colon) {
				*colon = 0;
				fx->table_from[fx->n_tables] = strdup(copy + 14);
				fx->table_to[fx->n_tables++] = strdup(colon + 2);
			}
		}
		free(copy);
		line = end ? end + 1 : NULL;
	}
}

bool pgf_changes_rows(const struct pgf_fixture *fx, const char *table)
{
	for (int i = 0; i < fx->n_changes_rows; i++)
		if (strcmp(fx->changes_rows[i], table) == 0)
			return true;
	return false;
}

int pgf_context_paths(const struct pgf_fixture *fx, const char **paths, int max)
{
	int n = 0;

	for (int i = 0; i < fx->n_args && n < max; i++) {
		if (strcmp(fx->args[i], "--context") == 0 && i + 1 < fx->n_args)
			paths[n++] = fx->args[++i];
		else if (starts(fx->args[i], "--context="))
			paths[n++] = fx->args[i] + 10;
	}
	return n;
}

int pgf_load(struct pgf_fixture *fx, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *contexts[8];

	snprintf(fx->path, sizeof(fx->path), "%s", path);
	snprintf(fx->name, sizeof(fx->name), "%.*s", (int)(strlen(base) - 4), base);
	if (!(fx->text = pgf_read_file(path)))
		return -1;
	parse_declarations(fx, fx->text, true);
	/* the application's writes before the first checkpoint come with its schema */
	int n = pgf_context_paths(fx, contexts, 8);
	for (int i = 0; i < n; i++) {
		char *text = pgf_read_file(contexts[i]);
		if (text)
			parse_declarations(fx, text, false);
		free(text);
	}
	return 0;
}

size_t pgf_find(const char *pattern, struct pgf_fixture *fixtures, size_t max)
{
	glob_t g;
	size_t n = 0;

	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc && n < max; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;
		if (starts(base, "context_"))
			continue;
		if (pgf_load(&fixtures[n], g.gl_pathv[i]) == 0)
			n++;
	}
	globfree(&g);
	return n;
}

void pgf_plan_command(const struct pgf_fixture *fx, const char *pgstage, const char *extra,
		      char *cmd, size_t size)
{
	pgf_command(fx, pgstage, "plan --color never", extra, cmd, size);
}

void pgf_command(const struct pgf_fixture *fx, const char *pgstage, const char *command,
		 const char *extra, char *cmd, size_t size)
{
	snprintf(cmd, size, "'%s' %s --no-config", pgstage, command);
	for (int i = 0; i < fx->n_args; i++) {
		if (strcmp(fx->args[i], "--format") == 0) {
			i++;
			continue;
		}
		if (starts(fx->args[i], "--format="))
			continue;
		append_quoted(cmd, size, fx->args[i]);
	}
	if (extra)
		snprintf(cmd + strlen(cmd), size - strlen(cmd), " %s", extra);
	append_quoted(cmd, size, fx->path);
}

/* ---- databases ---- */

int pgf_build_context(PGconn *admin, const struct pgf_fixture *fx, const char *dbname,
		      const char *rows)
{
	const char *contexts[8];
	int n = pgf_context_paths(fx, contexts, 8), rc = 0;
	PGconn *conn;

	if (pgt_create_copy(admin, "template1", dbname) != 0 ||
	    !(conn = pgt_connect(dbname, "pgstage-test-context")))
		return -1;
	if (pgt_exec(conn, "SET client_min_messages = warning") != 0)
		rc = -1;
	if (rc == 0 && rows) {
		const char *values[1] = {rows};
		PGresult *res = PQexecParams(conn, "SELECT set_config('pgstage_test.rows', $1, false)",
					     1, NULL, values, NULL, NULL, 0);
		rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;
		PQclear(res);
	}
	for (int i = 0; rc == 0 && i < n; i++) {
		char *sql = pgf_read_file(contexts[i]);
		if (!sql || pgt_exec_script(conn, sql) != 0) {
			printf("the context %s does not run\n", contexts[i]);
			rc = -1;
		}
		free(sql);
	}
	PQfinish(conn); /* a template must have no connections */
	return rc;
}

static char made[64][64]; /* the databases pgf_context_db made */
static size_t n_made;

int pgf_context_db(PGconn *admin, const struct pgf_fixture *fx, const char *rows, char *name,
		   size_t size)
{
	const char *contexts[8];
	int n = pgf_context_paths(fx, contexts, 8);
	unsigned long long h = 14695981039346656037ULL;

	for (int i = 0; i <= n; i++)
		for (const char *p = i < n ? contexts[i] : rows ? rows : "-"; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(name, size, "pgs_ctx_%016llx", h);
	for (size_t i = 0; i < n_made; i++)
		if (strcmp(made[i], name) == 0)
			return 0;
	if (pgf_build_context(admin, fx, name, rows) != 0)
		return -1;
	if (n_made < sizeof(made) / sizeof(made[0]))
		snprintf(made[n_made++], sizeof(made[0]), "%s", name);
	return 0;
}

void pgf_drop_context_dbs(PGconn *admin)
{
	for (size_t i = 0; i < n_made; i++)
		pgt_drop_db(admin, made[i]);
	n_made = 0;
}

/* ---- the catalog, as sorted lines ---- */

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
char *pgf_catalog_lines(PGconn *conn)
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
		printf("catalog query failed: %s", PQerrorMessage(conn));
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

/* Print the lines only in a (-) or only in b (+) of two sorted texts; the number of them. */
int pgf_print_diff(const char *a, const char *b, const char *label_a, const char *label_b)
{
	static char la[8192], lb[8192];
	const char *pa = a, *pb = b;
	const char *x = next_line(&pa, la, sizeof(la)), *y = next_line(&pb, lb, sizeof(lb));
	int n = 0, shown = 40;

	printf("    --- %s\n    +++ %s\n", label_a, label_b);
	while (x || y) {
		int cmp = !x ? 1 : !y ? -1 : strcmp(x, y);
		if (cmp != 0 && n < shown)
			printf("    %c %s\n", cmp < 0 ? '-' : '+', cmp < 0 ? x : y);
		n += cmp != 0;
		if (cmp <= 0)
			x = next_line(&pa, la, sizeof(la));
		if (cmp >= 0)
			y = next_line(&pb, lb, sizeof(lb));
	}
	if (n > shown)
		printf("    ... and %d more lines\n", n - shown);
	return n;
}

void pgf_find_psql(char *psql, size_t size)
{
	const char *bindir = getenv("PG_BINDIR");

	if (bindir) {
		snprintf(psql, size, "%s/psql", bindir);
		if (access(psql, X_OK) == 0)
			return;
	}
	snprintf(psql, size, "%s", "/usr/lib/postgresql/15/bin/psql");
	if (access(psql, X_OK) != 0)
		snprintf(psql, size, "%s", "psql");
}

size_t pgf_run_original(PGconn *conn, const struct pgf_fixture *fx, char *what, size_t size)
{
	char **stmts = pgt_split_statements(fx->text);
	size_t failed = 0;

	if (!stmts) {
		snprintf(what, size, "(the migration does not parse)");
		return 1;
	}
	for (size_t i = 0; !failed && stmts[i]; i++)
		if (pgt_exec(conn, stmts[i]) != 0) {
			failed = i + 1;
			pgf_one_line(stmts[i], what, size);
		}
	pgt_free_statements(stmts);
	return failed;
}

int pgf_group_open(struct pgf_group *g, const char *app, const char *tmp)
{
	memset(g, 0, sizeof(*g));
	g->pgstage = "./pgstage";
	pgf_find_psql(g->psql, sizeof(g->psql));
	snprintf(g->tmpdir, sizeof(g->tmpdir), "/tmp/%s.XXXXXX", tmp);
	if (pgt_find_pgstage(&g->pgstage) != 0 || !mkdtemp(g->tmpdir))
		return -1;
	if (!(g->admin = pgt_connect(NULL, app)))
		return -1;
	return pgt_exec(g->admin, "SET client_min_messages = warning");
}

void pgf_group_close(struct pgf_group *g)
{
	if (g->admin)
		pgf_drop_context_dbs(g->admin);
	PQfinish(g->admin);
	g->admin = NULL;
	if (*g->tmpdir)
		(void)rmdir(g->tmpdir);
}

int pgf_server_major(void)
{
	PGconn *conn = PQconnectdb("");
	int version = PQstatus(conn) == CONNECTION_OK ? PQserverVersion(conn) : 0;

	PQfinish(conn);
	return version / 10000;
}

int pgf_fixture_pg_version(const struct pgf_fixture *fx)
{
	for (int i = 0; i < fx->n_args; i++) {
		if (strcmp(fx->args[i], "--pg-version") == 0 && i + 1 < fx->n_args)
			return (int)strtol(fx->args[i + 1], NULL, 10);
		if (starts(fx->args[i], "--pg-version="))
			return (int)strtol(fx->args[i] + 13, NULL, 10);
	}
	return 15;
}

bool pgf_selected(const struct pgf_fixture *fx, const char *only, int server_major)
{
	return (!only || strstr(fx->name, only)) && pgf_fixture_pg_version(fx) == server_major;
}
