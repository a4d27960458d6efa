/*
 * lexer: a small SQL tokenizer that knows just enough of PostgreSQL's lexical
 * rules (strings, E'' strings, dollar quotes, quoted identifiers, nested
 * comments) to split statements when the parser can't, to trim statement
 * spans and to find comments and keywords. One pass, no allocation.
 */
#ifndef PGS_LEXER_H
#define PGS_LEXER_H

#include <stdbool.h>
#include <stdint.h>

enum pgs_token_kind {
	PGS_TOK_EOF,
	PGS_TOK_SPACE,
	PGS_TOK_COMMENT,    /* -- to end of line, or a (nested) C-style comment */
	PGS_TOK_WORD,       /* keyword, identifier or number */
	PGS_TOK_QUOTED,     /* "quoted identifier" */
	PGS_TOK_STRING,     /* '...', E'...', $tag$...$tag$ */
	PGS_TOK_SEMICOLON,
	PGS_TOK_OPEN,       /* ( or [ */
	PGS_TOK_CLOSE,      /* ) or ] */
	PGS_TOK_OTHER,      /* operators and other punctuation, one byte each */
	PGS_TOK_UNTERMINATED, /* string, identifier or comment running to the end */
};

struct pgs_token {
	enum pgs_token_kind kind;
	uint32_t start, end;
};

/* Read the token at pos (pos < end) from text; returns the token's end. */
uint32_t pgs_lex(const char *text, uint32_t pos, uint32_t end, struct pgs_token *tok);

/* Whether a WORD token equals the keyword kw (ASCII, case-insensitive). */
bool pgs_token_is(const char *text, const struct pgs_token *tok, const char *kw);

/* Offset of the first byte after pos that is neither space nor comment (or end). */
uint32_t pgs_skip_space_and_comments(const char *text, uint32_t pos, uint32_t end);

struct pgs_chunk {
	uint32_t raw_start; /* just after the previous statement's semicolon */
	uint32_t start;     /* first token */
	uint32_t end;       /* end of the last token before the semicolon */
};

/*
 * Split text[0..end) into statements the way PostgreSQL would: at semicolons
 * outside parentheses, strings, comments and BEGIN ATOMIC bodies. Calls fn
 * for every statement that holds a token. Linear in the text.
 */
void pgs_split(const char *text, uint32_t end, void (*fn)(void *data, const struct pgs_chunk *c),
	       void *data);

/* End of the last token in text[start..end), skipping trailing spaces and comments. */
uint32_t pgs_last_token_end(const char *text, uint32_t start, uint32_t end);

#endif
