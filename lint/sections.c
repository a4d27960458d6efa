#include "lint/sections.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char *const tool_names[] = {
	[PGS_TOOL_AUTO] = "auto",
	[PGS_TOOL_PLAIN] = "plain",
	[PGS_TOOL_GOOSE] = "goose",
	[PGS_TOOL_DBMATE] = "dbmate",
	[PGS_TOOL_GOLANG_MIGRATE] = "golang-migrate",
	[PGS_TOOL_FLYWAY] = "flyway",
	[PGS_TOOL_DIESEL] = "diesel",
	[PGS_TOOL_SQLX] = "sqlx",
	[PGS_TOOL_REFINERY] = "refinery",
	[PGS_TOOL_DRIZZLE] = "drizzle",
	[PGS_TOOL_PRISMA] = "prisma",
	[PGS_TOOL_SQITCH] = "sqitch",
};

/*
 * Where each tool's rules come from (read 2026-12-05):
 *
 * diesel    diesel_migrations/src/file_based_migrations.rs: a migration is a
 *           directory <version>_<name> holding up.sql (and down.sql), run with
 *           batch_execute (one simple-query message); migration_harness runs
 *           each in its own transaction unless metadata.toml says
 *           run_in_transaction = false. migrations_internals' TomlMetadata
 *           defaults the key to false when a metadata.toml lacks it (serde
 *           default), true when there is no metadata.toml.
 * sqlx      sqlx-core/src/migrate/source.rs: <version>_<description>.sql, or
 *           .up.sql / .down.sql (reversible); no_tx = the file starts with
 *           "-- no-transaction" (its first bytes). sqlx-postgres/src/migrate.rs:
 *           the file is executed as one query (simple protocol), inside
 *           BEGIN ... COMMIT unless no_tx.
 * refinery  refinery_core/src/util.rs: [U|V]<version>__<name>.sql, U being
 *           "unversioned" (applied going up, not an undo script); a line
 *           "-- refinery:noTransaction" opts out of the transaction.
 *           drivers/postgres.rs: batch_execute in a transaction per migration,
 *           or alone (one simple-query message) when opted out.
 * drizzle   drizzle-orm/src/migrator.ts readMigrationFiles: the journal
 *           meta/_journal.json lists the files in order, each split at
 *           "--> statement-breakpoint"; pg-core/dialect.ts migrate(): every
 *           pending migration's statements in one transaction (so several
 *           files share it). No down migrations.
 * prisma    migrations/<timestamp>_<name>/migration.sql, applied by
 *           migrate deploy as one script, not wrapped in a transaction
 *           (prisma/prisma discussion 3774); a script of several statements is
 *           one simple-query message, so implicitly one transaction (why a
 *           CREATE INDEX CONCURRENTLY must be alone in its migration,
 *           prisma/prisma discussion 10601). No down migrations.
 * sqitch    App/Sqitch/Engine/pg.pm run_file: psql --file with ON_ERROR_STOP,
 *           no --single-transaction: the scripts' own BEGIN / COMMIT make the
 *           transactions, as for plain files. deploy/<change>.sql is up,
 *           revert/<change>.sql down, verify/ only checks.
 */

const char *pgs_path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

bool pgs_path_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

const char *pgs_tool_name(enum pgs_tool tool)
{
	return tool_names[tool];
}

int pgs_tool_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(tool_names) / sizeof(tool_names[0]); i++)
		if (strcmp(name, tool_names[i]) == 0)
			return (int)i;
	return -1;
}


bool pgs_tool_has_layout(enum pgs_tool tool)
{
	return tool == PGS_TOOL_PLAIN || tool == PGS_TOOL_GOOSE || tool == PGS_TOOL_DBMATE ||
	       tool == PGS_TOOL_GOLANG_MIGRATE || tool == PGS_TOOL_FLYWAY ||
	       tool == PGS_TOOL_DIESEL || tool == PGS_TOOL_SQLX;
}

/* flyway names: V<version>__<desc>.sql, U<version>__<desc>.sql, R__<desc>.sql */
static bool is_flyway_name(const char *base, char *kind)
{
	if ((base[0] == 'R') && base[1] == '_' && base[2] == '_') {
		*kind = 'R';
		return true;
	}
	if ((base[0] == 'V' || base[0] == 'U') && isdigit((unsigned char)base[1])) {
		const char *p = base + 1;

		while (isdigit((unsigned char)*p) || *p == '.' || (*p == '_' && p[1] != '_'))
			p++;
		if (p[0] == '_' && p[1] == '_') {
			*kind = base[0];
			return true;
		}
	}
	return false;
}

/* One annotation line: "-- <tag>" after optional spaces; returns text after the tag. */
static const char *annotation(const char *line, const char *end, const char *tag)
{
	const char *p = line;
	size_t n = strlen(tag);

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (end - p < 2 || p[0] != '-' || p[1] != '-')
		return NULL;
	p += 2;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(end - p) < n || strncmp(p, tag, n) != 0)
		return NULL;
	return p + n;
}

static bool line_has_word(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);

	for (; p + n <= end; p++)
		if (strncmp(p, word, n) == 0)
			return true;
	return false;
}

/* The name of the directory a path is in ("x_y" of "a/x_y/up.sql"), or "" (length in *n). */
static const char *parent_name(const char *path, size_t *n)
{
	const char *base = pgs_path_base(path);

	*n = 0;
	if (base == path)
		return "";
	const char *end = base - 1, *start = end;
	while (start > path && start[-1] != '/')
		start--;
	*n = (size_t)(end - start);
	return start;
}

/* diesel: <version>_<name>/up.sql or down.sql, the version starting with a digit. */
static bool is_diesel_path(const char *path)
{
	const char *base = pgs_path_base(path);
	size_t n;
	const char *dir = parent_name(path, &n);

	return (strcmp(base, "up.sql") == 0 || strcmp(base, "down.sql") == 0) && n > 2 &&
	       isdigit((unsigned char)dir[0]) && memchr(dir, '_', n);
}

/* prisma: <timestamp>_<name>/migration.sql. */
static bool is_prisma_path(const char *path)
{
	size_t n, i = 0;
	const char *dir = parent_name(path, &n);

	if (strcmp(pgs_path_base(path), "migration.sql") != 0)
		return false;
	while (i < n && isdigit((unsigned char)dir[i]))
		i++;
	return i > 0 && i < n && dir[i] == '_';
}

/* sqlx and refinery: <digits>_<name>.sql (sqlx) or [UV]<digits>__<name>.sql (refinery). */
static bool is_sqlx_name(const char *base)
{
	size_t i = 0;

	while (isdigit((unsigned char)base[i]))
		i++;
	return i > 0 && base[i] == '_' && pgs_path_ends_with(base, ".sql");
}

static bool is_refinery_name(const char *base)
{
	size_t i = 1;

	if (base[0] != 'U' && base[0] != 'V')
		return false;
	while (isdigit((unsigned char)base[i]))
		i++;
	return i > 1 && base[i] == '_' && base[i + 1] == '_' && pgs_path_ends_with(base, ".sql");
}

/* sqlx: the file's first bytes are "-- no-transaction". */
static bool sqlx_no_txn(const char *text, size_t len)
{
	static const char marker[] = "-- no-transaction";

	return len >= sizeof(marker) - 1 && memcmp(text, marker, sizeof(marker) - 1) == 0;
}

/* refinery: a whole line "--" (or more dashes), an optional space, "refinery:noTransaction". */
static bool refinery_no_txn_line(const char *line, const char *eol)
{
	const char *p = line;
	static const char tag[] = "refinery:noTransaction";

	if (eol > line && eol[-1] == '\r')
		eol--;
	while (p < eol && *p == '-')
		p++;
	if (p - line < 2)
		return false;
	if (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	return (size_t)(eol - p) == sizeof(tag) - 1 && memcmp(p, tag, sizeof(tag) - 1) == 0;
}

/* drizzle: a line holding "--> statement-breakpoint". */
static bool drizzle_breakpoint_line(const char *line, const char *eol)
{
	static const char tag[] = "--> statement-breakpoint";
	size_t n = sizeof(tag) - 1;

	for (const char *p = line; p + n <= eol; p++)
		if (memcmp(p, tag, n) == 0)
			return true;
	return false;
}

enum pgs_tool pgs_tool_detect(const char *path, const char *text, size_t len,
			      const struct pgs_tool_hints *hints)
{
	static const struct pgs_tool_hints none = {0};
	const char *base = pgs_path_base(path);
	const char *end = text + len;
	bool breakpoints = false, refinery_no_txn = false;
	char kind;

	if (!hints)
		hints = &none;
	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;

		if (annotation(line, eol, "+goose "))
			return PGS_TOOL_GOOSE;
		if (annotation(line, eol, "migrate:up") || annotation(line, eol, "migrate:down"))
			return PGS_TOOL_DBMATE;
		breakpoints = breakpoints || drizzle_breakpoint_line(line, eol);
		refinery_no_txn = refinery_no_txn || refinery_no_txn_line(line, eol);
		line = nl ? nl + 1 : end;
	}
	if (is_diesel_path(path))
		return PGS_TOOL_DIESEL;
	if (is_prisma_path(path))
		return PGS_TOOL_PRISMA;
	if (hints->sqitch)
		return PGS_TOOL_SQITCH;
	if (breakpoints || hints->drizzle_journal)
		return PGS_TOOL_DRIZZLE;
	if (is_sqlx_name(base) && (sqlx_no_txn(text, len) || hints->cargo_sqlx))
		return PGS_TOOL_SQLX;
	if (is_refinery_name(base) && (refinery_no_txn || hints->cargo_refinery))
		return PGS_TOOL_REFINERY;
	if (pgs_path_ends_with(base, ".up.sql") || pgs_path_ends_with(base, ".down.sql"))
		return PGS_TOOL_GOLANG_MIGRATE;
	if (is_flyway_name(base, &kind))
		return PGS_TOOL_FLYWAY;
	return PGS_TOOL_PLAIN;
}

bool pgs_tool_down_file(enum pgs_tool tool, const char *path)
{
	const char *base = pgs_path_base(path);
	size_t n;
	const char *dir;
	char kind = 0;

	switch (tool) {
	case PGS_TOOL_GOLANG_MIGRATE:
	case PGS_TOOL_SQLX:
		return pgs_path_ends_with(base, ".down.sql");
	case PGS_TOOL_FLYWAY:
		return is_flyway_name(base, &kind) && kind == 'U';
	case PGS_TOOL_DIESEL:
		return strcmp(base, "down.sql") == 0;
	case PGS_TOOL_SQITCH:
		dir = parent_name(path, &n);
		return n == 6 && memcmp(dir, "revert", 6) == 0;
	default:
		return false;
	}
}

/* Whether any line of the text is refinery's opt-out annotation. */
static bool refinery_no_txn(const struct pgs_source *src)
{
	const char *end = src->text + src->len;

	for (const char *line = src->text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		if (refinery_no_txn_line(line, nl ? nl : end))
			return true;
		line = nl ? nl + 1 : end;
	}
	return false;
}

static void add_part(struct pgs_arena *arena, struct pgs_span **parts, size_t *n, size_t *cap,
		     uint32_t start, uint32_t end)
{
	if (end <= start)
		return;
	struct pgs_span *s = pgs_arena_push(arena, (void **)parts, n, cap, sizeof(**parts));
	s->start = start;
	s->end = end;
}

/*
 * goose and dbmate: annotation lines switch between up and down. Text before
 * the first annotation belongs to neither.
 */
static void find_annotated(struct pgs_sections *out, struct pgs_arena *arena,
			   const struct pgs_source *src, bool goose)
{
	const char *text = src->text, *end = src->text + src->len;
	size_t cap_up = 0, cap_down = 0;
	int dir = -1; /* -1 none yet, else enum pgs_direction */
	uint32_t part_start = 0;
	bool seen = false;

	out->txn = PGS_TXN_WRAPPED;
	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;
		const char *rest;
		int next = -2;

		if (goose && (rest = annotation(line, eol, "+goose "))) {
			while (rest < eol && *rest == ' ')
				rest++;
			if (strncasecmp(rest, "Up", 2) == 0)
				next = PGS_DIR_UP;
			else if (strncasecmp(rest, "Down", 4) == 0)
				next = PGS_DIR_DOWN;
			else if (strncasecmp(rest, "NO TRANSACTION", 14) == 0)
				out->txn = PGS_TXN_NONE;
		} else if (!goose && (rest = annotation(line, eol, "migrate:up"))) {
			next = PGS_DIR_UP;
			if (dir != PGS_DIR_DOWN && line_has_word(rest, eol, "transaction:false"))
				out->txn = PGS_TXN_NONE;
		} else if (!goose && (rest = annotation(line, eol, "migrate:down"))) {
			next = PGS_DIR_DOWN;
		}
		if (next != -2) {
			uint32_t at = (uint32_t)(line - text);

			if (dir == PGS_DIR_UP)
				add_part(arena, &out->up, &out->n_up, &cap_up, part_start, at);
			else if (dir == PGS_DIR_DOWN)
				add_part(arena, &out->down, &out->n_down, &cap_down, part_start, at);
			dir = next;
			seen = true;
			part_start = (uint32_t)((nl ? nl + 1 : end) - text);
		}
		line = nl ? nl + 1 : end;
	}
	if (dir == PGS_DIR_UP)
		add_part(arena, &out->up, &out->n_up, &cap_up, part_start, src->len);
	else if (dir == PGS_DIR_DOWN)
		add_part(arena, &out->down, &out->n_down, &cap_down, part_start, src->len);
	if (!seen) {
		out->note = goose ? "no '-- +goose Up' annotation: the whole file is treated as up"
				  : "no '-- migrate:up' annotation: the whole file is treated as up";
		add_part(arena, &out->up, &out->n_up, &cap_up, 0, src->len);
	}
}

void pgs_sections_find(struct pgs_sections *out, struct pgs_arena *arena,
		       const struct pgs_source *src, enum pgs_tool tool,
		       const struct pgs_tool_hints *hints)
{
	static const struct pgs_tool_hints none = {0};
	size_t cap = 0;

	if (!hints)
		hints = &none;
	memset(out, 0, sizeof(*out));
	if (tool == PGS_TOOL_AUTO)
		tool = pgs_tool_detect(src->path, src->text, src->len, hints);
	out->tool = tool;
	out->file_direction = pgs_tool_down_file(tool, src->path) ? PGS_DIR_DOWN : PGS_DIR_UP;
	switch (tool) {
	case PGS_TOOL_GOOSE:
	case PGS_TOOL_DBMATE:
		find_annotated(out, arena, src, tool == PGS_TOOL_GOOSE);
		return;
	case PGS_TOOL_GOLANG_MIGRATE:
	case PGS_TOOL_PRISMA:
		out->txn = PGS_TXN_MULTI_STATEMENT;
		break;
	case PGS_TOOL_FLYWAY:
		out->txn = hints->flyway_no_txn ? PGS_TXN_NONE : PGS_TXN_WRAPPED;
		break;
	case PGS_TOOL_DIESEL:
		/* no metadata.toml: in a transaction; one without the key: not (serde's default) */
		out->txn = !hints->diesel_metadata || hints->diesel_in_txn ? PGS_TXN_WRAPPED
									   : PGS_TXN_MULTI_STATEMENT;
		break;
	case PGS_TOOL_SQLX:
		out->txn = sqlx_no_txn(src->text, src->len) ? PGS_TXN_MULTI_STATEMENT : PGS_TXN_WRAPPED;
		break;
	case PGS_TOOL_REFINERY:
		out->txn = refinery_no_txn(src) ? PGS_TXN_MULTI_STATEMENT : PGS_TXN_WRAPPED;
		break;
	case PGS_TOOL_DRIZZLE:
		out->txn = PGS_TXN_WRAPPED;
		break;
	case PGS_TOOL_AUTO:
	case PGS_TOOL_PLAIN:
	case PGS_TOOL_SQITCH:
		out->txn = PGS_TXN_NONE;
		break;
	}
	if (out->file_direction == PGS_DIR_DOWN)
		add_part(arena, &out->down, &out->n_down, &cap, 0, src->len);
	else
		add_part(arena, &out->up, &out->n_up, &cap, 0, src->len);
}

const char *pgs_sections_mask(const struct pgs_source *src, struct pgs_arena *arena,
			      const struct pgs_span *parts, size_t n_parts)
{
	if (n_parts == 1 && parts[0].start == 0 && parts[0].end == src->len && !src->bom)
		return src->text;

	char *masked = pgs_arena_alloc(arena, (size_t)src->len + 1);
	size_t k = 0;

	for (uint32_t i = 0; i < src->len; i++) {
		while (k < n_parts && parts[k].end <= i)
			k++;
		bool keep = k < n_parts && parts[k].start <= i && i >= src->bom;

		masked[i] = keep || src->text[i] == '\n' ? src->text[i] : ' ';
	}
	return masked;
}
