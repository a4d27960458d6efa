#include <string.h>

#include "core/lexer.h"
#include "lint/rule.h"

/* PostgreSQL's NAMEDATALEN - 1: longer identifiers are truncated. */
#define MAX_IDENT_BYTES 63

/* Bytes of name kept by PostgreSQL: at most 63, never cutting a UTF-8 character. */
static size_t clip(const char *name, size_t len)
{
	size_t cut = MAX_IDENT_BYTES;

	if (len <= cut)
		return len;
	while (cut > 0 && ((unsigned char)name[cut] & 0xC0) == 0x80)
		cut--;
	return cut;
}

/* The identifier a token spells: unquoted ones folded to lower case, quoted ones unescaped. */
static char *identifier(struct pgs_arena *arena, const char *text, const struct pgs_token *tok)
{
	char *out = pgs_arena_alloc(arena, tok->end - tok->start + 1), *o = out;

	if (tok->kind == PGS_TOK_QUOTED) {
		for (uint32_t i = tok->start + 1; i + 1 < tok->end; i++) {
			*o++ = text[i];
			if (text[i] == '"')
				i++; /* "" stands for one " */
		}
	} else {
		for (uint32_t i = tok->start; i < tok->end; i++) {
			char c = text[i];
			*o++ = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		}
	}
	*o = '\0';
	return out;
}

/* The token as it would be written with its name truncated, for the fix. */
static const char *truncated_token(struct pgs_arena *arena, const char *text,
				   const struct pgs_token *tok, const char *name, size_t kept)
{
	if (tok->kind != PGS_TOK_QUOTED)
		return pgs_arena_strndup(arena, text + tok->start, kept);
	char *out = pgs_arena_alloc(arena, 2 * kept + 3), *o = out;
	*o++ = '"';
	for (size_t i = 0; i < kept; i++) {
		if (name[i] == '"')
			*o++ = '"';
		*o++ = name[i];
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

static void check(struct pgs_check *ctx)
{
	const char *text = pgs_check_text(ctx);
	struct pgs_span span = pgs_check_stmt(ctx)->span;
	struct pgs_arena *arena = pgs_check_arena(ctx);
	struct pgs_token tok, prev[2] = {{0}, {0}};
	const char **seen = NULL;
	size_t n_seen = 0, cap_seen = 0;

	for (uint32_t pos = span.start; pos < span.end;) {
		pos = pgs_lex(text, pos, span.end, &tok);
		if (tok.kind == PGS_TOK_SPACE || tok.kind == PGS_TOK_COMMENT)
			continue;
		/* U&"..." holds escapes: its length is not the name's */
		bool unicode = tok.kind == PGS_TOK_QUOTED && prev[1].kind == PGS_TOK_OTHER &&
			       text[prev[1].start] == '&' && prev[1].end == tok.start &&
			       prev[0].end == prev[1].start && pgs_token_is(text, &prev[0], "u");
		prev[0] = prev[1];
		prev[1] = tok;
		if (unicode || tok.end - tok.start <= MAX_IDENT_BYTES)
			continue;
		if (tok.kind == PGS_TOK_WORD) {
			char c = text[tok.start];
			if ((c >= '0' && c <= '9') || c == '$')
				continue; /* a number or a parameter */
		} else if (tok.kind != PGS_TOK_QUOTED) {
			continue;
		}
		const char *name = identifier(arena, text, &tok);
		size_t len = strlen(name), kept = clip(name, len);
		if (kept == len)
			continue;
		const char *short_name = pgs_arena_strndup(arena, name, kept);
		bool repeated = false;
		for (size_t i = 0; i < n_seen; i++)
			repeated |= strcmp(seen[i], short_name) == 0;
		if (repeated)
			continue;
		const char **slot =
		    pgs_arena_push(arena, (void **)&seen, &n_seen, &cap_seen, sizeof(*slot));
		*slot = short_name;

		struct pgs_diag *d = pgs_report(ctx, (struct pgs_span){tok.start, tok.end},
						"identifier is %zu bytes long: PostgreSQL silently "
						"truncates it to %s (%zu bytes)",
						len, pgs_check_quote(ctx, short_name), kept);
		pgs_diag_note(ctx, d,
			      "names are at most 63 bytes; two names that agree in their first 63 "
			      "bytes are the same name, and tools that look the object up by the "
			      "full name don't find it");
		pgs_diag_help(ctx, d, "choose a name of at most 63 bytes");
		pgs_diag_fix(ctx, d, "write the name PostgreSQL will use", true);
		pgs_diag_edit(ctx, d, (struct pgs_span){tok.start, tok.end},
			      truncated_token(arena, text, &tok, name, kept));
	}
}

const struct pgs_rule pgs_rule_identifier_too_long = {
    .id = "M501",
    .name = "identifier-too-long",
    .severity = PGS_SEV_WARNING,
    .summary = "an identifier longer than 63 bytes is silently truncated",
    .docs = "## Problem\n\n"
	    "PostgreSQL identifiers are at most 63 bytes (NAMEDATALEN - 1). A longer one is\n"
	    "truncated with only a NOTICE: the table, column, index or constraint gets\n"
	    "the first 63 bytes as its name. Two long names that share those bytes are\n"
	    "the same name (\"relation already exists\", or the wrong object is altered or\n"
	    "dropped), and tools that compare names with the migration's text (ORMs,\n"
	    "schema diff tools) don't find the object.\n\n"
	    "The limit counts bytes, not characters: a name of 40 accented letters is 80\n"
	    "bytes in UTF-8. A character is never cut in half: the name is cut before\n"
	    "it (this assumes a UTF-8 database). Every identifier of the statement is\n"
	    "checked, quoted or not, each distinct name once per statement.\n\n"
	    "## Fix\n\n"
	    "Choose a shorter name. The fix writes the name PostgreSQL actually uses;\n"
	    "it changes nothing for the server and is safe, but a name chosen by a\n"
	    "person is usually better.\n",
    .example_bad =
	"CREATE INDEX orders_customer_id_created_at_status_shipping_country_partial_idx\n"
	"    ON orders (customer_id, created_at, status, shipping_country);",
    .example_good = "CREATE INDEX orders_customer_created_status_country_idx\n"
		    "    ON orders (customer_id, created_at, status, shipping_country);",
    .check = check,
};
