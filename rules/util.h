/*
 * util: small helpers several rules share (finding a keyword in a statement
 * for a fix, joining relation names for a message, whether a transaction
 * goes on after the statement). Header-only: every .c file in rules/ is a rule.
 */
#ifndef PGS_RULES_UTIL_H
#define PGS_RULES_UTIL_H

#include <stdbool.h>
#include <string.h>

#include "lint/arena.h"
#include "lint/lexer.h"
#include "lint/rule.h"
#include "rules/rule_util.h"

/*
 * The first word token equal to kw (case-insensitive) outside parentheses
 * in text[from..to), or a token of kind PGS_TOK_EOF at `to` when there is none.
 */
static inline struct pgs_token pgs_util_find_word(const char *text, uint32_t from, uint32_t to,
						  const char *kw)
{
	struct pgs_token tok;
	int depth = 0;

	for (uint32_t pos = from; pos < to;) {
		pos = pgs_lex(text, pos, to, &tok);
		if (tok.kind == PGS_TOK_OPEN)
			depth++;
		else if (tok.kind == PGS_TOK_CLOSE)
			depth--;
		else if (depth == 0 && pgs_token_is(text, &tok, kw))
			return tok;
	}
	tok.kind = PGS_TOK_EOF;
	tok.start = tok.end = to;
	return tok;
}

/* The next token after pos that is not space or a comment (EOF at `to`). */
static inline struct pgs_token pgs_util_next_token(const char *text, uint32_t pos, uint32_t to)
{
	struct pgs_token tok;

	pos = pgs_skip_space_and_comments(text, pos, to);
	if (pos >= to) {
		tok.kind = PGS_TOK_EOF;
		tok.start = tok.end = to;
		return tok;
	}
	pgs_lex(text, pos, to, &tok);
	return tok;
}

/*
 * SQL-quoted labels of "schema.name" keys joined for a message: "a", "a and b",
 * "a, b and c" with and_words; "a, b, c" (as in SQL) without.
 */
static inline const char *pgs_util_join_relations(struct pgs_check *ctx, const char *const *keys,
						  size_t n, bool and_words)
{
	struct pgs_arena *arena = pgs_check_arena(ctx);
	const char *out = "";

	for (size_t i = 0; i < n; i++)
		out = pgs_arena_printf(arena, "%s%s%s", out,
				       i == 0			  ? ""
				       : i + 1 == n && and_words ? " and "
								  : ", ",
				       pgs_check_relation_label(ctx, keys[i]));
	return out;
}

/*
 * Whether the transaction the statement runs in goes on after it: another
 * statement follows before COMMIT / END / ROLLBACK / the end of the text the
 * tool runs. False outside a transaction.
 */
static inline bool pgs_util_txn_goes_on(const struct pgs_check *ctx)
{
	const char *text = pgs_check_text(ctx);
	uint32_t to = pgs_check_text_len(ctx);
	uint32_t pos = pgs_check_stmt(ctx)->span.end;
	struct pgs_token tok;

	if (!pgs_check_txn(ctx)->active)
		return false;
	for (;;) {
		tok = pgs_util_next_token(text, pos, to);
		if (tok.kind != PGS_TOK_SEMICOLON)
			break;
		pos = tok.end;
	}
	if (tok.kind == PGS_TOK_EOF)
		return false;
	return !pgs_token_is(text, &tok, "commit") && !pgs_token_is(text, &tok, "end") &&
	       !pgs_token_is(text, &tok, "rollback") && !pgs_token_is(text, &tok, "abort");
}

/*
 * Line break the file uses, for fixes that add lines: looked up next to the
 * statement (pgs_rules_eol), not by searching the whole file for each fix.
 */
static inline const char *pgs_util_newline(const struct pgs_check *ctx)
{
	const struct pgs_stmt *stmt = pgs_check_stmt(ctx);

	return pgs_rules_eol(pgs_check_text(ctx), stmt ? stmt->span.start : 0);
}

#endif
