/*
 * sections: which migration tool a file follows, its up and down parts, how
 * the tool runs it (transaction or not), and the masked text the parser sees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lint/sections.h"

struct fixture {
	struct pgs_arena arena;
	struct pgs_source src;
	struct pgs_sections sec;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	pgs_arena_init(&f->arena);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pgs_arena_release(&f->arena);
	free(f);
	return 0;
}

static const struct pgs_sections *find_with(struct fixture *f, const char *path,
					    const char *text, enum pgs_tool tool,
					    const struct pgs_tool_hints *hints)
{
	struct pgs_error err;

	if (pgs_source_from_memory(&f->src, &f->arena, path, text, strlen(text), &err) != 0)
		fail_msg("%s", err.message);
	pgs_sections_find(&f->sec, &f->arena, &f->src, tool, hints);
	return &f->sec;
}

static const struct pgs_sections *find(struct fixture *f, const char *path, const char *text,
				       enum pgs_tool tool, bool flyway_no_txn)
{
	struct pgs_tool_hints hints = {.flyway_no_txn = flyway_no_txn};

	return find_with(f, path, text, tool, &hints);
}

static uint32_t offset_of(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);

	if (!p)
		fail_msg("\"%s\" not in the text", needle);
	return (uint32_t)(p - text);
}

/* Offset just after the line holding needle (after its \n). */
static uint32_t after_line(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);

	if (!p)
		fail_msg("\"%s\" not in the text", needle);
	p = strchr(p, '\n');
	return p ? (uint32_t)(p + 1 - text) : (uint32_t)strlen(text);
}

#define assert_part(parts, i, want_start, want_end)                                                \
	do {                                                                                       \
		if ((parts)[i].start != (want_start) || (parts)[i].end != (want_end))              \
			fail_msg("part %d: [%u,%u), want [%u,%u)", (int)(i), (parts)[i].start,     \
				 (parts)[i].end, (unsigned)(want_start), (unsigned)(want_end));    \
	} while (0)

static void test_tool_names(void **state)
{
	(void)state;
	assert_string_equal(pgs_tool_name(PGS_TOOL_AUTO), "auto");
	assert_string_equal(pgs_tool_name(PGS_TOOL_PLAIN), "plain");
	assert_string_equal(pgs_tool_name(PGS_TOOL_GOOSE), "goose");
	assert_string_equal(pgs_tool_name(PGS_TOOL_DBMATE), "dbmate");
	assert_string_equal(pgs_tool_name(PGS_TOOL_GOLANG_MIGRATE), "golang-migrate");
	assert_string_equal(pgs_tool_name(PGS_TOOL_FLYWAY), "flyway");
	assert_string_equal(pgs_tool_name(PGS_TOOL_DIESEL), "diesel");
	assert_string_equal(pgs_tool_name(PGS_TOOL_SQLX), "sqlx");
	assert_string_equal(pgs_tool_name(PGS_TOOL_REFINERY), "refinery");
	assert_string_equal(pgs_tool_name(PGS_TOOL_DRIZZLE), "drizzle");
	assert_string_equal(pgs_tool_name(PGS_TOOL_PRISMA), "prisma");
	assert_string_equal(pgs_tool_name(PGS_TOOL_SQITCH), "sqitch");
	for (int t = PGS_TOOL_AUTO; t <= PGS_TOOL_LAST; t++)
		assert_int_equal(pgs_tool_parse(pgs_tool_name((enum pgs_tool)t)), t);
	assert_int_equal(pgs_tool_parse("Goose"), -1);
	assert_int_equal(pgs_tool_parse(""), -1);
	assert_int_equal(pgs_tool_parse("Diesel"), -1);
}

static enum pgs_tool detect(const char *path, const char *text)
{
	return pgs_tool_detect(path, text, strlen(text), NULL);
}

static void test_detect(void **state)
{
	(void)state;
	/* annotations */
	assert_int_equal(detect("001_a.sql", "-- +goose Up\nselect 1;\n"), PGS_TOOL_GOOSE);
	assert_int_equal(detect("x.sql", "select 0;\n  --   +goose Down\n"), PGS_TOOL_GOOSE);
	assert_int_equal(detect("x.sql", "-- migrate:up\nselect 1;\n"), PGS_TOOL_DBMATE);
	assert_int_equal(detect("x.sql", "\n-- migrate:down\n"), PGS_TOOL_DBMATE);
	/* annotations win over file names */
	assert_int_equal(detect("1_x.up.sql", "-- +goose Up\n"), PGS_TOOL_GOOSE);
	/* annotation-like text that is not an annotation line */
	assert_int_equal(detect("x.sql", "select '-- +goose Up';\n"), PGS_TOOL_PLAIN);
	/* golang-migrate */
	assert_int_equal(detect("1_x.up.sql", "select 1;"), PGS_TOOL_GOLANG_MIGRATE);
	assert_int_equal(detect("db/migrations/20240101_x.down.sql", ""), PGS_TOOL_GOLANG_MIGRATE);
	/* flyway */
	assert_int_equal(detect("V1__a.sql", "select 1;"), PGS_TOOL_FLYWAY);
	assert_int_equal(detect("sql/V1_2__b.sql", ""), PGS_TOOL_FLYWAY);
	assert_int_equal(detect("V1.2.3__b.sql", ""), PGS_TOOL_FLYWAY);
	assert_int_equal(detect("U3__c.sql", ""), PGS_TOOL_FLYWAY);
	assert_int_equal(detect("R__d.sql", ""), PGS_TOOL_FLYWAY);
	/* plain */
	assert_int_equal(detect("0001_init.sql", "create table t ();"), PGS_TOOL_PLAIN);
	assert_int_equal(detect("V1_a.sql", ""), PGS_TOOL_PLAIN);
	assert_int_equal(detect("Vx__a.sql", ""), PGS_TOOL_PLAIN);
	assert_int_equal(detect("R_d.sql", ""), PGS_TOOL_PLAIN);
	assert_int_equal(detect("schema.sql", ""), PGS_TOOL_PLAIN);
	assert_int_equal(detect("-", "select 1;"), PGS_TOOL_PLAIN);
}

static const char goose_text[] =
    "-- a header comment\n"
    "-- +goose Up\n"
    "-- +goose StatementBegin\n"
    "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
    "-- +goose StatementEnd\n"
    "CREATE TABLE t (id int);\n"
    "\n"
    "-- +goose Down\n"
    "DROP TABLE t;\n";

static void test_goose(void **state)
{
	struct fixture *f = *state;
	const struct pgs_sections *s = find(f, "1_a.sql", goose_text, PGS_TOOL_AUTO, false);

	assert_int_equal(s->tool, PGS_TOOL_GOOSE);
	assert_int_equal(s->txn, PGS_TXN_WRAPPED);
	assert_null(s->note);
	assert_int_equal(s->n_up, 1);
	assert_int_equal(s->n_down, 1);
	/* up starts after the "-- +goose Up" line and ends where Down's line starts */
	assert_part(s->up, 0, after_line(goose_text, "-- +goose Up"),
		    offset_of(goose_text, "-- +goose Down"));
	assert_part(s->down, 0, after_line(goose_text, "-- +goose Down"), strlen(goose_text));
	assert_int_equal(s->up[0].start, offset_of(goose_text, "-- +goose StatementBegin"));

	/* explicitly asking for goose gives the same */
	s = find(f, "1_a.sql", goose_text, PGS_TOOL_GOOSE, false);
	assert_int_equal(s->tool, PGS_TOOL_GOOSE);
	assert_int_equal(s->n_up, 1);
	assert_part(s->up, 0, after_line(goose_text, "-- +goose Up"),
		    offset_of(goose_text, "-- +goose Down"));
}

static void test_goose_several_parts(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "-- +goose Up\n"
				   "select 1;\n"
				   "-- +goose Down\n"
				   "select 2;\n"
				   "-- +goose Up\n"
				   "select 3;";
	const struct pgs_sections *s = find(f, "x.sql", text, PGS_TOOL_AUTO, false);

	assert_int_equal(s->n_up, 2);
	assert_int_equal(s->n_down, 1);
	assert_part(s->up, 0, 13, 23);
	assert_part(s->down, 0, 38, 48);
	assert_part(s->up, 1, 61, 70);
}

static void test_goose_no_transaction(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "-- +goose NO TRANSACTION\n"
				   "-- +goose Up\n"
				   "CREATE INDEX CONCURRENTLY i ON t (c);\n"
				   "-- +goose Down\n"
				   "DROP INDEX CONCURRENTLY i;\n";
	const struct pgs_sections *s = find(f, "2_b.sql", text, PGS_TOOL_AUTO, false);

	assert_int_equal(s->tool, PGS_TOOL_GOOSE);
	assert_int_equal(s->txn, PGS_TXN_NONE);
	assert_int_equal(s->n_up, 1);
	assert_part(s->up, 0, offset_of(text, "CREATE"), offset_of(text, "-- +goose Down"));
	assert_part(s->down, 0, offset_of(text, "DROP"), strlen(text));

	/* the annotation may come after Up too */
	static const char later[] = "-- +goose Up\n-- +goose NO TRANSACTION\nselect 1;\n";
	s = find(f, "3_c.sql", later, PGS_TOOL_AUTO, false);
	assert_int_equal(s->txn, PGS_TXN_NONE);
}

/* goose's annotations are case-insensitive ("-- +goose up" is documented). */
static void test_goose_lower_case(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "-- +goose no transaction\n"
				   "-- +goose up\n"
				   "create index concurrently i on t (c);\n"
				   "-- +goose down\n"
				   "drop index i;\n";

	const struct pgs_sections *s = find(f, "x.sql", text, PGS_TOOL_AUTO, false);
	assert_int_equal(s->tool, PGS_TOOL_GOOSE);
	assert_null(s->note);
	assert_int_equal(s->txn, PGS_TXN_NONE);
	assert_int_equal(s->n_up, 1);
	assert_int_equal(s->n_down, 1);
	assert_part(s->up, 0, offset_of(text, "create"), offset_of(text, "-- +goose down"));
}

static void test_goose_without_annotations(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "select 1;\n";
	const struct pgs_sections *s = find(f, "x.sql", text, PGS_TOOL_GOOSE, false);

	assert_int_equal(s->tool, PGS_TOOL_GOOSE);
	assert_non_null(s->note);
	assert_int_equal(s->n_up, 1);
	assert_int_equal(s->n_down, 0);
	assert_part(s->up, 0, 0, strlen(text));
}

static void test_dbmate(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "-- migrate:up\n"
				   "create table t (id int);\n"
				   "-- migrate:down\n"
				   "drop table t;\n";
	const struct pgs_sections *s = find(f, "20240101_a.sql", text, PGS_TOOL_AUTO, false);

	assert_int_equal(s->tool, PGS_TOOL_DBMATE);
	assert_int_equal(s->txn, PGS_TXN_WRAPPED);
	assert_null(s->note);
	assert_int_equal(s->n_up, 1);
	assert_int_equal(s->n_down, 1);
	assert_part(s->up, 0, 14, offset_of(text, "-- migrate:down"));
	assert_part(s->down, 0, after_line(text, "-- migrate:down"), strlen(text));

	static const char no_txn[] = "-- migrate:up transaction:false\n"
				     "create index concurrently i on t (id);\n"
				     "-- migrate:down\n"
				     "drop index i;\n";
	s = find(f, "20240102_b.sql", no_txn, PGS_TOOL_AUTO, false);
	assert_int_equal(s->tool, PGS_TOOL_DBMATE);
	assert_int_equal(s->txn, PGS_TXN_NONE);
	assert_part(s->up, 0, offset_of(no_txn, "create"), offset_of(no_txn, "-- migrate:down"));

	/* dbmate annotations are not goose's */
	s = find(f, "x.sql", "-- +goose Up\nselect 1;\n", PGS_TOOL_DBMATE, false);
	assert_int_equal(s->tool, PGS_TOOL_DBMATE);
	assert_non_null(s->note);
	assert_int_equal(s->n_up, 1);
	assert_part(s->up, 0, 0, 23);
}

static void test_golang_migrate(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "CREATE INDEX CONCURRENTLY i ON t (c);\n";
	const struct pgs_sections *s = find(f, "migrations/1_x.up.sql", text, PGS_TOOL_AUTO, false);

	assert_int_equal(s->tool, PGS_TOOL_GOLANG_MIGRATE);
	assert_int_equal(s->txn, PGS_TXN_MULTI_STATEMENT);
	assert_int_equal(s->file_direction, PGS_DIR_UP);
	assert_int_equal(s->n_up, 1);
	assert_int_equal(s->n_down, 0);
	assert_part(s->up, 0, 0, strlen(text));

	s = find(f, "migrations/1_x.down.sql", text, PGS_TOOL_AUTO, false);
	assert_int_equal(s->tool, PGS_TOOL_GOLANG_MIGRATE);
	assert_int_equal(s->txn, PGS_TXN_MULTI_STATEMENT);
	assert_int_equal(s->file_direction, PGS_DIR_DOWN);
	assert_int_equal(s->n_up, 0);
	assert_int_equal(s->n_down, 1);
	assert_part(s->down, 0, 0, strlen(text));
}

static void test_flyway(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "create table t (id int);\n";
	const struct pgs_sections *s = find(f, "db/V1__a.sql", text, PGS_TOOL_AUTO, false);

	assert_int_equal(s->tool, PGS_TOOL_FLYWAY);
	assert_int_equal(s->txn, PGS_TXN_WRAPPED);
	assert_int_equal(s->file_direction, PGS_DIR_UP);
	assert_int_equal(s->n_up, 1);
	assert_int_equal(s->n_down, 0);
	assert_part(s->up, 0, 0, strlen(text));

	s = find(f, "V1_2__b.sql", text, PGS_TOOL_AUTO, false);
	assert_int_equal(s->tool, PGS_TOOL_FLYWAY);
	assert_int_equal(s->file_direction, PGS_DIR_UP);

	s = find(f, "U3__c.sql", text, PGS_TOOL_AUTO, false);
	assert_int_equal(s->tool, PGS_TOOL_FLYWAY);
	assert_int_equal(s->txn, PGS_TXN_WRAPPED);
	assert_int_equal(s->file_direction, PGS_DIR_DOWN);
	assert_int_equal(s->n_up, 0);
	assert_int_equal(s->n_down, 1);
	assert_part(s->down, 0, 0, strlen(text));

	s = find(f, "R__d.sql", text, PGS_TOOL_AUTO, false);
	assert_int_equal(s->tool, PGS_TOOL_FLYWAY);
	assert_int_equal(s->file_direction, PGS_DIR_UP);
	assert_int_equal(s->n_up, 1);

	s = find(f, "V2__e.sql", text, PGS_TOOL_AUTO, true);
	assert_int_equal(s->tool, PGS_TOOL_FLYWAY);
	assert_int_equal(s->txn, PGS_TXN_NONE);
	assert_int_equal(s->n_up, 1);
}

static void test_plain(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "-- migrate is mentioned, goose too\ncreate table t ();\n";
	const struct pgs_sections *s = find(f, "0001_init.sql", text, PGS_TOOL_AUTO, false);

	assert_int_equal(s->tool, PGS_TOOL_PLAIN);
	assert_int_equal(s->txn, PGS_TXN_NONE);
	assert_int_equal(s->file_direction, PGS_DIR_UP);
	assert_null(s->note);
	assert_int_equal(s->n_up, 1);
	assert_int_equal(s->n_down, 0);
	assert_part(s->up, 0, 0, strlen(text));

	/* a forced tool overrides the file name */
	s = find(f, "V1__a.sql", text, PGS_TOOL_PLAIN, false);
	assert_int_equal(s->tool, PGS_TOOL_PLAIN);
	assert_int_equal(s->txn, PGS_TXN_NONE);

	/* an empty plain file has no part */
	s = find(f, "empty.sql", "", PGS_TOOL_AUTO, false);
	assert_int_equal(s->tool, PGS_TOOL_PLAIN);
	assert_int_equal(s->n_up, 0);
	assert_int_equal(s->n_down, 0);
}

static void test_mask(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "-- +goose Up\r\n"
				   "select 'é';\n"
				   "-- +goose Down\n"
				   "drop table t;\n";
	const struct pgs_sections *s = find(f, "x.sql", text, PGS_TOOL_AUTO, false);
	size_t len = strlen(text);

	assert_int_equal(s->n_up, 1);
	assert_int_equal(s->n_down, 1);
	const char *up = pgs_sections_mask(&f->src, &f->arena, s->up, s->n_up);
	assert_ptr_not_equal(up, f->src.text);
	assert_int_equal(up[len], '\0');
	assert_int_equal(strlen(up), len);
	for (size_t i = 0; i < len; i++) {
		bool inside = i >= s->up[0].start && i < s->up[0].end;
		char want = inside || text[i] == '\n' ? text[i] : ' ';

		if (up[i] != want)
			fail_msg("byte %zu: '%c', want '%c'", i, up[i], want);
	}
	assert_memory_equal(up + s->up[0].start, "select 'é';\n", strlen("select 'é';\n"));
	assert_memory_equal(up, "            \r\n", 14 - 2); /* \r outside is blanked */
	assert_int_equal(up[12], ' ');
	assert_int_equal(up[13], '\n');

	const char *down = pgs_sections_mask(&f->src, &f->arena, s->down, s->n_down);
	assert_int_equal(strlen(down), len);
	assert_memory_equal(down + s->down[0].start, "drop table t;\n", 14);
	for (size_t i = 0; i < s->down[0].start; i++)
		assert_true(down[i] == ' ' || (down[i] == '\n' && text[i] == '\n'));

	/* no parts: everything blank but newlines */
	const char *none = pgs_sections_mask(&f->src, &f->arena, NULL, 0);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(none[i], text[i] == '\n' ? '\n' : ' ');
}

static void test_mask_whole_file(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "select 1;\n";
	const struct pgs_sections *s = find(f, "x.sql", text, PGS_TOOL_AUTO, false);

	/* the whole file without a BOM is the text itself */
	assert_ptr_equal(pgs_sections_mask(&f->src, &f->arena, s->up, s->n_up), f->src.text);

	/* a BOM is blanked, every other byte kept, same length */
	static const char bom[] = "\xef\xbb\xbf"
				  "select 1;\n";
	s = find(f, "y.sql", bom, PGS_TOOL_AUTO, false);
	assert_int_equal(f->src.bom, 3);
	assert_int_equal(s->n_up, 1);
	assert_part(s->up, 0, 0, strlen(bom));
	const char *m = pgs_sections_mask(&f->src, &f->arena, s->up, s->n_up);
	assert_ptr_not_equal(m, f->src.text);
	assert_int_equal(strlen(m), strlen(bom));
	assert_string_equal(m, "   select 1;\n");
}

static enum pgs_tool detect_hinted(const char *path, const char *text,
				   const struct pgs_tool_hints *hints)
{
	return pgs_tool_detect(path, text, strlen(text), hints);
}

static void test_detect_more_tools(void **state)
{
	struct pgs_tool_hints cargo_sqlx = {.cargo_sqlx = true};
	struct pgs_tool_hints cargo_refinery = {.cargo_refinery = true};
	struct pgs_tool_hints sqitch = {.sqitch = true};
	struct pgs_tool_hints journal = {.drizzle_journal = true};

	(void)state;
	/* diesel: <version>_<name>/up.sql, down.sql */
	assert_int_equal(detect("migrations/2024-01-02-030405_add_users/up.sql", ""),
			 PGS_TOOL_DIESEL);
	assert_int_equal(detect("00000000000000_diesel_initial_setup/down.sql", ""), PGS_TOOL_DIESEL);
	assert_int_equal(detect("up.sql", ""), PGS_TOOL_PLAIN);
	assert_int_equal(detect("scripts/up.sql", ""), PGS_TOOL_PLAIN);
	/* goose annotations win over a diesel-like path */
	assert_int_equal(detect("1_a/up.sql", "-- +goose Up\n"), PGS_TOOL_GOOSE);
	/* prisma: <timestamp>_<name>/migration.sql */
	assert_int_equal(detect("prisma/migrations/20240102030405_init/migration.sql", ""),
			 PGS_TOOL_PRISMA);
	assert_int_equal(detect("prisma/migrations/init/migration.sql", ""), PGS_TOOL_PLAIN);
	/* sqitch: what the sqitch.plan beside deploy/ says */
	assert_int_equal(detect_hinted("deploy/users.sql", "BEGIN;\n", &sqitch), PGS_TOOL_SQITCH);
	assert_int_equal(detect("deploy/users.sql", "BEGIN;\n"), PGS_TOOL_PLAIN);
	/* drizzle: statement breakpoints, or a journal beside the file */
	assert_int_equal(detect("drizzle/0000_brave_hulk.sql",
				"CREATE TABLE a (id int);\n--> statement-breakpoint\nCREATE TABLE b ();\n"),
			 PGS_TOOL_DRIZZLE);
	assert_int_equal(detect_hinted("drizzle/0001_x.sql", "select 1;\n", &journal),
			 PGS_TOOL_DRIZZLE);
	/* sqlx: "-- no-transaction" as the first bytes, or a Cargo.toml depending on sqlx */
	assert_int_equal(detect("migrations/20240101000000_idx.sql", "-- no-transaction\nselect 1;\n"),
			 PGS_TOOL_SQLX);
	assert_int_equal(detect("migrations/20240101000000_idx.sql", "\n-- no-transaction\n"),
			 PGS_TOOL_PLAIN);
	assert_int_equal(detect_hinted("migrations/1_users.sql", "", &cargo_sqlx), PGS_TOOL_SQLX);
	assert_int_equal(detect_hinted("migrations/1_users.up.sql", "", &cargo_sqlx), PGS_TOOL_SQLX);
	assert_int_equal(detect_hinted("migrations/1_users.down.sql", "", &cargo_sqlx),
			 PGS_TOOL_SQLX);
	assert_int_equal(detect_hinted("migrations/users.sql", "", &cargo_sqlx), PGS_TOOL_PLAIN);
	/* without either, .up.sql stays golang-migrate's */
	assert_int_equal(detect("migrations/1_users.up.sql", ""), PGS_TOOL_GOLANG_MIGRATE);
	/* refinery: V/U names with its annotation, or a Cargo.toml depending on refinery */
	assert_int_equal(detect("V3__idx.sql", "-- refinery:noTransaction\nselect 1;\n"),
			 PGS_TOOL_REFINERY);
	assert_int_equal(detect("U4__x.sql", "--refinery:noTransaction\n"), PGS_TOOL_REFINERY);
	assert_int_equal(detect("V3__idx.sql", "select 1; -- refinery:noTransaction\n"),
			 PGS_TOOL_FLYWAY);
	assert_int_equal(detect_hinted("V1__init.sql", "", &cargo_refinery), PGS_TOOL_REFINERY);
	assert_int_equal(detect_hinted("U2__more.sql", "", &cargo_refinery), PGS_TOOL_REFINERY);
	assert_int_equal(detect("V1__init.sql", ""), PGS_TOOL_FLYWAY);
}

static void test_diesel(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY i ON a (id);\n";
	struct pgs_tool_hints none = {0}, meta_false = {.diesel_metadata = true},
			      meta_true = {.diesel_metadata = true, .diesel_in_txn = true};

	/* no metadata.toml: one transaction per migration */
	const struct pgs_sections *s = find_with(f, "m/2024-01-01-000000_a/up.sql", text,
						 PGS_TOOL_AUTO, &none);
	assert_int_equal(s->tool, PGS_TOOL_DIESEL);
	assert_int_equal(s->txn, PGS_TXN_WRAPPED);
	assert_int_equal(s->file_direction, PGS_DIR_UP);
	assert_int_equal(s->n_up, 1);
	assert_part(s->up, 0, 0, strlen(text));
	assert_int_equal(s->n_down, 0);
	/* run_in_transaction = false (or a metadata.toml without it): one multi-statement query */
	s = find_with(f, "m/2024-01-01-000000_a/up.sql", text, PGS_TOOL_AUTO, &meta_false);
	assert_int_equal(s->txn, PGS_TXN_MULTI_STATEMENT);
	s = find_with(f, "m/2024-01-01-000000_a/up.sql", text, PGS_TOOL_AUTO, &meta_true);
	assert_int_equal(s->txn, PGS_TXN_WRAPPED);
	/* down.sql is the down migration */
	s = find_with(f, "m/2024-01-01-000000_a/down.sql", text, PGS_TOOL_AUTO, &none);
	assert_int_equal(s->file_direction, PGS_DIR_DOWN);
	assert_int_equal(s->n_up, 0);
	assert_int_equal(s->n_down, 1);
}

static void test_sqlx(void **state)
{
	struct fixture *f = *state;
	static const char no_tx[] = "-- no-transaction\nCREATE INDEX CONCURRENTLY i ON a (id);\n";
	struct pgs_tool_hints cargo = {.cargo_sqlx = true};

	const struct pgs_sections *s =
	    find_with(f, "migrations/20240101000000_idx.sql", no_tx, PGS_TOOL_AUTO, NULL);
	assert_int_equal(s->tool, PGS_TOOL_SQLX);
	assert_int_equal(s->txn, PGS_TXN_MULTI_STATEMENT);
	assert_int_equal(s->file_direction, PGS_DIR_UP);
	s = find_with(f, "migrations/1_users.sql", "CREATE TABLE u ();\n", PGS_TOOL_AUTO, &cargo);
	assert_int_equal(s->tool, PGS_TOOL_SQLX);
	assert_int_equal(s->txn, PGS_TXN_WRAPPED);
	s = find_with(f, "migrations/1_users.down.sql", "DROP TABLE u;\n", PGS_TOOL_SQLX, NULL);
	assert_int_equal(s->file_direction, PGS_DIR_DOWN);
	assert_int_equal(s->n_down, 1);
	assert_int_equal(s->txn, PGS_TXN_WRAPPED);
}

static void test_refinery(void **state)
{
	struct fixture *f = *state;
	struct pgs_tool_hints cargo = {.cargo_refinery = true};

	/* U is refinery's unversioned migration: applied going up, not an undo */
	const struct pgs_sections *s =
	    find_with(f, "migrations/U2__seed.sql", "INSERT INTO t VALUES (1);\n", PGS_TOOL_AUTO, &cargo);
	assert_int_equal(s->tool, PGS_TOOL_REFINERY);
	assert_int_equal(s->file_direction, PGS_DIR_UP);
	assert_int_equal(s->txn, PGS_TXN_WRAPPED);
	assert_int_equal(s->n_up, 1);
	s = find_with(f, "migrations/V3__idx.sql",
		      "-- refinery:noTransaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
		      PGS_TOOL_AUTO, NULL);
	assert_int_equal(s->tool, PGS_TOOL_REFINERY);
	assert_int_equal(s->txn, PGS_TXN_MULTI_STATEMENT);
}

static void test_drizzle_prisma_sqitch(void **state)
{
	struct fixture *f = *state;
	struct pgs_tool_hints sqitch = {.sqitch = true};

	const struct pgs_sections *s = find_with(
	    f, "drizzle/0000_x.sql", "CREATE TABLE a ();\n--> statement-breakpoint\nSELECT 1;\n",
	    PGS_TOOL_AUTO, NULL);
	assert_int_equal(s->tool, PGS_TOOL_DRIZZLE);
	assert_int_equal(s->txn, PGS_TXN_WRAPPED);
	assert_int_equal(s->n_up, 1);
	s = find_with(f, "prisma/migrations/20240101000000_init/migration.sql", "SELECT 1;\n",
		      PGS_TOOL_AUTO, NULL);
	assert_int_equal(s->tool, PGS_TOOL_PRISMA);
	assert_int_equal(s->txn, PGS_TXN_MULTI_STATEMENT);
	assert_int_equal(s->file_direction, PGS_DIR_UP);
	s = find_with(f, "db/deploy/users.sql", "BEGIN;\nCREATE TABLE u ();\nCOMMIT;\n",
		      PGS_TOOL_AUTO, &sqitch);
	assert_int_equal(s->tool, PGS_TOOL_SQITCH);
	assert_int_equal(s->txn, PGS_TXN_NONE);
	assert_int_equal(s->file_direction, PGS_DIR_UP);
	s = find_with(f, "db/revert/users.sql", "DROP TABLE u;\n", PGS_TOOL_AUTO, &sqitch);
	assert_int_equal(s->tool, PGS_TOOL_SQITCH);
	assert_int_equal(s->file_direction, PGS_DIR_DOWN);
	assert_int_equal(s->n_down, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tool_names),
	    cmocka_unit_test(test_detect),
	    cmocka_unit_test(test_detect_more_tools),
	    cmocka_unit_test_setup_teardown(test_diesel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sqlx, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refinery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drizzle_prisma_sqitch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_goose, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_goose_several_parts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_goose_no_transaction, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_goose_lower_case, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_goose_without_annotations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dbmate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_golang_migrate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flyway, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mask, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mask_whole_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
