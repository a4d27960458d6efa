/*
 * sections: what a migration tool's conventions say about one file: which
 * parts are the "up" migration (the part applied, and linted by default),
 * which are "down", and whether the tool runs the file in a transaction.
 */
#ifndef PGS_SECTIONS_H
#define PGS_SECTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/source.h"

enum pgs_tool {
	PGS_TOOL_AUTO,
	PGS_TOOL_PLAIN,
	PGS_TOOL_GOOSE,
	PGS_TOOL_DBMATE,
	PGS_TOOL_GOLANG_MIGRATE,
	PGS_TOOL_FLYWAY,
	PGS_TOOL_DIESEL,
	PGS_TOOL_SQLX,
	PGS_TOOL_REFINERY,
	PGS_TOOL_DRIZZLE,
	PGS_TOOL_PRISMA,
	PGS_TOOL_SQITCH,
};

/* The last tool, for loops over all of them. */
#define PGS_TOOL_LAST PGS_TOOL_SQITCH

/* How the tool runs a file's statements. */
enum pgs_tool_txn {
	PGS_TXN_NONE,           /* statement by statement, autocommit (psql, goose NO TRANSACTION) */
	PGS_TXN_WRAPPED,        /* the whole part in one transaction (goose, dbmate, flyway, diesel,
				 * sqlx, refinery, drizzle) */
	PGS_TXN_MULTI_STATEMENT, /* one simple-query message: implicitly one transaction when it
				  * holds more than one statement (golang-migrate, prisma; diesel,
				  * sqlx and refinery files that opt out of their transaction) */
};

/*
 * What files beside a migration say about how its tool runs it
 * (lint/tool_files.c reads them); all false when there are none.
 */
struct pgs_tool_hints {
	bool flyway_no_txn;   /* flyway: <script>.conf says executeInTransaction=false */
	bool diesel_metadata; /* diesel: the migration directory has a metadata.toml ... */
	bool diesel_in_txn;   /* ... whose run_in_transaction is true */
	bool sqitch;          /* in deploy/, revert/ or verify/ beside a sqitch.plan */
	bool drizzle_journal; /* drizzle: meta/_journal.json beside the file */
	bool cargo_sqlx;      /* the nearest Cargo.toml above depends on sqlx ... */
	bool cargo_refinery;  /* ... or on refinery */
};

enum pgs_direction { PGS_DIR_UP, PGS_DIR_DOWN };

struct pgs_sections {
	enum pgs_tool tool;         /* never AUTO once detected */
	enum pgs_tool_txn txn;
	enum pgs_direction file_direction; /* for tools that split by file name */
	struct pgs_span *up, *down; /* parts of the text, in order */
	size_t n_up, n_down;
	const char *note;           /* e.g. a goose file without annotations; may be NULL */
};

/* The file name part of a path. */
const char *pgs_path_base(const char *path);

/* Whether s ends with suffix (file name conventions: ".up.sql", ...). */
bool pgs_path_ends_with(const char *s, const char *suffix);

/* Tool name for messages and options ("goose", "golang-migrate", ...). */
const char *pgs_tool_name(enum pgs_tool tool);

/* Parse a tool name; -1 when unknown. */
int pgs_tool_parse(const char *name);

/*
 * Whether pgstage plan -o can write files in the tool's layout (plain,
 * goose, dbmate, golang-migrate, flyway, diesel, sqlx).
 */
bool pgs_tool_has_layout(enum pgs_tool tool);

/*
 * Guess the tool from a file's name, text and the files beside it (hints,
 * may be NULL): goose and dbmate annotations, diesel's <version>_<name>/up.sql,
 * prisma's <timestamp>_<name>/migration.sql, sqitch's deploy/ scripts,
 * drizzle's statement breakpoints or journal, sqlx's "-- no-transaction" (or a
 * Cargo.toml depending on sqlx), refinery's annotation (or Cargo.toml),
 * golang-migrate's NAME.up.sql / NAME.down.sql, flyway's V1__/U1__/R__ names;
 * plain otherwise.
 */
enum pgs_tool pgs_tool_detect(const char *path, const char *text, size_t len,
			      const struct pgs_tool_hints *hints);

/* Whether the file is a down migration by its name alone under tool (diesel's down.sql, ...). */
bool pgs_tool_down_file(enum pgs_tool tool, const char *path);

/*
 * Find the up and down parts of src under tool (AUTO detects). The spans are
 * allocated in the arena. hints (may be NULL): what files beside it say.
 */
void pgs_sections_find(struct pgs_sections *out, struct pgs_arena *arena,
		       const struct pgs_source *src, enum pgs_tool tool,
		       const struct pgs_tool_hints *hints);

/*
 * A copy of the text in which every byte outside the given parts is a space
 * (newlines kept), so the parser sees only those parts while every offset
 * still points into the original file. Returns src->text itself when the
 * parts cover the whole file.
 */
const char *pgs_sections_mask(const struct pgs_source *src, struct pgs_arena *arena,
			      const struct pgs_span *parts, size_t n_parts);

#endif
