/*
 * planfix: the plan fixtures (fixtures/plan/<case>.sql) as the integration
 * tests that run plans on a real server read them, and what those tests
 * share: the fixture's declarations, its context database, running pgstage
 * and psql, the catalog as text.
 *
 * Declarations are comment lines of the fixture or of its --context files:
 *
 *   -- args: ...                  (first line of the fixture) pgstage's arguments
 *   -- checkpoint N: SQL          what the deployed application does at checkpoint N
 *   -- unsafe: TABLE: why         a statement the planner can't make safe (plan proof)
 *   -- writer [N] LABEL: SQL      a statement the application runs on table LABEL from
 *                                 phase N on (1 when omitted: the code before the
 *                                 first checkpoint); SQL "none": no more writes. $1 is
 *                                 a new key, $2 a key in 1..rows, $3 a number in 0..999,
 *                                 $4 a key this writer inserted (0 before it has one)
 *   -- live check [N]: SQL        one number, the rows that are wrong: 0 at
 *                                 checkpoint N (at the end when omitted)
 *   -- live table LABEL: NAME     the table LABEL's rows are in at the end (a rename)
 *   -- changes rows: TABLE        the migration itself changes, adds or removes rows of
 *                                 TABLE (as SQL): no check that rows survive or tally
 *
 * Context files seed their rows with generate_series(1, coalesce(
 * current_setting('pgstage_test.rows', true)::int, N)): a test sets
 * pgstage_test.rows to run them at another size.
 */
#ifndef PGS_PLANFIX_H
#define PGS_PLANFIX_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#define PGF_MAX_ITEMS 32
#define PGF_MAX_WRITERS 64

struct pgf_checkpoint_sql {
	int n; /* the Nth checkpoint stage, from 1 */
	char *sql;
};

struct pgf_writer_sql {
	int phase;	 /* from this phase on */
	char label[128]; /* the table, as SQL */
	char *sql;	 /* NULL: the application stops writing the table */
};

struct pgf_live_check {
	int checkpoint; /* 0: at the end */
	char *sql;
};

struct pgf_fixture {
	char name[128], path[256];
	char *text;
	char *args[32]; /* the `-- args:` words, malloc-ed */
	int n_args;
	struct pgf_checkpoint_sql checkpoints[PGF_MAX_ITEMS];
	int n_checkpoints;
	char *unsafe[PGF_MAX_ITEMS]; /* tables of `-- unsafe: <table>: <reason>` */
	int n_unsafe;
	struct pgf_writer_sql writers[PGF_MAX_WRITERS];
	int n_writers;
	struct pgf_live_check checks[PGF_MAX_ITEMS];
	int n_checks;
	char *changes_rows[PGF_MAX_ITEMS];
	int n_changes_rows;
	char *table_from[PGF_MAX_ITEMS], *table_to[PGF_MAX_ITEMS]; /* `-- live table` */
	int n_tables;
};

/* The whole file, malloc-ed and NUL-terminated; NULL when it can't be read. */
char *pgf_read_file(const char *path);
int pgf_write_text(const char *path, const char *text);

/* Run a shell command; its standard output, malloc-ed, in *out. Returns the exit status. */
int pgf_run_capture(const char *cmd, char **out);

/* A one-line excerpt of sql for messages, in buf. */
const char *pgf_one_line(const char *sql, char *buf, size_t size);

/* Read a fixture and the declarations of it and its --context files. 0, or -1. */
int pgf_load(struct pgf_fixture *fx, const char *path);

/* Load every fixture of the glob but the context_*.sql files; how many (at most max). */
size_t pgf_find(const char *pattern, struct pgf_fixture *fixtures, size_t max);

/* The major version of the server PGHOST etc. point at; 0 when it can't be reached. */
int pgf_server_major(void);

/* The version the fixture is about: its --pg-version (15, pgstage's default, without). */
int pgf_fixture_pg_version(const struct pgf_fixture *fx);

/*
 * Whether the fixture runs on this server: it is about the server's major
 * version (make plan-versions starts a server of each version fixtures name)
 * and its name contains only (PGS_PLAN_ONLY; NULL: any).
 */
bool pgf_selected(const struct pgf_fixture *fx, const char *only, int server_major);

/* Whether the fixture declares `-- changes rows: table`. */
bool pgf_changes_rows(const struct pgf_fixture *fx, const char *table);

/* The --context paths of the fixture's args, in order; how many (at most max). */
int pgf_context_paths(const struct pgf_fixture *fx, const char **paths, int max);

/*
 * pgstage plan with the fixture's args (without --format), then extra
 * (may be NULL), then the fixture, as a shell command in cmd.
 */
void pgf_plan_command(const struct pgf_fixture *fx, const char *pgstage, const char *extra,
		      char *cmd, size_t size);

/* The same with another command and its options ("apply --db ..."). */
void pgf_command(const struct pgf_fixture *fx, const char *pgstage, const char *command,
		 const char *extra, char *cmd, size_t size);

/*
 * dbname: a fresh database (through admin) where the fixture's context files
 * ran, with pgstage_test.rows set to rows when it is not NULL. 0, or -1
 * after printing which context failed.
 */
int pgf_build_context(PGconn *admin, const struct pgf_fixture *fx, const char *dbname,
		      const char *rows);

/*
 * The name (in name[size]) of a database where the fixture's context files
 * ran with pgstage_test.rows rows (NULL: the files' own count): made on
 * first use, then shared by every fixture with the same context files, as
 * the template of its copies. 0, or -1 after printing why.
 */
int pgf_context_db(PGconn *admin, const struct pgf_fixture *fx, const char *rows, char *name,
		   size_t size);

/* Drop every database pgf_context_db made. */
void pgf_drop_context_dbs(PGconn *admin);

/* The catalog of the user schemas as sorted lines, malloc-ed; NULL after printing why. */
char *pgf_catalog_lines(PGconn *conn);

/* Print the lines only in a (-) or only in b (+) of two sorted texts; the number of them. */
int pgf_print_diff(const char *a, const char *b, const char *label_a, const char *label_b);

/* psql of $PG_BINDIR, else Debian's PostgreSQL 15, else PATH's, in psql[size]. */
void pgf_find_psql(char *psql, size_t size);

/*
 * The migration as written, statement by statement, on conn: 0, or the
 * number (from 1) of the statement that fails, with an excerpt in what[size].
 */
size_t pgf_run_original(PGconn *conn, const struct pgf_fixture *fx, char *what, size_t size);

/* What a test group of plans on a server shares. */
struct pgf_group {
	const char *pgstage; /* $PGSTAGE or ./pgstage */
	char psql[512];
	char tmpdir[64]; /* made for the group, removed (when empty) at the end */
	PGconn *admin;	 /* notices off */
};

/* Set up a group (application name app, temporary directory /tmp/<tmp>.XXXXXX). 0, or -1. */
int pgf_group_open(struct pgf_group *g, const char *app, const char *tmp);

/* Drop the context databases, close the connection, remove the directory. */
void pgf_group_close(struct pgf_group *g);

#endif
