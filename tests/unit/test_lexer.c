/*
 * lexer: token kinds and extents for PostgreSQL's lexical forms, and the
 * statement splitter built on it.
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

#include "core/lexer.h"

#define MAX_TOKENS 64

struct lexed {
	struct pgs_token toks[MAX_TOKENS];
	size_t n;
};

/* Every token of text, in order; checks that tokens tile the text. */
static void lex_all(const char *text, struct lexed *out)
{
	uint32_t len = (uint32_t)strlen(text), pos = 0;

	out->n = 0;
	while (pos < len) {
		struct pgs_token *t = &out->toks[out->n];
		uint32_t next = pgs_lex(text, pos, len, t);

		assert_true(out->n + 1 < MAX_TOKENS);
		assert_int_equal(t->start, pos);
		assert_int_equal(t->end, next);
		assert_true(next > pos);
		assert_true(next <= len);
		pos = next;
		out->n++;
	}
}

static const char *kind_name(enum pgs_token_kind k)
{
	switch (k) {
	case PGS_TOK_EOF:
		return "EOF";
	case PGS_TOK_SPACE:
		return "SPACE";
	case PGS_TOK_COMMENT:
		return "COMMENT";
	case PGS_TOK_WORD:
		return "WORD";
	case PGS_TOK_QUOTED:
		return "QUOTED";
	case PGS_TOK_STRING:
		return "STRING";
	case PGS_TOK_SEMICOLON:
		return "SEMICOLON";
	case PGS_TOK_OPEN:
		return "OPEN";
	case PGS_TOK_CLOSE:
		return "CLOSE";
	case PGS_TOK_OTHER:
		return "OTHER";
	case PGS_TOK_UNTERMINATED:
		return "UNTERMINATED";
	}
	return "?";
}

/*
 * Check the non-space tokens of text: want is a list of kind and text
 * pairs, ending with a NULL text.
 */
struct want {
	enum pgs_token_kind kind;
	const char *text;
};

static void check_tokens(const char *text, const struct want *want)
{
	struct lexed l;
	size_t w = 0;

	lex_all(text, &l);
	for (size_t i = 0; i < l.n; i++) {
		const struct pgs_token *t = &l.toks[i];
		size_t n = t->end - t->start;

		if (t->kind == PGS_TOK_SPACE)
			continue;
		if (!want[w].text)
			fail_msg("%s: extra token %s \"%.*s\"", text, kind_name(t->kind), (int)n,
				 text + t->start);
		if (t->kind != want[w].kind || strlen(want[w].text) != n ||
		    memcmp(text + t->start, want[w].text, n) != 0)
			fail_msg("%s: token %zu is %s \"%.*s\", want %s \"%s\"", text, w,
				 kind_name(t->kind), (int)n, text + t->start,
				 kind_name(want[w].kind), want[w].text);
		w++;
	}
	if (want[w].text)
		fail_msg("%s: missing token %s \"%s\"", text, kind_name(want[w].kind),
			 want[w].text);
}

static void test_basic_kinds(void **state)
{
	(void)state;
	check_tokens("SELECT a, 1 FROM t;", (const struct want[]){{PGS_TOK_WORD, "SELECT"},
								  {PGS_TOK_WORD, "a"},
								  {PGS_TOK_OTHER, ","},
								  {PGS_TOK_WORD, "1"},
								  {PGS_TOK_WORD, "FROM"},
								  {PGS_TOK_WORD, "t"},
								  {PGS_TOK_SEMICOLON, ";"},
								  {0, NULL}});
	check_tokens("f(x[1])::int>=2", (const struct want[]){{PGS_TOK_WORD, "f"},
							      {PGS_TOK_OPEN, "("},
							      {PGS_TOK_WORD, "x"},
							      {PGS_TOK_OPEN, "["},
							      {PGS_TOK_WORD, "1"},
							      {PGS_TOK_CLOSE, "]"},
							      {PGS_TOK_CLOSE, ")"},
							      {PGS_TOK_OTHER, ":"},
							      {PGS_TOK_OTHER, ":"},
							      {PGS_TOK_WORD, "int"},
							      {PGS_TOK_OTHER, ">"},
							      {PGS_TOK_OTHER, "="},
							      {PGS_TOK_WORD, "2"},
							      {0, NULL}});
	/* identifiers may hold digits, $ and non-ASCII letters */
	check_tokens("a$1 _x9 \xc3\xa9t\xc3\xa9",
		     (const struct want[]){{PGS_TOK_WORD, "a$1"},
					   {PGS_TOK_WORD, "_x9"},
					   {PGS_TOK_WORD, "\xc3\xa9t\xc3\xa9"},
					   {0, NULL}});

	struct lexed l;
	lex_all(" \t\r\n\f\vx", &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.toks[0].kind, PGS_TOK_SPACE);
	assert_int_equal(l.toks[0].end, 6);
}

static void test_eof(void **state)
{
	struct pgs_token t;

	(void)state;
	assert_int_equal(pgs_lex("abc", 3, 3, &t), 3);
	assert_int_equal(t.kind, PGS_TOK_EOF);
	assert_int_equal(t.start, 3);
	assert_int_equal(t.end, 3);
	/* end bounds the token even inside the text */
	assert_int_equal(pgs_lex("abcdef", 0, 2, &t), 2);
	assert_int_equal(t.kind, PGS_TOK_WORD);
	assert_int_equal(pgs_lex("'abc'", 0, 3, &t), 3);
	assert_int_equal(t.kind, PGS_TOK_UNTERMINATED);
}

static void test_strings(void **state)
{
	(void)state;
	check_tokens("'it''s';", (const struct want[]){{PGS_TOK_STRING, "'it''s'"},
						       {PGS_TOK_SEMICOLON, ";"},
						       {0, NULL}});
	check_tokens("'';''''", (const struct want[]){{PGS_TOK_STRING, "''"},
						      {PGS_TOK_SEMICOLON, ";"},
						      {PGS_TOK_STRING, "''''"},
						      {0, NULL}});
	/* standard strings: a backslash is an ordinary character */
	check_tokens("'a\\' x", (const struct want[]){
				    {PGS_TOK_STRING, "'a\\'"}, {PGS_TOK_WORD, "x"}, {0, NULL}});
	check_tokens("'a;b' c", (const struct want[]){
				    {PGS_TOK_STRING, "'a;b'"}, {PGS_TOK_WORD, "c"}, {0, NULL}});
	/* a string across lines */
	check_tokens(
	    "'a\n-- b\n' c",
	    (const struct want[]){{PGS_TOK_STRING, "'a\n-- b\n'"}, {PGS_TOK_WORD, "c"}, {0, NULL}});
}

static void test_escape_strings(void **state)
{
	(void)state;
	check_tokens(
	    "E'\\'';",
	    (const struct want[]){{PGS_TOK_STRING, "E'\\''"}, {PGS_TOK_SEMICOLON, ";"}, {0, NULL}});
	check_tokens(
	    "e'a\\\\' x",
	    (const struct want[]){{PGS_TOK_STRING, "e'a\\\\'"}, {PGS_TOK_WORD, "x"}, {0, NULL}});
	check_tokens("E'it''s\\n;' y", (const struct want[]){{PGS_TOK_STRING, "E'it''s\\n;'"},
							     {PGS_TOK_WORD, "y"},
							     {0, NULL}});
	/* a word ending in e is not an escape string prefix */
	check_tokens("type'x'", (const struct want[]){
				    {PGS_TOK_WORD, "type"}, {PGS_TOK_STRING, "'x'"}, {0, NULL}});
}

static void test_dollar_quotes(void **state)
{
	(void)state;
	check_tokens("$$a; 'b$$;", (const struct want[]){{PGS_TOK_STRING, "$$a; 'b$$"},
							 {PGS_TOK_SEMICOLON, ";"},
							 {0, NULL}});
	check_tokens("$body$ x; $$ y $b$ $body$ z",
		     (const struct want[]){{PGS_TOK_STRING, "$body$ x; $$ y $b$ $body$"},
					   {PGS_TOK_WORD, "z"},
					   {0, NULL}});
	check_tokens("$_a1$;$_a1$;", (const struct want[]){{PGS_TOK_STRING, "$_a1$;$_a1$"},
							   {PGS_TOK_SEMICOLON, ";"},
							   {0, NULL}});
	/* $1 parameters are words, not dollar quotes */
	check_tokens("$1 + $23;$4", (const struct want[]){{PGS_TOK_WORD, "$1"},
							  {PGS_TOK_OTHER, "+"},
							  {PGS_TOK_WORD, "$23"},
							  {PGS_TOK_SEMICOLON, ";"},
							  {PGS_TOK_WORD, "$4"},
							  {0, NULL}});
	check_tokens("where a = $1 and b = $2;", (const struct want[]){{PGS_TOK_WORD, "where"},
								       {PGS_TOK_WORD, "a"},
								       {PGS_TOK_OTHER, "="},
								       {PGS_TOK_WORD, "$1"},
								       {PGS_TOK_WORD, "and"},
								       {PGS_TOK_WORD, "b"},
								       {PGS_TOK_OTHER, "="},
								       {PGS_TOK_WORD, "$2"},
								       {PGS_TOK_SEMICOLON, ";"},
								       {0, NULL}});
}

static void test_comments(void **state)
{
	(void)state;
	check_tokens("/* a /* b; */ c; */x",
		     (const struct want[]){
			 {PGS_TOK_COMMENT, "/* a /* b; */ c; */"}, {PGS_TOK_WORD, "x"}, {0, NULL}});
	check_tokens("a -- b; 'c\nd", (const struct want[]){{PGS_TOK_WORD, "a"},
							    {PGS_TOK_COMMENT, "-- b; 'c"},
							    {PGS_TOK_WORD, "d"},
							    {0, NULL}});
	check_tokens("--\n", (const struct want[]){{PGS_TOK_COMMENT, "--"}, {0, NULL}});
	check_tokens("-- to the end",
		     (const struct want[]){{PGS_TOK_COMMENT, "-- to the end"}, {0, NULL}});
	/* one dash and a slash alone are operators */
	check_tokens("a-b/c", (const struct want[]){{PGS_TOK_WORD, "a"},
						    {PGS_TOK_OTHER, "-"},
						    {PGS_TOK_WORD, "b"},
						    {PGS_TOK_OTHER, "/"},
						    {PGS_TOK_WORD, "c"},
						    {0, NULL}});
	/* the comment token excludes the newline */
	struct lexed l;
	lex_all("-- x\r\ny", &l);
	assert_int_equal(l.toks[0].kind, PGS_TOK_COMMENT);
	assert_int_equal(l.toks[0].end, 5); /* includes the \r, stops at \n */
	assert_int_equal(l.toks[1].kind, PGS_TOK_SPACE);
}

static void test_quoted_identifiers(void **state)
{
	(void)state;
	check_tokens("\"a\"\"b\".\"c;d\"", (const struct want[]){{PGS_TOK_QUOTED, "\"a\"\"b\""},
								 {PGS_TOK_OTHER, "."},
								 {PGS_TOK_QUOTED, "\"c;d\""},
								 {0, NULL}});
	check_tokens(
	    "\"\"\"\" x",
	    (const struct want[]){{PGS_TOK_QUOTED, "\"\"\"\""}, {PGS_TOK_WORD, "x"}, {0, NULL}});
}

static void test_unterminated(void **state)
{
	(void)state;
	check_tokens("select 'abc; select 2",
		     (const struct want[]){{PGS_TOK_WORD, "select"},
					   {PGS_TOK_UNTERMINATED, "'abc; select 2"},
					   {0, NULL}});
	check_tokens(
	    "x 'it''",
	    (const struct want[]){{PGS_TOK_WORD, "x"}, {PGS_TOK_UNTERMINATED, "'it''"}, {0, NULL}});
	check_tokens("E'abc\\'",
		     (const struct want[]){{PGS_TOK_UNTERMINATED, "E'abc\\'"}, {0, NULL}});
	check_tokens("x /* a /* b */ c",
		     (const struct want[]){
			 {PGS_TOK_WORD, "x"}, {PGS_TOK_UNTERMINATED, "/* a /* b */ c"}, {0, NULL}});
	check_tokens("/*", (const struct want[]){{PGS_TOK_UNTERMINATED, "/*"}, {0, NULL}});
	check_tokens("\"abc", (const struct want[]){{PGS_TOK_UNTERMINATED, "\"abc"}, {0, NULL}});
	check_tokens("$$ a; $x$",
		     (const struct want[]){{PGS_TOK_UNTERMINATED, "$$ a; $x$"}, {0, NULL}});
	check_tokens("$t$ a $$ b",
		     (const struct want[]){{PGS_TOK_UNTERMINATED, "$t$ a $$ b"}, {0, NULL}});
}

static void test_token_is(void **state)
{
	struct pgs_token t;
	const char *text = "BeGiN \"begin\" beginx";

	(void)state;
	pgs_lex(text, 0, (uint32_t)strlen(text), &t);
	assert_true(pgs_token_is(text, &t, "begin"));
	assert_false(pgs_token_is(text, &t, "beg"));
	assert_false(pgs_token_is(text, &t, "beginx"));
	pgs_lex(text, 6, (uint32_t)strlen(text), &t);
	assert_int_equal(t.kind, PGS_TOK_QUOTED);
	assert_false(pgs_token_is(text, &t, "begin")); /* a quoted identifier is no keyword */
	pgs_lex(text, 14, (uint32_t)strlen(text), &t);
	assert_false(pgs_token_is(text, &t, "begin"));
}

static void test_skip_space_and_comments(void **state)
{
	const char *text = "  -- a\n /* b /* c */ */\t\nselect -- d\n";
	uint32_t len = (uint32_t)strlen(text);
	const char *sel = strstr(text, "select");

	(void)state;
	assert_int_equal(pgs_skip_space_and_comments(text, 0, len), sel - text);
	assert_int_equal(pgs_skip_space_and_comments(text, (uint32_t)(sel - text), len),
			 sel - text);
	/* nothing but space and comments: the end */
	assert_int_equal(pgs_skip_space_and_comments(text, 31, len), len);
	assert_int_equal(pgs_skip_space_and_comments("", 0, 0), 0);
	/* a bounded end stops the search */
	assert_int_equal(pgs_skip_space_and_comments(text, 0, 5), 5);
}

static void test_last_token_end(void **state)
{
	const char *text = "select 1 -- c\n /* d */  \n";
	uint32_t len = (uint32_t)strlen(text);

	(void)state;
	assert_int_equal(pgs_last_token_end(text, 0, len), 8);
	assert_int_equal(pgs_last_token_end("select 'a'", 0, 10), 10);
	/* no token at all: start */
	assert_int_equal(pgs_last_token_end("  -- x\n", 2, 7), 2);
	assert_int_equal(pgs_last_token_end("abc", 3, 3), 3);
}

/* ---- pgs_split ---- */

#define MAX_CHUNKS 16

struct chunks {
	struct pgs_chunk c[MAX_CHUNKS];
	size_t n;
};

static void collect(void *data, const struct pgs_chunk *c)
{
	struct chunks *cs = data;

	assert_true(cs->n < MAX_CHUNKS);
	cs->c[cs->n++] = *c;
}

static void split(const char *text, struct chunks *cs)
{
	memset(cs, 0, sizeof(*cs));
	pgs_split(text, (uint32_t)strlen(text), collect, cs);
	for (size_t i = 0; i < cs->n; i++) {
		assert_true(cs->c[i].raw_start <= cs->c[i].start);
		assert_true(cs->c[i].start < cs->c[i].end);
	}
}

/* Check the statements' texts (first token to last token before the semicolon). */
static void check_split(const char *text, const char *const *want)
{
	struct chunks cs;
	size_t n = 0;

	split(text, &cs);
	while (want[n])
		n++;
	if (cs.n != n)
		fail_msg("%s: %zu statements, want %zu", text, cs.n, n);
	for (size_t i = 0; i < n; i++) {
		size_t len = cs.c[i].end - cs.c[i].start;

		if (strlen(want[i]) != len || memcmp(text + cs.c[i].start, want[i], len) != 0)
			fail_msg("%s: statement %zu is \"%.*s\", want \"%s\"", text, i, (int)len,
				 text + cs.c[i].start, want[i]);
	}
}

static void test_split_basic(void **state)
{
	struct chunks cs;
	const char *text = "select 1; select 2";

	(void)state;
	split(text, &cs);
	assert_int_equal(cs.n, 2);
	assert_int_equal(cs.c[0].raw_start, 0);
	assert_int_equal(cs.c[0].start, 0);
	assert_int_equal(cs.c[0].end, 8);
	assert_int_equal(cs.c[1].raw_start, 9); /* just after the semicolon */
	assert_int_equal(cs.c[1].start, 10);
	assert_int_equal(cs.c[1].end, 18);
}

static void test_split_trims_comments(void **state)
{
	struct chunks cs;
	const char *text = "  -- lead;\n/* c; */ select 1 -- trail;\n /* t */ ;\n-- x\nselect 2 ;";

	(void)state;
	split(text, &cs);
	assert_int_equal(cs.n, 2);
	assert_int_equal(cs.c[0].raw_start, 0);
	assert_int_equal(cs.c[0].start, strstr(text, "select 1") - text);
	assert_int_equal(cs.c[0].end, strstr(text, "select 1") - text + 8);
	assert_int_equal(cs.c[1].raw_start, strstr(text, "*/ ;") - text + 4);
	assert_int_equal(cs.c[1].start, strstr(text, "select 2") - text);
	assert_int_equal(cs.c[1].end, strstr(text, "select 2") - text + 8);
}

static void test_split_top_level_only(void **state)
{
	(void)state;
	check_split("select f(1; 2); select 3",
		    (const char *const[]){"select f(1; 2)", "select 3", NULL});
	check_split("select ';'; select \"a;b\"",
		    (const char *const[]){"select ';'", "select \"a;b\"", NULL});
	check_split("select E'\\';'; select 2",
		    (const char *const[]){"select E'\\';'", "select 2", NULL});
	check_split("select 1 /* ; /* ; */ ; */; select 2 -- ;\n; select 3",
		    (const char *const[]){"select 1", "select 2", "select 3", NULL});
	check_split("do $$ begin; end $$; do $f$ ; $$ ; $f$;",
		    (const char *const[]){"do $$ begin; end $$", "do $f$ ; $$ ; $f$", NULL});
	check_split("prepare p as select $1; execute p(1)",
		    (const char *const[]){"prepare p as select $1", "execute p(1)", NULL});
	check_split("select a[1;2]; b", (const char *const[]){"select a[1;2]", "b", NULL});
}

static void test_split_begin_atomic(void **state)
{
	(void)state;
	check_split("CREATE FUNCTION f() RETURNS int LANGUAGE sql\n"
		    "BEGIN ATOMIC\n"
		    "  SELECT 1;\n"
		    "  SELECT CASE WHEN true THEN 1 ELSE 2 END;\n"
		    "  SELECT 3;\n"
		    "END;\n"
		    "SELECT 4;",
		    (const char *const[]){"CREATE FUNCTION f() RETURNS int LANGUAGE sql\n"
					  "BEGIN ATOMIC\n"
					  "  SELECT 1;\n"
					  "  SELECT CASE WHEN true THEN 1 ELSE 2 END;\n"
					  "  SELECT 3;\n"
					  "END",
					  "SELECT 4", NULL});
	/* nested CASE inside the body, lower case, comment between BEGIN and ATOMIC */
	check_split("create procedure p() begin /* x */ atomic\n"
		    "select case when a then case when b then 1 end end from t;\n"
		    "end; select 5",
		    (const char *const[]){"create procedure p() begin /* x */ atomic\n"
					  "select case when a then case when b then 1 end end "
					  "from t;\nend",
					  "select 5", NULL});
	/* a plain transaction BEGIN is no body */
	check_split(
	    "begin; select case when true then 1 end; commit",
	    (const char *const[]){"begin", "select case when true then 1 end", "commit", NULL});
}

static void test_split_empty_statements(void **state)
{
	struct chunks cs;

	(void)state;
	check_split(";;select 1;;;", (const char *const[]){"select 1", NULL});
	check_split(" ; -- only\n ; /* c */ ;", (const char *const[]){NULL});
	split("", &cs);
	assert_int_equal(cs.n, 0);
	split("-- comment only\n/* and this */\n", &cs);
	assert_int_equal(cs.n, 0);
	/* raw_start moves past empty statements */
	const char *text = "; ;select 1";
	split(text, &cs);
	assert_int_equal(cs.n, 1);
	assert_int_equal(cs.c[0].raw_start, 3);
	assert_int_equal(cs.c[0].start, 3);
	assert_int_equal(cs.c[0].end, 11);
}

static void test_split_unterminated(void **state)
{
	(void)state;
	check_split("select 1; select 'abc; select 2",
		    (const char *const[]){"select 1", "select 'abc; select 2", NULL});
	check_split("select 1; /* open; select 2",
		    (const char *const[]){"select 1", "/* open; select 2", NULL});
	check_split("select (1; select 2", (const char *const[]){"select (1; select 2", NULL});
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic_kinds),
	    cmocka_unit_test(test_eof),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_escape_strings),
	    cmocka_unit_test(test_dollar_quotes),
	    cmocka_unit_test(test_comments),
	    cmocka_unit_test(test_quoted_identifiers),
	    cmocka_unit_test(test_unterminated),
	    cmocka_unit_test(test_token_is),
	    cmocka_unit_test(test_skip_space_and_comments),
	    cmocka_unit_test(test_last_token_end),
	    cmocka_unit_test(test_split_basic),
	    cmocka_unit_test(test_split_trims_comments),
	    cmocka_unit_test(test_split_top_level_only),
	    cmocka_unit_test(test_split_begin_atomic),
	    cmocka_unit_test(test_split_empty_statements),
	    cmocka_unit_test(test_split_unterminated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
