#include "tests/integration/planfix.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/catalog.h"
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

char *pgf_catalog_lines(PGconn *conn)
{
	struct pgs_error err;
	char *lines = pgs_catalog_lines(conn, &err);

	if (!lines)
		printf("%s\n", err.message);
	return lines;
}

struct shown {
	size_t n, max;
};

static void show_line(void *data, char sign, const char *text)
{
	struct shown *s = data;
	if (s->n++ < s->max)
		printf("    %c %s\n", sign, text);
}

int pgf_print_diff(const char *a, const char *b, const char *label_a, const char *label_b)
{
	struct shown s = {0, 40};

	printf("    --- %s\n    +++ %s\n", label_a, label_b);
	size_t n = pgs_catalog_diff(a, b, show_line, &s);
	if (n > s.max)
		printf("    ... and %zu more lines\n", n - s.max);
	return (int)n;
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
	pgs_free_statements(stmts);
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
