/*
 * source: the line map (byte offset -> 1-based line and code-point column),
 * line ranges, and the checks that refuse binary, non-UTF-8 and huge input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/source.h"

struct fixture {
	struct pgs_arena arena;
	struct pgs_source src;
	struct pgs_error err;
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

/* Load text (a string literal, may hold NULs when len is given) or fail the test. */
static struct pgs_source *load(struct fixture *f, const char *text, size_t len)
{
	f->err.message[0] = '\0';
	int rc = pgs_source_from_memory(&f->src, &f->arena, "m.sql", text, len, &f->err);
	if (rc != 0)
		fail_msg("pgs_source_from_memory failed: %s", f->err.message);
	return &f->src;
}

/* Load text that must be refused; returns the message. */
static const char *refuse(struct fixture *f, const char *path, const char *text, size_t len)
{
	f->err.message[0] = '\0';
	int rc = pgs_source_from_memory(&f->src, &f->arena, path, text, len, &f->err);
	if (rc != -1)
		fail_msg("pgs_source_from_memory accepted input it should refuse");
	return f->err.message;
}

#define assert_pos(src, offset, want_line, want_col)                                               \
	do {                                                                                       \
		struct pgs_pos p_ = pgs_source_pos((src), (offset));                               \
		if (p_.line != (want_line) || p_.column != (want_col))                             \
			fail_msg("offset %u: got %u:%u, want %u:%u", (unsigned)(offset), p_.line,  \
				 p_.column, (unsigned)(want_line), (unsigned)(want_col));          \
	} while (0)

#define assert_line(src, n, want_start, want_end)                                                  \
	do {                                                                                       \
		struct pgs_span s_ = pgs_source_line((src), (n));                                  \
		if (s_.start != (want_start) || s_.end != (want_end))                              \
			fail_msg("line %u: got [%u,%u), want [%u,%u)", (unsigned)(n), s_.start,    \
				 s_.end, (unsigned)(want_start), (unsigned)(want_end));            \
	} while (0)

#define assert_contains(haystack, needle)                                                          \
	do {                                                                                       \
		if (!strstr((haystack), (needle)))                                                 \
			fail_msg("\"%s\" does not contain \"%s\"", (haystack), (needle));          \
	} while (0)

static void test_lf(void **state)
{
	struct fixture *f = *state;
	struct pgs_source *s = load(f, "ab\ncd\n", 6);

	assert_string_equal(s->path, "m.sql");
	assert_int_equal(s->len, 6);
	assert_string_equal(s->text, "ab\ncd\n");
	assert_int_equal(s->bom, 0);
	assert_int_equal(s->n_lines, 3);
	assert_pos(s, 0, 1, 1);
	assert_pos(s, 1, 1, 2);
	assert_pos(s, 2, 1, 3); /* the \n itself ends line 1 */
	assert_pos(s, 3, 2, 1);
	assert_pos(s, 4, 2, 2);
	assert_pos(s, 6, 3, 1);	  /* offset == len after a final newline */
	assert_pos(s, 600, 3, 1); /* past the end clamps to the end */
	assert_line(s, 1, 0, 2);
	assert_line(s, 2, 3, 5);
	assert_line(s, 3, 6, 6);
	assert_line(s, 0, 0, 0);
	assert_line(s, 4, 0, 0);
}

static void test_crlf(void **state)
{
	struct fixture *f = *state;
	struct pgs_source *s = load(f, "ab\r\ncd\r\nef", 10);

	assert_int_equal(s->n_lines, 3);
	assert_pos(s, 2, 1, 3); /* the \r */
	assert_pos(s, 4, 2, 1); /* 'c' */
	assert_pos(s, 5, 2, 2); /* 'd', right after \r\n */
	assert_pos(s, 8, 3, 1);
	assert_pos(s, 10, 3, 3);
	assert_line(s, 1, 0, 2); /* "ab" without \r */
	assert_line(s, 2, 4, 6);
	assert_line(s, 3, 8, 10);
	/* a lone \r is not a line break */
	s = load(f, "a\rb\nc", 5);
	assert_int_equal(s->n_lines, 2);
	assert_pos(s, 2, 1, 3);
	assert_line(s, 1, 0, 3);
}

static void test_tab_is_one_column(void **state)
{
	struct fixture *f = *state;
	struct pgs_source *s = load(f, "\t\tx\n\ty", 6);

	assert_pos(s, 1, 1, 2);
	assert_pos(s, 2, 1, 3);
	assert_pos(s, 5, 2, 2);
}

/*
 * Columns on lines longer than the blocks the map counts code points by:
 * every offset of a text of 3-byte characters and newlines across several
 * blocks gets the column a count from its line start gives.
 */
static void test_columns_across_blocks(void **state)
{
	struct fixture *f = *state;
	size_t len = 7 * PGS_SOURCE_MARK_BYTES + 5;
	char *text = malloc(len);
	uint32_t line = 1, column = 1;

	for (size_t i = 0; i < len;) {
		if (i % 2500 == 1200) {
			text[i++] = '\n';
		} else if (i + 3 <= len && i % 7 != 0) {
			memcpy(text + i, "\xe2\x82\xac", 3);
			i += 3;
		} else {
			text[i++] = 'x';
		}
	}
	struct pgs_source *s = load(f, text, len);
	for (uint32_t i = 0; i <= len; i++) {
		if (i < len && ((unsigned char)text[i] & 0xC0) == 0x80)
			continue;
		struct pgs_pos p = pgs_source_pos(s, i);
		if (p.line != line || p.column != column)
			fail_msg("offset %u: %u:%u, expected %u:%u", i, p.line, p.column, line, column);
		if (i < len && text[i] == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
	}
	free(text);
}

static void test_utf8_columns(void **state)
{
	struct fixture *f = *state;
	/* a é € U+1F600 x: bytes 0, 1-2, 3-5, 6-9, 10 */
	static const char text[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80x\n\xc3\xa9y";
	struct pgs_source *s = load(f, text, sizeof(text) - 1);

	assert_int_equal(s->len, 15);
	assert_pos(s, 0, 1, 1);
	assert_pos(s, 1, 1, 2);	 /* é */
	assert_pos(s, 3, 1, 3);	 /* € */
	assert_pos(s, 6, 1, 4);	 /* emoji */
	assert_pos(s, 10, 1, 5); /* x */
	assert_pos(s, 11, 1, 6); /* \n */
	assert_pos(s, 12, 2, 1); /* é */
	assert_pos(s, 14, 2, 2); /* y */
	assert_pos(s, 15, 2, 3); /* end */
	assert_line(s, 1, 0, 11);
	assert_line(s, 2, 12, 15);
	assert_int_equal(pgs_utf8_count(text, 11), 5);
	assert_int_equal(pgs_utf8_count(text, 0), 0);
	assert_int_equal(pgs_utf8_invalid_at(text, sizeof(text) - 1), -1);
}

static void test_utf8_repair(void **state)
{
	struct pgs_arena arena;
	const char *valid = "at or near \"\xc3\xa9t\xc3\xa9\"";

	(void)state;
	pgs_arena_init(&arena);
	/* valid text is returned as it is */
	assert_ptr_equal(pgs_utf8_repair(&arena, valid), valid);
	/* the parser's "1" followed by the first byte of a BOM, and a lone byte */
	assert_string_equal(pgs_utf8_repair(&arena, "near \"1\xef\" \xff!"),
			    "near \"1\xef\xbf\xbd\" \xef\xbf\xbd!");
	assert_string_equal(pgs_utf8_repair(&arena, "\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");
	assert_null(pgs_utf8_repair(&arena, NULL));
	pgs_arena_release(&arena);
}

static void test_no_final_newline(void **state)
{
	struct fixture *f = *state;
	struct pgs_source *s = load(f, "a\nbc", 4);

	assert_int_equal(s->n_lines, 2);
	assert_line(s, 2, 2, 4);
	assert_pos(s, 3, 2, 2);
	assert_pos(s, 4, 2, 3);
}

static void test_empty(void **state)
{
	struct fixture *f = *state;
	struct pgs_source *s = load(f, "", 0);

	assert_int_equal(s->len, 0);
	assert_non_null(s->text);
	assert_string_equal(s->text, "");
	assert_int_equal(s->n_lines, 1);
	assert_pos(s, 0, 1, 1);
	assert_line(s, 1, 0, 0);
	assert_line(s, 2, 0, 0);

	s = load(f, "\n", 1);
	assert_int_equal(s->n_lines, 2);
	assert_pos(s, 1, 2, 1);
	assert_line(s, 1, 0, 0);
	assert_line(s, 2, 1, 1);
}

static void test_bom(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "\xef\xbb\xbf"
				   "ab\ncd";
	struct pgs_source *s = load(f, text, sizeof(text) - 1);

	assert_int_equal(s->bom, 3);
	assert_int_equal(s->len, 8);
	assert_memory_equal(s->text, text, 9); /* BOM kept in the text */
	assert_pos(s, 3, 1, 1);		       /* first char after the BOM */
	assert_pos(s, 4, 1, 2);
	assert_pos(s, 5, 1, 3);
	assert_pos(s, 6, 2, 1);
	assert_pos(s, 8, 2, 3);
	assert_line(s, 1, 3, 5); /* line 1 text excludes the BOM */
	assert_line(s, 2, 6, 8);

	/* a BOM alone */
	s = load(f, "\xef\xbb\xbf", 3);
	assert_int_equal(s->bom, 3);
	assert_pos(s, 3, 1, 1);
	assert_line(s, 1, 3, 3);

	/* a BOM-like sequence later in the text is just a character */
	s = load(f, "a\xef\xbb\xbf", 4);
	assert_int_equal(s->bom, 0);
	assert_pos(s, 4, 1, 3);
}

static void test_nul_byte(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "ab\ncd\0e";
	const char *msg = refuse(f, "dir/bin.sql", text, sizeof(text) - 1);

	assert_contains(msg, "dir/bin.sql:2:3:");
	assert_contains(msg, "NUL");
	msg = refuse(f, "x.sql", "\0", 1);
	assert_contains(msg, "x.sql:1:1:");
	assert_contains(msg, "NUL");
}

static void test_invalid_utf8(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *text;
		size_t len;
		const char *where;
	} cases[] = {
	    {"select 1;\nab\x80", 13, "bad.sql:2:3:"}, /* lone continuation byte */
	    {"\xc3\xa9\x80", 3, "bad.sql:1:2:"},       /* continuation after é */
	    {"x\n\xc0\xaf;", 5, "bad.sql:2:1:"},       /* overlong '/' */
	    {"ab\xed\xa0\x80", 5, "bad.sql:1:3:"},     /* UTF-16 surrogate */
	    {"a\n\n  \xe2\x82", 7, "bad.sql:3:3:"},    /* truncated € at the end */
	    {"\xe2\x82x", 3, "bad.sql:1:1:"},	       /* truncated € before ASCII */
	    {"\xf4\x90\x80\x80", 4, "bad.sql:1:1:"},   /* past U+10FFFF */
	    {"ok \xff", 4, "bad.sql:1:4:"},	       /* never valid */
	    {"\xe0\x80\xaf", 3, "bad.sql:1:1:"},       /* overlong 3-byte */
	    {"\xf0\x80\x80\xaf", 4, "bad.sql:1:1:"},   /* overlong 4-byte */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *msg = refuse(f, "bad.sql", cases[i].text, cases[i].len);

		assert_contains(msg, cases[i].where);
		assert_contains(msg, "UTF-8");
	}
	assert_int_equal(pgs_utf8_invalid_at("ab\x80", 3), 2);
	assert_int_equal(pgs_utf8_invalid_at("\xed\x9f\xbf", 3), -1);	  /* U+D7FF is fine */
	assert_int_equal(pgs_utf8_invalid_at("\xf4\x8f\xbf\xbf", 4), -1); /* U+10FFFF */
}

/* The position of a bad byte on line 1 of a file with a BOM skips the BOM, as
 * pgs_source_pos does for every other offset. */
static void test_invalid_utf8_after_bom_column(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "\xef\xbb\xbf"
				   "ab\x80";

	const char *msg = refuse(f, "bom.sql", text, sizeof(text) - 1);
	assert_contains(msg, "bom.sql:1:3:");
}

static void test_too_large(void **state)
{
	struct fixture *f = *state;
	size_t n = PGS_SOURCE_MAX_BYTES + 1;
	char *big = malloc(n);

	assert_non_null(big);
	memset(big, 'a', n);
	const char *msg = refuse(f, "huge.sql", big, n);
	assert_contains(msg, "huge.sql");
	assert_contains(msg, "64 MiB");

	/* exactly the limit is accepted */
	big[PGS_SOURCE_MAX_BYTES - 1] = '\n';
	struct pgs_source *s = load(f, big, PGS_SOURCE_MAX_BYTES);
	assert_int_equal(s->len, PGS_SOURCE_MAX_BYTES);
	assert_int_equal(s->n_lines, 2);
	assert_pos(s, (uint32_t)PGS_SOURCE_MAX_BYTES, 2, 1);
	free(big);
}

static void test_load_file(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/pgstage-source-XXXXXX";
	char path[256];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.sql", dir);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	fputs("select 1;\r\nselect 2;\n", fp);
	fclose(fp);

	int rc = pgs_source_load(&f->src, &f->arena, path, &f->err);
	assert_int_equal(rc, 0);
	assert_string_equal(f->src.path, path);
	assert_string_equal(f->src.text, "select 1;\r\nselect 2;\n");
	assert_int_equal(f->src.n_lines, 3);
	assert_pos(&f->src, 11, 2, 1);

	/* a directory */
	f->err.message[0] = '\0';
	rc = pgs_source_load(&f->src, &f->arena, dir, &f->err);
	assert_int_equal(rc, -1);
	assert_contains(f->err.message, dir);
	assert_contains(f->err.message, "is a directory");

	/* a missing file */
	char missing[300];
	snprintf(missing, sizeof(missing), "%s/missing.sql", dir);
	f->err.message[0] = '\0';
	rc = pgs_source_load(&f->src, &f->arena, missing, &f->err);
	assert_int_equal(rc, -1);
	assert_contains(f->err.message, missing);
	assert_contains(f->err.message, "cannot read");

	/* a file over the limit: sparse, so it costs no disk */
	char huge[300];
	snprintf(huge, sizeof(huge), "%s/huge.sql", dir);
	fp = fopen(huge, "wb");
	assert_non_null(fp);
	assert_int_equal(ftruncate(fileno(fp), (off_t)PGS_SOURCE_MAX_BYTES + 1), 0);
	fclose(fp);
	f->err.message[0] = '\0';
	rc = pgs_source_load(&f->src, &f->arena, huge, &f->err);
	assert_int_equal(rc, -1);
	assert_contains(f->err.message, huge);
	assert_contains(f->err.message, "64 MiB");

	/* a file with bad bytes names the file and position */
	fp = fopen(path, "wb");
	assert_non_null(fp);
	fputs("select 1;\nselect '\xc3';\n", fp);
	fclose(fp);
	f->err.message[0] = '\0';
	rc = pgs_source_load(&f->src, &f->arena, path, &f->err);
	assert_int_equal(rc, -1);
	char where[300];
	snprintf(where, sizeof(where), "%s:2:9:", path);
	assert_contains(f->err.message, where);

	unlink(huge);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lf, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crlf, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tab_is_one_column, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_utf8_columns, setup, teardown),
	    cmocka_unit_test(test_utf8_repair),
	    cmocka_unit_test_setup_teardown(test_columns_across_blocks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_final_newline, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bom, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nul_byte, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_utf8, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_utf8_after_bom_column, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
