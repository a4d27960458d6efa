#include "core/lexer.h"

#include <string.h>

static bool is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_ident_char(unsigned char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A dollar-quote opener "$tag$" at pos: its length, or 0 when it is not one. */
static uint32_t dollar_tag_len(const char *t, uint32_t pos, uint32_t end)
{
	uint32_t i = pos + 1;

	if (i < end && t[i] == '$')
		return 2;
	if (i >= end || !is_ident_start((unsigned char)t[i]))
		return 0;
	while (i < end && is_ident_char((unsigned char)t[i]) && t[i] != '$')
		i++;
	return i < end && t[i] == '$' ? i - pos + 1 : 0;
}

static uint32_t lex_quoted(const char *t, uint32_t pos, uint32_t end, char q, bool backslash,
			   struct pgs_token *tok)
{
	uint32_t i = pos + 1;

	while (i < end) {
		if (backslash && t[i] == '\\' && i + 1 < end) {
			i += 2;
		} else if (t[i] == q) {
			if (i + 1 < end && t[i + 1] == q) {
				i += 2;
			} else {
				tok->end = i + 1;
				return tok->end;
			}
		} else {
			i++;
		}
	}
	tok->kind = PGS_TOK_UNTERMINATED;
	tok->end = end;
	return end;
}

uint32_t pgs_lex(const char *t, uint32_t pos, uint32_t end, struct pgs_token *tok)
{
	unsigned char c = (unsigned char)t[pos];
	uint32_t i = pos;

	tok->start = pos;
	if (pos >= end) {
		tok->kind = PGS_TOK_EOF;
		tok->end = end;
		return end;
	}
	if (is_space(c)) {
		while (i < end && is_space((unsigned char)t[i]))
			i++;
		tok->kind = PGS_TOK_SPACE;
		return tok->end = i;
	}
	if (c == '-' && i + 1 < end && t[i + 1] == '-') {
		while (i < end && t[i] != '\n')
			i++;
		tok->kind = PGS_TOK_COMMENT;
		return tok->end = i;
	}
	if (c == '/' && i + 1 < end && t[i + 1] == '*') {
		int depth = 1;

		i += 2;
		while (i < end && depth > 0) {
			if (t[i] == '/' && i + 1 < end && t[i + 1] == '*') {
				depth++;
				i += 2;
			} else if (t[i] == '*' && i + 1 < end && t[i + 1] == '/') {
				depth--;
				i += 2;
			} else {
				i++;
			}
		}
		tok->kind = depth ? PGS_TOK_UNTERMINATED : PGS_TOK_COMMENT;
		return tok->end = i;
	}
	if (c == '\'') {
		tok->kind = PGS_TOK_STRING;
		return lex_quoted(t, pos, end, '\'', false, tok);
	}
	if (c == '"') {
		tok->kind = PGS_TOK_QUOTED;
		return lex_quoted(t, pos, end, '"', false, tok);
	}
	if ((c == 'e' || c == 'E') && i + 1 < end && t[i + 1] == '\'') {
		tok->kind = PGS_TOK_STRING;
		return lex_quoted(t, pos + 1, end, '\'', true, tok);
	}
	if (c == '$') {
		uint32_t n = dollar_tag_len(t, pos, end);

		if (n) {
			for (i = pos + n; i + n <= end; i++) {
				if (t[i] == '$' && memcmp(t + i, t + pos, n) == 0) {
					tok->kind = PGS_TOK_STRING;
					return tok->end = i + n;
				}
			}
			tok->kind = PGS_TOK_UNTERMINATED;
			return tok->end = end;
		}
		/* $1 parameter */
		i++;
		while (i < end && t[i] >= '0' && t[i] <= '9')
			i++;
		tok->kind = PGS_TOK_WORD;
		return tok->end = i;
	}
	if (is_ident_start(c) || (c >= '0' && c <= '9')) {
		while (i < end && is_ident_char((unsigned char)t[i]))
			i++;
		tok->kind = PGS_TOK_WORD;
		return tok->end = i;
	}
	tok->end = pos + 1;
	tok->kind = c == ';' ? PGS_TOK_SEMICOLON
		    : (c == '(' || c == '[') ? PGS_TOK_OPEN
		    : (c == ')' || c == ']') ? PGS_TOK_CLOSE
					     : PGS_TOK_OTHER;
	return tok->end;
}

bool pgs_token_is(const char *text, const struct pgs_token *tok, const char *kw)
{
	size_t n = strlen(kw);

	if (tok->kind != PGS_TOK_WORD || tok->end - tok->start != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = text[tok->start + i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != kw[i])
			return false;
	}
	return true;
}

uint32_t pgs_skip_space_and_comments(const char *text, uint32_t pos, uint32_t end)
{
	struct pgs_token tok;

	while (pos < end) {
		uint32_t next = pgs_lex(text, pos, end, &tok);

		if (tok.kind != PGS_TOK_SPACE && tok.kind != PGS_TOK_COMMENT)
			return pos;
		pos = next;
	}
	return end;
}

uint32_t pgs_last_token_end(const char *text, uint32_t start, uint32_t end)
{
	struct pgs_token tok;
	uint32_t last = start;

	while (start < end) {
		start = pgs_lex(text, start, end, &tok);
		if (tok.kind != PGS_TOK_SPACE && tok.kind != PGS_TOK_COMMENT)
			last = tok.end;
	}
	return last;
}

/*
 * Statement splitter state. BEGIN ATOMIC bodies (SQL-standard function
 * bodies) hold semicolons; CASE ... END pairs inside them are counted so the
 * body's own END is found.
 */
struct splitter {
	struct pgs_chunk cur;
	bool has_token;
	int parens;
	int atomic; /* > 0 inside a BEGIN ATOMIC body: open BEGIN/CASE count */
	struct pgs_token prev;
};

void pgs_split(const char *text, uint32_t end, void (*fn)(void *data, const struct pgs_chunk *c),
	       void *data)
{
	struct splitter s = {0};
	struct pgs_token tok;
	uint32_t pos = 0;

	while (pos < end) {
		pos = pgs_lex(text, pos, end, &tok);
		if (tok.kind == PGS_TOK_SPACE || tok.kind == PGS_TOK_COMMENT)
			continue;
		if (tok.kind == PGS_TOK_SEMICOLON && s.parens <= 0 && s.atomic == 0) {
			if (s.has_token)
				fn(data, &s.cur);
			memset(&s, 0, sizeof(s));
			s.cur.raw_start = tok.end;
			continue;
		}
		if (!s.has_token) {
			s.has_token = true;
			s.cur.start = tok.start;
		}
		s.cur.end = tok.end;
		if (tok.kind == PGS_TOK_OPEN)
			s.parens++;
		else if (tok.kind == PGS_TOK_CLOSE)
			s.parens--;
		else if (tok.kind == PGS_TOK_WORD) {
			if (pgs_token_is(text, &tok, "atomic") && pgs_token_is(text, &s.prev, "begin"))
				s.atomic++;
			else if (s.atomic && pgs_token_is(text, &tok, "case"))
				s.atomic++;
			else if (s.atomic && pgs_token_is(text, &tok, "end"))
				s.atomic--;
		}
		s.prev = tok;
	}
	if (s.has_token)
		fn(data, &s.cur);
}
