#include "lint/ignore.h"

#include <string.h>

#include "core/lexer.h"
#include "rules/registry.h"

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* Parse "RULE[, RULE]...[: reason]" from p to end into ig. */
static void parse_rules(struct pgs_ignore *ig, struct pgs_arena *arena, const char *p,
			const char *end)
{
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		if (p >= end || *p == ':')
			break;
		const char *start = p;
		while (p < end && is_name_char(*p))
			p++;
		if (p == start) {
			ig->error = pgs_arena_printf(arena, "unexpected '%c' in pgstage-ignore; expected "
							    "a rule name",
						     *p);
			ig->n_rules = 0;
			return;
		}
		const char *name = pgs_arena_strndup(arena, start, (size_t)(p - start));
		const struct pgs_rule *rule = pgs_rule_find(name);
		if (!rule) {
			ig->error = pgs_arena_printf(arena, "pgstage-ignore names no rule '%s' "
							    "(pgstage rules lists them)",
						     name);
			ig->n_rules = 0;
			return;
		}
		if (ig->n_rules < PGS_IGNORE_MAX_RULES)
			ig->rules[ig->n_rules++] = rule;
	}
	if (ig->n_rules == 0)
		ig->error = ig->file_wide ? "pgstage-ignore-file needs the name of the rule it "
					    "suppresses"
					  : "pgstage-ignore needs the name of the rule it suppresses";
}

/* A directive in one comment's text, or false when the comment holds none. */
static bool parse_comment(struct pgs_ignore *ig, struct pgs_arena *arena, const char *text,
			  const struct pgs_token *tok, bool file_wide)
{
	const char *p = text + tok->start, *end = text + tok->end;
	const char *kw = file_wide ? "pgstage-ignore-file" : "pgstage-ignore";
	size_t n = strlen(kw);

	p += 2; /* "--" or slash-star */
	if (text[tok->start] == '/')
		end -= 2;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(end - p) < n || strncmp(p, kw, n) != 0)
		return false;
	p += n;
	/* "pgstage-ignore-file" must not be read as pgstage-ignore */
	if (p < end && is_name_char(*p))
		return false;
	memset(ig, 0, sizeof(*ig));
	ig->span.start = tok->start;
	ig->span.end = tok->end;
	ig->file_wide = file_wide;
	parse_rules(ig, arena, p, end);
	return true;
}

void pgs_ignore_scan(struct pgs_ignores *out, struct pgs_arena *arena, const char *text,
		     uint32_t start, uint32_t end, bool file_wide)
{
	struct pgs_token tok;

	while (start < end) {
		start = pgs_lex(text, start, end, &tok);
		if (tok.kind != PGS_TOK_COMMENT)
			continue;
		struct pgs_ignore ig;
		if (parse_comment(&ig, arena, text, &tok, file_wide))
			*(struct pgs_ignore *)pgs_arena_push(arena, (void **)&out->items, &out->n,
							     &out->cap, sizeof(ig)) = ig;
	}
}

bool pgs_ignore_match(struct pgs_ignores *list, const struct pgs_rule *rule)
{
	bool matched = false;

	for (size_t i = 0; i < list->n; i++)
		for (size_t k = 0; k < list->items[i].n_rules; k++)
			if (list->items[i].rules[k] == rule) {
				list->items[i].used[k] = true;
				matched = true;
			}
	return matched;
}
