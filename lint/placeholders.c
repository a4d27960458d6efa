#include "lint/placeholders.h"

#include <stdlib.h>
#include <string.h>

/* The substituted text as it grows (heap). */
struct text_buf {
	char *data;
	size_t len, cap;
};

static void buf_add(struct text_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = 2 * (b->len + n + 1);
		b->data = pgs_xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

/* Flyway's default placeholders, with a value that parses where Flyway's would. */
static const struct {
	const char *name, *value;
} flyway_builtins[] = {
    {"defaultSchema", "public"},
    {"user", "flyway"},
    {"database", "flyway"},
    {"timestamp", "2000-01-01 00:00:00"},
    {"filename", "migration.sql"},
    {"workingDirectory", "."},
    {"table", "flyway_schema_history"},
    {"environment", "default"},
};

const char *pgs_placeholders_flyway_builtin(const char *name, size_t len)
{
	if (len < 7 || memcmp(name, "flyway:", 7) != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(flyway_builtins) / sizeof(flyway_builtins[0]); i++)
		if (strlen(flyway_builtins[i].name) == len - 7 &&
		    memcmp(flyway_builtins[i].name, name + 7, len - 7) == 0)
			return flyway_builtins[i].value;
	return NULL;
}

/* The longest definition whose text starts at text + at, or NULL. */
static const struct pgs_placeholder *match_def(const char *text, uint32_t at, uint32_t len,
					       const struct pgs_placeholder *defs, size_t n_defs)
{
	const struct pgs_placeholder *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < n_defs; i++) {
		size_t n = strlen(defs[i].text);
		if (n > best_len && n <= len - at && text[at] == defs[i].text[0] &&
		    memcmp(text + at, defs[i].text, n) == 0) {
			best = &defs[i];
			best_len = n;
		}
	}
	return best;
}

/* Length of "${name}" at text + at (flyway syntax: no newline, no nested "${"), or 0. */
static uint32_t flyway_length(const char *text, uint32_t at, uint32_t len)
{
	if (at + 3 > len || text[at] != '$' || text[at + 1] != '{')
		return 0;
	for (uint32_t i = at + 2; i < len && i < at + 256; i++) {
		if (text[i] == '}')
			return i > at + 2 ? i + 1 - at : 0;
		if (text[i] == '\n' || text[i] == '$' || text[i] == '{')
			return 0;
	}
	return 0;
}

static bool seen_name(const struct pgs_substitution *out, const char *text, const char *name,
		      uint32_t n)
{
	for (size_t i = 0; i < out->n_unknown; i++) {
		const struct pgs_span *u = &out->unknown[i];
		if (u->end - u->start == n && memcmp(text + u->start, name, n) == 0)
			return true;
	}
	return false;
}

void pgs_placeholders_substitute(struct pgs_substitution *out, struct pgs_arena *arena,
				 const char *text, uint32_t len, const struct pgs_placeholder *defs,
				 size_t n_defs, bool flyway)
{
	struct text_buf buf = {0};
	size_t cap = 0, cap_unknown = 0;
	bool first_byte[256] = {false};

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n_defs; i++)
		first_byte[(unsigned char)defs[i].text[0]] = true;
	first_byte['$'] |= flyway;
	uint32_t copied = 0;
	for (uint32_t at = 0; at < len; at++) {
		if (!first_byte[(unsigned char)text[at]])
			continue;
		const struct pgs_placeholder *def = match_def(text, at, len, defs, n_defs);
		uint32_t n = def ? (uint32_t)strlen(def->text) : 0;
		const char *value = def ? def->value : NULL;
		if (!def && flyway && (n = flyway_length(text, at, len)) > 0) {
			value = pgs_placeholders_flyway_builtin(text + at + 2, n - 3);
			if (!value) {
				/* unknown: left as written (a syntax error follows), noted once */
				if (!seen_name(out, text, text + at, n)) {
					if (out->n_unknown == cap_unknown) {
						cap_unknown = cap_unknown ? 2 * cap_unknown : 4;
						struct pgs_span *grown = pgs_arena_array(
						    arena, cap_unknown, sizeof(*grown));
						if (out->n_unknown)
							memcpy(grown, out->unknown,
							       out->n_unknown * sizeof(*grown));
						out->unknown = grown;
					}
					out->unknown[out->n_unknown++] =
					    (struct pgs_span){at, at + n};
				}
				at += n - 1;
				continue;
			}
		}
		if (!value)
			continue;
		buf_add(&buf, text + copied, at - copied);
		if (out->n_expansions == cap) {
			cap = cap ? 2 * cap : 8;
			struct pgs_expansion *grown = pgs_arena_array(arena, cap, sizeof(*grown));
			if (out->n_expansions)
				memcpy(grown, out->expansions, out->n_expansions * sizeof(*grown));
			out->expansions = grown;
		}
		uint32_t to = (uint32_t)buf.len;
		buf_add(&buf, value, strlen(value));
		out->expansions[out->n_expansions++] =
		    (struct pgs_expansion){{at, at + n}, {to, (uint32_t)buf.len}};
		at += n - 1;
		copied = at + 1;
	}
	if (!out->n_expansions) {
		out->text = text;
		out->len = len;
	} else {
		buf_add(&buf, text + copied, len - copied);
		out->text = pgs_arena_strndup(arena, buf.data, buf.len);
		out->len = (uint32_t)buf.len;
	}
	free(buf.data);
}

uint32_t pgs_placeholders_original(const struct pgs_substitution *s, uint32_t offset, bool end)
{
	/* the last expansion starting at or before offset */
	size_t lo = 0, hi = s->n_expansions;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->expansions[mid].to.start <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return offset;
	const struct pgs_expansion *e = &s->expansions[lo - 1];
	if (offset == e->to.start)
		return e->from.start;
	if (offset < e->to.end)
		return end ? e->from.end : e->from.start;
	return offset - e->to.end + e->from.end;
}

bool pgs_placeholders_touches(const struct pgs_substitution *s, struct pgs_span span)
{
	for (size_t i = 0; i < s->n_expansions; i++) {
		const struct pgs_span *t = &s->expansions[i].to;
		if (t->start >= span.end && span.end > span.start)
			break;
		/* a replaced range overlapping the text, or an insertion strictly inside it */
		if (span.end > span.start ? span.start < t->end && span.end > t->start
					  : span.start > t->start && span.start < t->end)
			return true;
	}
	return false;
}
