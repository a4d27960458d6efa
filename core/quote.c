#include "core/quote.h"

#include <string.h>

#include "core/pgdata/pgdata.h"

bool pgs_ident_needs_quotes(const char *name)
{
	if (!name || !*name)
		return true;
	if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return true;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '$'))
			return true;
	char category = pgs_pgdata_keyword_category(name);
	return category && category != 'U';
}

const char *pgs_quote_ident(struct pgs_arena *arena, const char *name)
{
	if (!pgs_ident_needs_quotes(name))
		return name;
	size_t n = 2;
	for (const char *p = name; *p; p++)
		n += *p == '"' ? 2 : 1;
	char *out = pgs_arena_alloc(arena, n + 1), *o = out;
	*o++ = '"';
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			*o++ = '"';
		*o++ = *p;
	}
	*o++ = '"';
	return out;
}

const char *pgs_quote_relation(struct pgs_arena *arena, const char *key)
{
	const char *dot = strchr(key, '.');

	if (!dot)
		return pgs_quote_ident(arena, key);
	const char *schema = pgs_arena_strndup(arena, key, (size_t)(dot - key));
	if (strcmp(schema, "public") == 0)
		return pgs_quote_ident(arena, dot + 1);
	return pgs_arena_printf(arena, "%s.%s", pgs_quote_ident(arena, schema),
				pgs_quote_ident(arena, dot + 1));
}

const char *pgs_quote_literal(struct pgs_arena *arena, const char *s)
{
	bool backslash = strchr(s, '\\') != NULL;
	size_t n = 3;

	for (const char *p = s; *p; p++)
		n += *p == '\'' || *p == '\\' ? 2 : 1;
	char *out = pgs_arena_alloc(arena, n + 1), *o = out;
	if (backslash)
		*o++ = 'E';
	*o++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'' || (*p == '\\' && backslash))
			*o++ = *p;
		*o++ = *p;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

const char *pgs_dollar_quote(struct pgs_arena *arena, const char *body)
{
	const char *tag = "$pgstage$";

	for (unsigned i = 1; strstr(body, tag); i++)
		tag = pgs_arena_printf(arena, "$pgstage%u$", i);
	return pgs_arena_printf(arena, "%s\n%s%s", tag, body, tag);
}
