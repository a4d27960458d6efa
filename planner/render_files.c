/*
 * render_files: a plan as numbered migration files in the conventions of a
 * migration tool. How each tool runs a file decides what goes in it:
 *
 *   plain           psql runs each file as is: the stage as the one script has it
 *   goose           one transaction per file unless "-- +goose NO TRANSACTION";
 *                   statements split at lines ending in ";" unless wrapped in
 *                   StatementBegin / StatementEnd
 *   dbmate          the up (and down) block is one Exec: inside a transaction
 *                   unless "transaction:false", and then a string of several
 *                   statements is an implicit transaction, so it holds one
 *   golang-migrate  the file is one multi-statement query (an implicit
 *                   transaction): explicit BEGIN/COMMIT, or exactly one statement
 *   flyway          a transaction per script unless its .sql.conf says
 *                   executeInTransaction=false; no undo scripts (community)
 *   diesel          <version>_<name>/up.sql and down.sql, each run with
 *                   batch_execute (one query) in a transaction, unless the
 *                   directory's metadata.toml says run_in_transaction = false:
 *                   then the one query is an implicit transaction, so it holds
 *                   one statement
 *   sqlx            <version>_<name>.up.sql and .down.sql, each one query in a
 *                   transaction unless its first line is "-- no-transaction":
 *                   then, as for diesel, one statement alone
 */
#include "planner/render.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lint/write.h"
#include "planner/down.h"
#include "planner/guard.h"

/* ---- names ---- */

struct numbering {
	unsigned long long next;
	int width;
};

/* Where the version digits of a file name start and end; false when it has none. */
static bool version_digits(const char *base, const char **start, const char **end)
{
	const char *p = base;

	if ((*p == 'V' || *p == 'U') && isdigit((unsigned char)p[1]))
		p++; /* flyway's V<version>__ */
	if (!isdigit((unsigned char)*p))
		return false;
	*start = p;
	while (isdigit((unsigned char)*p))
		p++;
	*end = p;
	return true;
}

/*
 * The name that carries a migration's version and description: the file's,
 * or for diesel's <version>_<name>/up.sql (prisma's .../migration.sql) its
 * directory's, diesel's dashes dropped from the version ("20240101000000_x").
 */
static const char *migration_name(struct pgs_arena *a, const char *path)
{
	const char *base = pgs_path_base(path);

	if (!path || (strcmp(base, "up.sql") != 0 && strcmp(base, "down.sql") != 0 &&
		      strcmp(base, "migration.sql") != 0) ||
	    base - path < 2)
		return base;
	const char *dir = base - 1;
	while (dir > path && dir[-1] != '/')
		dir--;
	if (!isdigit((unsigned char)*dir))
		return base;
	char *out = pgs_arena_alloc(a, (size_t)(base - dir) + 4), *o = out;
	const char *p = dir;
	for (; p < base - 1 && (isdigit((unsigned char)*p) || *p == '-'); p++)
		if (*p != '-')
			*o++ = *p;
	memcpy(o, p, (size_t)(base - 1 - p));
	o += base - 1 - p;
	memcpy(o, ".sql", 5);
	return out;
}

/* The file name without version and extension, as [A-Za-z0-9_] ("add_token"). */
static const char *stem(struct pgs_arena *a, const char *path)
{
	const char *base = migration_name(a, path), *s = base, *vs, *ve;

	if (version_digits(base, &vs, &ve)) {
		const char *flyway_sep = base[0] == 'V' || base[0] == 'U' ? strstr(ve, "__") : NULL;
		s = flyway_sep ? flyway_sep + 2 : ve;
		while (*s == '_' || *s == '-' || *s == '.')
			s++;
	}
	size_t n = strlen(s);
	static const char *const exts[] = {".up.sql", ".down.sql", ".sql"};
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (pgs_path_ends_with(s, exts[i])) {
			n -= strlen(exts[i]);
			break;
		}
	char *out = pgs_arena_alloc(a, n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		bool word = isalnum((unsigned char)s[i]);
		if (word)
			*o++ = s[i];
		else if (o > out && o[-1] != '_')
			*o++ = '_';
	}
	while (o > out && o[-1] == '_')
		o--;
	*o = 0;
	return *out ? out : "migration";
}

static int digits(unsigned long long v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* Numbers from the first input's version (its width kept), else from 1. */
static struct numbering numbering(struct pgs_arena *a, const char *first_path, size_t n_files)
{
	struct numbering num = {1, 1};
	const char *vs, *ve;

	if (first_path && version_digits(migration_name(a, first_path), &vs, &ve) && ve - vs <= 18) {
		num.next = strtoull(vs, NULL, 10);
		num.width = (int)(ve - vs);
	}
	/* wide enough for the last number, so that names also sort by version */
	int last = digits(num.next + (n_files ? n_files - 1 : 0));
	if (last > num.width)
		num.width = last;
	return num;
}

static const char *alter_slug(const PgQuery__AlterTableCmd *cmd)
{
	switch (cmd->subtype) {
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
		return "add_column";
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
		return "add_constraint";
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
		return "validate";
	case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
		return "set_not_null";
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
		return "drop_not_null";
	case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
		return cmd->def ? "set_default" : "drop_default";
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
		return "drop_constraint";
	case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
		return "drop_column";
	case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
		return "alter_column_type";
	default:
		return "alter_table";
	}
}

/* The first two words of the statement, lower case ("create_type"). */
static const char *leading_words(struct pgs_arena *a, const char *sql)
{
	char *out = pgs_arena_alloc(a, strlen(sql) + 1), *o = out;
	int words = 0;

	for (const char *s = sql; *s && words < 2;) {
		if (s[0] == '-' && s[1] == '-') {
			s += strcspn(s, "\n");
		} else if (isalpha((unsigned char)*s)) {
			if (words++)
				*o++ = '_';
			while (isalnum((unsigned char)*s) || *s == '_')
				*o++ = (char)tolower((unsigned char)*s++);
		} else {
			s++;
		}
	}
	*o = 0;
	return *out ? out : "sql";
}

/* A short name for what the stage does, from its first statement ("add_column"). */
static const char *slug(struct pgs_arena *a, const struct pgs_plan_stage *st)
{
	if (st->kind == PGS_STAGE_BACKFILL)
		return "backfill";
	const struct pgs_plan_step *first = &st->steps[0];
	PgQuery__Node *n = pgs_plan_parse_one(a, first->stand_in ? first->stand_in : first->sql);
	if (!n)
		return leading_words(a, st->steps[0].sql);
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		return "create_index";
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return n->drop_stmt->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX
			   ? "drop_index"
		       : n->drop_stmt->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE
			   ? "drop_table"
			   : "drop";
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		return "create_table";
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		if (n->alter_table_stmt->n_cmds)
			return alter_slug(n->alter_table_stmt->cmds[0]->alter_table_cmd);
		return "alter_table";
	default:
		return leading_words(a, st->steps[0].sql);
	}
}

/* ---- contents ---- */

struct buf {
	char *data;
	size_t len;
	FILE *f;
};

static void buf_open(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->f = open_memstream(&b->data, &b->len);
	if (!b->f)
		abort(); /* out of memory, as pgs_xmalloc treats it */
}

/* The text in the arena; the stream is closed. */
static const char *buf_close(struct buf *b, struct pgs_arena *a)
{
	fclose(b->f);
	const char *s = pgs_arena_strndup(a, b->data, b->len);
	free(b->data);
	return s;
}

/* goose splits at lines ending in ";": a statement holding one is wrapped. */
static void put_sql(FILE *f, const char *sql, enum pgs_tool layout)
{
	if (layout == PGS_TOOL_GOOSE && strchr(sql, ';'))
		fprintf(f, "-- +goose StatementBegin\n%s;\n-- +goose StatementEnd\n", sql);
	else
		fprintf(f, "%s;\n", sql);
}

/*
 * Outside a transaction, goose and flyway run statement by statement, so a
 * SET before the statement holds for it (a short lock_timeout would leave
 * an INVALID index behind). dbmate and golang-migrate send the file as one
 * query: a SET there would make it a transaction block, so it holds the one
 * statement alone.
 */
static bool session_set_allowed(enum pgs_tool layout)
{
	return layout == PGS_TOOL_GOOSE || layout == PGS_TOOL_FLYWAY;
}

/*
 * A file the tool runs again after it failed: a CONCURRENTLY build that
 * failed left an INVALID index, which IF NOT EXISTS would take for built.
 * Where the tool runs statements one by one, the file drops it first (only
 * when the index can't have existed before: see pgs_plan_stage.reset) and
 * checks the new one; where the file must be one statement, it says how.
 */
static void put_recovery(FILE *f, const struct pgs_plan_stage *st, enum pgs_tool layout,
			 bool before)
{
	if (st->kind == PGS_STAGE_TRANSACTIONAL)
		return;
	if (session_set_allowed(layout)) {
		if (before && st->reset)
			put_sql(f, st->reset, layout);
		if (!before && st->verify)
			put_sql(f, st->verify, layout);
		return;
	}
	if (!before)
		return;
	if (st->cleanup)
		pgs_plan_comment(f,
				 "if this migration fails, it may leave an INVALID index: %s%s; then "
				 "apply it again",
			st->reset ? "drop it with " : "find it with: ",
			st->reset ? st->reset : st->cleanup);
	if (st->kind == PGS_STAGE_BACKFILL)
		fputs("-- the connection's statement_timeout applies to the whole backfill: set it "
		      "to "
		      "0 for this migration (PGOPTIONS='-c statement_timeout=0'); if it is cut, "
		      "apply it again: it goes on where it stopped\n",
		      f);
}

static void put_up(FILE *f, const struct pgs_plan_stage *st, enum pgs_tool layout)
{
	bool txn = st->kind == PGS_STAGE_TRANSACTIONAL;

	if (txn && layout == PGS_TOOL_GOLANG_MIGRATE)
		fputs("BEGIN;\n", f);
	if (txn)
		pgs_plan_render_timeouts(f, st, true);
	else if (session_set_allowed(layout))
		pgs_plan_render_timeouts(f, st, false);
	put_recovery(f, st, layout, true);
	for (size_t k = 0; k < st->n_steps; k++) {
		const struct pgs_plan_step *step = &st->steps[k];
		if (!step->verbatim)
			pgs_plan_comment(f, "from %s:%u", step->path, step->line);
		put_sql(f, step->sql, layout);
	}
	put_recovery(f, st, layout, false);
	if (txn && layout == PGS_TOOL_GOLANG_MIGRATE)
		fputs("COMMIT;\n", f);
}

static void put_down(FILE *f, const struct pgs_plan_stage *st, const struct pgs_down *down,
		     enum pgs_tool layout)
{
	bool txn = st->kind == PGS_STAGE_TRANSACTIONAL && down->n_sql > 0;

	if (txn && layout == PGS_TOOL_GOLANG_MIGRATE)
		fputs("BEGIN;\n", f);
	if (txn)
		pgs_plan_render_timeouts(f, st, true);
	else if (down->n_sql > 0 && session_set_allowed(layout))
		fputs("SET lock_timeout = 0;\nSET statement_timeout = 0;\n", f);
	for (size_t k = 0; k < down->n; k++) {
		if (down->steps[k].comment)
			pgs_plan_comment(f, "%s", down->steps[k].comment);
		if (down->steps[k].sql)
			put_sql(f, down->steps[k].sql, layout);
	}
	if (txn && layout == PGS_TOOL_GOLANG_MIGRATE)
		fputs("COMMIT;\n", f);
}

/* The plan's notes (statements that stay unsafe) head the first file. */
static void put_notes(FILE *f, const struct pgs_plan *plan, bool first)
{
	for (size_t i = 0; first && i < plan->n_notes; i++)
		pgs_plan_comment(f, "note: %s", plan->notes[i]);
}

static void add(struct pgs_plan_files *out, struct pgs_arena *a, const char *name, const char *text,
		size_t phase, size_t stage)
{
	struct pgs_plan_file *file =
	    pgs_arena_push(a, (void **)&out->items, &out->n, &out->cap, sizeof(*file));
	file->name = name;
	file->text = text;
	file->phase = phase;
	file->stage = stage;
}

/* SQL true while neither stage i nor a later one shows it ran; NULL when none can show it. */
static const char *not_done_since(struct pgs_arena *a, const struct pgs_plan *plan, size_t i)
{
	const char *done = NULL;

	for (size_t k = i; k < plan->n_stages; k++)
		if (plan->stages[k].marker)
			done = pgs_guard_or(a, done, plan->stages[k].marker);
	return done ? pgs_guard_not(a, done) : NULL;
}

/* Whether stage i or a later one records itself (its marker reads pgstage_progress). */
static bool records_since(const struct pgs_plan *plan, size_t i)
{
	for (size_t k = i; k < plan->n_stages; k++)
		if (plan->stages[k].record)
			return true;
	return false;
}

struct target {
	const char *dir;  /* "phase-2/" or "" */
	const char *name; /* without extension: "00043_add_token_2_backfill" */
	size_t phase, stage;
	bool first; /* the plan's first file */
};

static int stage_files(struct pgs_plan_files *out, struct pgs_arena *a, const struct pgs_plan *plan,
		       enum pgs_tool layout, const struct target *t, struct pgs_error *err)
{
	const struct pgs_plan_stage *st = &plan->stages[t->stage];
	bool txn = st->kind == PGS_STAGE_TRANSACTIONAL;
	struct pgs_down down = {0};
	struct buf b;

	if ((layout == PGS_TOOL_GOOSE || layout == PGS_TOOL_DBMATE ||
	     layout == PGS_TOOL_GOLANG_MIGRATE || layout == PGS_TOOL_DIESEL ||
	     layout == PGS_TOOL_SQLX) &&
	    pgs_plan_down(&down, a, plan, t->stage, err) < 0)
		return -1;
	buf_open(&b);
	/* sqlx reads its marker from the file's first bytes only */
	if (layout == PGS_TOOL_SQLX && !txn)
		fputs("-- no-transaction\n", b.f);
	put_notes(b.f, plan, t->first);
	switch (layout) {
	case PGS_TOOL_GOOSE:
		pgs_plan_render_stage_header(b.f, plan, t->stage);
		if (!txn)
			fputs("-- +goose NO TRANSACTION\n", b.f);
		fputs("-- +goose Up\n", b.f);
		put_up(b.f, st, layout);
		fputs("\n-- +goose Down\n", b.f);
		put_down(b.f, st, &down, layout);
		break;
	case PGS_TOOL_DBMATE:
		pgs_plan_render_stage_header(b.f, plan, t->stage);
		fprintf(b.f, "-- migrate:up%s\n", txn ? "" : " transaction:false");
		put_up(b.f, st, layout);
		fprintf(b.f, "\n-- migrate:down%s\n",
			st->kind == PGS_STAGE_NON_TRANSACTIONAL && down.n_sql ? " transaction:false"
									      : "");
		put_down(b.f, st, &down, layout);
		break;
	case PGS_TOOL_GOLANG_MIGRATE:
	case PGS_TOOL_FLYWAY:
	case PGS_TOOL_DIESEL:
	case PGS_TOOL_SQLX:
		pgs_plan_render_stage_header(b.f, plan, t->stage);
		put_up(b.f, st, layout);
		break;
	default:
		/* psql runs it: the stage as the one script has it, skipped when it or
		 * a later stage's marker shows it ran */
		pgs_plan_render_preamble(b.f, plan);
		if (records_since(plan, t->stage))
			pgs_plan_render_progress_table(b.f);
		pgs_plan_render_guarded(b.f, plan, t->stage, not_done_since(a, plan, t->stage));
		break;
	}
	const char *text = buf_close(&b, a);
	if (layout == PGS_TOOL_GOLANG_MIGRATE) {
		add(out, a, pgs_arena_printf(a, "%s%s.up.sql", t->dir, t->name), text, t->phase,
		    t->stage);
		buf_open(&b);
		pgs_plan_comment(b.f, "undoes %s.up.sql, in reverse order", t->name);
		pgs_plan_render_stage_header(b.f, plan, t->stage);
		put_down(b.f, st, &down, layout);
		add(out, a, pgs_arena_printf(a, "%s%s.down.sql", t->dir, t->name), buf_close(&b, a),
		    t->phase, t->stage);
	} else if (layout == PGS_TOOL_DIESEL || layout == PGS_TOOL_SQLX) {
		bool diesel = layout == PGS_TOOL_DIESEL;
		add(out, a,
		    pgs_arena_printf(a, "%s%s%s", t->dir, t->name, diesel ? "/up.sql" : ".up.sql"),
		    text, t->phase, t->stage);
		buf_open(&b);
		if (!diesel && !txn)
			fputs("-- no-transaction\n", b.f);
		pgs_plan_comment(b.f, "undoes %s, in reverse order",
				 diesel ? "up.sql" : pgs_arena_printf(a, "%s.up.sql", t->name));
		pgs_plan_render_stage_header(b.f, plan, t->stage);
		put_down(b.f, st, &down, layout);
		add(out, a,
		    pgs_arena_printf(a, "%s%s%s", t->dir, t->name, diesel ? "/down.sql" : ".down.sql"),
		    buf_close(&b, a), t->phase, t->stage);
		/* diesel: the directory's metadata.toml decides for both up.sql and down.sql */
		if (diesel && !txn)
			add(out, a, pgs_arena_printf(a, "%s%s/metadata.toml", t->dir, t->name),
			    "run_in_transaction = false\n", t->phase, t->stage);
	} else if (layout == PGS_TOOL_FLYWAY) {
		const char *script = pgs_arena_printf(a, "%sV%s.sql", t->dir, t->name);
		add(out, a, script, text, t->phase, t->stage);
		if (!txn)
			add(out, a, pgs_arena_printf(a, "%s.conf", script),
			    "executeInTransaction=false\n", t->phase, t->stage);
	} else {
		add(out, a, pgs_arena_printf(a, "%s%s.sql", t->dir, t->name), text, t->phase,
		    t->stage);
	}
	return 0;
}

int pgs_plan_files(struct pgs_plan_files *out, struct pgs_arena *arena, const struct pgs_plan *plan,
		   enum pgs_tool layout, const char *first_path, struct pgs_error *err)
{
	size_t n_files, phase = 1, in_phase = 0;

	memset(out, 0, sizeof(*out));
	size_t checkpoints = pgs_plan_count_checkpoints(plan);
	out->phased = checkpoints > 0;
	n_files = plan->n_stages - checkpoints;
	struct numbering num = numbering(arena, first_path, n_files);
	for (size_t i = 0; i < plan->n_stages; i++) {
		const struct pgs_plan_stage *st = &plan->stages[i];
		if (st->kind == PGS_STAGE_CHECKPOINT) {
			/* an empty phase is not made: the next files keep its number */
			if (in_phase) {
				phase++;
				in_phase = 0;
			}
			add(out, arena, NULL,
			    st->why ? st->why : "application code must be deployed before going on",
			    phase, i);
			continue;
		}
		const char *version = pgs_arena_printf(arena, "%0*llu", num.width, num.next++);
		struct target t = {
		    .dir = out->phased ? pgs_arena_printf(arena, "phase-%zu/", phase) : "",
		    /* flyway: V<version>__<description>; the others: <version>_<name> */
		    .name = pgs_arena_printf(
			arena, "%s%s_%s_%zu_%s", version, layout == PGS_TOOL_FLYWAY ? "_" : "",
			stem(arena, st->steps[0].path), i + 1, slug(arena, st)),
		    .phase = phase,
		    .stage = i,
		    .first = in_phase == 0 && phase == 1,
		};
		if (stage_files(out, arena, plan, layout, &t, err) < 0)
			return -1;
		in_phase++;
	}
	return 0;
}

void pgs_plan_files_list(FILE *out, const struct pgs_plan_files *files, const struct pgs_plan *plan,
			 const char *dir)
{
	const char *sep = *dir && dir[strlen(dir) - 1] == '/' ? "" : "/";

	for (size_t i = 0; i < plan->n_notes; i++)
		pgs_plan_print_line(out, "note: %s", plan->notes[i]);
	if (files->n == 0)
		fprintf(out, "no stages: no file written\n");
	for (size_t i = 0; i < files->n; i++) {
		const struct pgs_plan_file *f = &files->items[i];
		if (f->name) {
			pgs_plan_print_line(out, "%s%s%s", dir, sep, f->name);
			continue;
		}
		pgs_plan_print_line(out, "checkpoint (stage %zu/%zu): %s", f->stage + 1,
				    plan->n_stages, f->text);
		bool more = false;
		for (size_t k = i + 1; k < files->n; k++)
			more = more || files->items[k].name;
		if (more)
			pgs_plan_print_line(out, "  deploy the application change, then apply %s%sphase-%zu/",
					    dir, sep, f->phase);
		else
			fprintf(out, "  deploy the application change; no file follows\n");
	}
}

/* ---- writing ---- */

/*
 * What a write has made so far, so that a failure takes it all back: the
 * directories it created (parents first), each file's temporary copy
 * (NULL once placed, or for a checkpoint), the files put in place.
 */
struct made {
	char **dirs;
	size_t n_dirs;
	char **temps;
	char **placed;
	size_t n_placed;
};

static void undo(struct made *m, size_t n_files)
{
	for (size_t i = m->n_placed; i-- > 0;)
		unlink(m->placed[i]);
	for (size_t i = 0; i < n_files; i++)
		if (m->temps[i])
			unlink(m->temps[i]);
	for (size_t i = m->n_dirs; i-- > 0;)
		rmdir(m->dirs[i]);
}

static void made_free(struct made *m, size_t n_files)
{
	for (size_t i = 0; i < n_files; i++)
		free(m->temps[i]);
	for (size_t i = 0; i < m->n_placed; i++)
		free(m->placed[i]);
	for (size_t i = 0; i < m->n_dirs; i++)
		free(m->dirs[i]);
	free(m->temps);
	free(m->placed);
	free(m->dirs);
}

/* mkdir path, remembered when it is new; an existing one must be a directory. */
static int make_dir(struct made *m, const char *path, bool follow, struct pgs_error *err)
{
	struct stat sb;

	if (mkdir(path, 0777) == 0) {
		m->dirs = pgs_xrealloc(m->dirs, (m->n_dirs + 1) * sizeof(*m->dirs));
		m->dirs[m->n_dirs++] = pgs_xstrdup(path);
		return 0;
	}
	if (errno != EEXIST)
		return pgs_error_set(err, "cannot create directory %s: %s", path, strerror(errno));
	if ((follow ? stat(path, &sb) : lstat(path, &sb)) < 0 || !S_ISDIR(sb.st_mode))
		return pgs_error_set(err, "%s is not a directory", path);
	return 0;
}

/* mkdir -p dir: the user's -o DIR, whose parts may be symbolic links. */
static int make_dirs(struct made *m, const char *dir, struct pgs_error *err)
{
	if (!*dir)
		return pgs_error_set(err, "the output directory is an empty path");
	char *p = pgs_xstrdup(dir);
	int rc = 0;

	for (char *s = p + 1; rc == 0; s++) {
		bool end = *s == 0;
		if (*s != '/' && !end)
			continue;
		*s = 0;
		rc = make_dir(m, p, true, err);
		if (end)
			break;
		*s = '/';
		while (s[1] == '/')
			s++;
	}
	free(p);
	return rc;
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = pgs_xmalloc(n);
	bool slash = *dir && dir[strlen(dir) - 1] == '/';

	snprintf(p, n, "%s%s%s", dir, slash ? "" : "/", name);
	return p;
}

/*
 * The k-th directory (from 0) of DIR that a file's name goes through
 * ("DIR/phase-2", then "DIR/phase-2/0042_x" for diesel), or NULL past the last.
 */
static char *sub_dir(const char *path, const char *name, size_t k)
{
	const char *slash = name;

	for (size_t i = 0; i <= k; i++) {
		slash = strchr(slash, '/');
		if (!slash)
			return NULL;
		slash++;
	}
	size_t tail = strlen(slash - 1); /* "/rest" of the name */
	return strndup(path, strlen(path) - tail);
}

/*
 * Before anything is made: no file exists, and each phase directory is
 * missing or a real directory (one that is a symbolic link is not written
 * through, like a file that is one is not overwritten).
 */
static int check_targets(const struct pgs_plan_files *files, const char *dir,
			 struct pgs_error *err)
{
	struct stat sb;
	int rc = 0;

	for (size_t i = 0; i < files->n && rc == 0; i++) {
		if (!files->items[i].name)
			continue;
		char *path = join(dir, files->items[i].name);
		char *sub;
		for (size_t k = 0; rc == 0 && (sub = sub_dir(path, files->items[i].name, k)); k++) {
			if (lstat(sub, &sb) == 0 && S_ISLNK(sb.st_mode))
				rc = pgs_error_set(err,
						   "%s is a symbolic link: pgstage plan writes only into "
						   "directories of DIR itself (remove it or choose another -o "
						   "DIR)",
						   sub);
			else if (lstat(sub, &sb) == 0 && !S_ISDIR(sb.st_mode))
				rc = pgs_error_set(err, "%s is not a directory", sub);
			free(sub);
		}
		if (rc == 0 && lstat(path, &sb) == 0)
			rc = pgs_error_set(err,
					   "%s exists: pgstage plan never overwrites a file (move it "
					   "away or choose another -o DIR)",
					   path);
		free(path);
	}
	return rc;
}

int pgs_plan_files_write(const struct pgs_plan_files *files, const char *dir,
			 struct pgs_error *err)
{
	struct made m = {0};
	char **paths = calloc(files->n + 1, sizeof(*paths));
	int rc = check_targets(files, dir, err);

	m.temps = calloc(files->n + 1, sizeof(*m.temps));
	m.placed = calloc(files->n + 1, sizeof(*m.placed));
	if (!paths || !m.temps || !m.placed)
		abort(); /* out of memory, as pgs_xmalloc treats it */
	if (rc == 0)
		rc = make_dirs(&m, dir, err);
	/* every file written in full under a temporary name ... */
	for (size_t i = 0; i < files->n && rc == 0; i++) {
		const struct pgs_plan_file *f = &files->items[i];
		if (!f->name)
			continue;
		paths[i] = join(dir, f->name);
		char *sub;
		for (size_t k = 0; rc == 0 && (sub = sub_dir(paths[i], f->name, k)); k++) {
			rc = make_dir(&m, sub, false, err);
			free(sub);
		}
		if (rc == 0 &&
		    !(m.temps[i] = pgs_write_temp(paths[i], f->text, PGS_WRITE_NEW_FILE, err)))
			rc = -1;
	}
	/* ... before any takes its name */
	for (size_t i = 0; i < files->n && rc == 0; i++) {
		if (!m.temps[i])
			continue;
		rc = pgs_write_place_new(m.temps[i], paths[i], err);
		if (rc == 0) {
			free(m.temps[i]);
			m.temps[i] = NULL;
			m.placed[m.n_placed++] = pgs_xstrdup(paths[i]);
		}
	}
	if (rc < 0)
		undo(&m, files->n);
	made_free(&m, files->n);
	for (size_t i = 0; i < files->n; i++)
		free(paths[i]);
	free(paths);
	return rc;
}
