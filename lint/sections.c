#include "lint/sections.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char *const tool_names[] = {
	[PGS_TOOL_AUTO] = "auto",
	[PGS_TOOL_PLAIN] = "plain",
	[PGS_TOOL_GOOSE] = "goose",
	[PGS_TOOL_DBMATE] = "dbmate",
	[PGS_TOOL_GOLANG_MIGRATE] = "golang-migrate",
	[PGS_TOOL_FLYWAY] = "flyway",
};

const char *pgs_path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

bool pgs_path_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

const char *pgs_tool_name(enum pgs_tool tool)
{
	return tool_names[tool];
}

int pgs_tool_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(tool_names) / sizeof(tool_names[0]); i++)
		if (strcmp(name, tool_names[i]) == 0)
			return (int)i;
	return -1;
}


/* flyway names: V<version>__<desc>.sql, U<version>__<desc>.sql, R__<desc>.sql */
static bool is_flyway_name(const char *base, char *kind)
{
	if ((base[0] == 'R') && base[1] == '_' && base[2] == '_') {
		*kind = 'R';
		return true;
	}
	if ((base[0] == 'V' || base[0] == 'U') && isdigit((unsigned char)base[1])) {
		const char *p = base + 1;

		while (isdigit((unsigned char)*p) || *p == '.' || (*p == '_' && p[1] != '_'))
			p++;
		if (p[0] == '_' && p[1] == '_') {
			*kind = base[0];
			return true;
		}
	}
	return false;
}

/* One annotation line: "-- <tag>" after optional spaces; returns text after the tag. */
static const char *annotation(const char *line, const char *end, const char *tag)
{
	const char *p = line;
	size_t n = strlen(tag);

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (end - p < 2 || p[0] != '-' || p[1] != '-')
		return NULL;
	p += 2;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(end - p) < n || strncmp(p, tag, n) != 0)
		return NULL;
	return p + n;
}

static bool line_has_word(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);

	for (; p + n <= end; p++)
		if (strncmp(p, word, n) == 0)
			return true;
	return false;
}

enum pgs_tool pgs_tool_detect(const char *path, const char *text, size_t len)
{
	const char *base = pgs_path_base(path);
	const char *end = text + len;
	char kind;

	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;

		if (annotation(line, eol, "+goose "))
			return PGS_TOOL_GOOSE;
		if (annotation(line, eol, "migrate:up") || annotation(line, eol, "migrate:down"))
			return PGS_TOOL_DBMATE;
		line = nl ? nl + 1 : end;
	}
	if (pgs_path_ends_with(base, ".up.sql") || pgs_path_ends_with(base, ".down.sql"))
		return PGS_TOOL_GOLANG_MIGRATE;
	if (is_flyway_name(base, &kind))
		return PGS_TOOL_FLYWAY;
	return PGS_TOOL_PLAIN;
}

static void add_part(struct pgs_arena *arena, struct pgs_span **parts, size_t *n, size_t *cap,
		     uint32_t start, uint32_t end)
{
	if (end <= start)
		return;
	struct pgs_span *s = pgs_arena_push(arena, (void **)parts, n, cap, sizeof(**parts));
	s->start = start;
	s->end = end;
}

/*
 * goose and dbmate: annotation lines switch between up and down. Text before
 * the first annotation belongs to neither.
 */
static void find_annotated(struct pgs_sections *out, struct pgs_arena *arena,
			   const struct pgs_source *src, bool goose)
{
	const char *text = src->text, *end = src->text + src->len;
	size_t cap_up = 0, cap_down = 0;
	int dir = -1; /* -1 none yet, else enum pgs_direction */
	uint32_t part_start = 0;
	bool seen = false;

	out->txn = PGS_TXN_WRAPPED;
	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;
		const char *rest;
		int next = -2;

		if (goose && (rest = annotation(line, eol, "+goose "))) {
			while (rest < eol && *rest == ' ')
				rest++;
			if (strncasecmp(rest, "Up", 2) == 0)
				next = PGS_DIR_UP;
			else if (strncasecmp(rest, "Down", 4) == 0)
				next = PGS_DIR_DOWN;
			else if (strncasecmp(rest, "NO TRANSACTION", 14) == 0)
				out->txn = PGS_TXN_NONE;
		} else if (!goose && (rest = annotation(line, eol, "migrate:up"))) {
			next = PGS_DIR_UP;
			if (dir != PGS_DIR_DOWN && line_has_word(rest, eol, "transaction:false"))
				out->txn = PGS_TXN_NONE;
		} else if (!goose && (rest = annotation(line, eol, "migrate:down"))) {
			next = PGS_DIR_DOWN;
		}
		if (next != -2) {
			uint32_t at = (uint32_t)(line - text);

			if (dir == PGS_DIR_UP)
				add_part(arena, &out->up, &out->n_up, &cap_up, part_start, at);
			else if (dir == PGS_DIR_DOWN)
				add_part(arena, &out->down, &out->n_down, &cap_down, part_start, at);
			dir = next;
			seen = true;
			part_start = (uint32_t)((nl ? nl + 1 : end) - text);
		}
		line = nl ? nl + 1 : end;
	}
	if (dir == PGS_DIR_UP)
		add_part(arena, &out->up, &out->n_up, &cap_up, part_start, src->len);
	else if (dir == PGS_DIR_DOWN)
		add_part(arena, &out->down, &out->n_down, &cap_down, part_start, src->len);
	if (!seen) {
		out->note = goose ? "no '-- +goose Up' annotation: the whole file is treated as up"
				  : "no '-- migrate:up' annotation: the whole file is treated as up";
		add_part(arena, &out->up, &out->n_up, &cap_up, 0, src->len);
	}
}

void pgs_sections_find(struct pgs_sections *out, struct pgs_arena *arena,
		       const struct pgs_source *src, enum pgs_tool tool, bool flyway_no_txn)
{
	const char *base = pgs_path_base(src->path);
	size_t cap = 0;
	char kind = 0;

	memset(out, 0, sizeof(*out));
	if (tool == PGS_TOOL_AUTO)
		tool = pgs_tool_detect(src->path, src->text, src->len);
	out->tool = tool;
	switch (tool) {
	case PGS_TOOL_GOOSE:
	case PGS_TOOL_DBMATE:
		find_annotated(out, arena, src, tool == PGS_TOOL_GOOSE);
		return;
	case PGS_TOOL_GOLANG_MIGRATE:
		out->txn = PGS_TXN_MULTI_STATEMENT;
		out->file_direction = pgs_path_ends_with(base, ".down.sql") ? PGS_DIR_DOWN : PGS_DIR_UP;
		break;
	case PGS_TOOL_FLYWAY:
		out->txn = flyway_no_txn ? PGS_TXN_NONE : PGS_TXN_WRAPPED;
		is_flyway_name(base, &kind);
		out->file_direction = kind == 'U' ? PGS_DIR_DOWN : PGS_DIR_UP;
		break;
	case PGS_TOOL_AUTO:
	case PGS_TOOL_PLAIN:
		out->txn = PGS_TXN_NONE;
		break;
	}
	if (out->file_direction == PGS_DIR_DOWN)
		add_part(arena, &out->down, &out->n_down, &cap, 0, src->len);
	else
		add_part(arena, &out->up, &out->n_up, &cap, 0, src->len);
}

const char *pgs_sections_mask(const struct pgs_source *src, struct pgs_arena *arena,
			      const struct pgs_span *parts, size_t n_parts)
{
	if (n_parts == 1 && parts[0].start == 0 && parts[0].end == src->len && !src->bom)
		return src->text;

	char *masked = pgs_arena_alloc(arena, (size_t)src->len + 1);
	size_t k = 0;

	for (uint32_t i = 0; i < src->len; i++) {
		while (k < n_parts && parts[k].end <= i)
			k++;
		bool keep = k < n_parts && parts[k].start <= i && i >= src->bom;

		masked[i] = keep || src->text[i] == '\n' ? src->text[i] : ' ';
	}
	return masked;
}
