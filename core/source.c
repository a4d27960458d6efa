#include "core/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/arena.h"

long pgs_utf8_invalid_at(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 2;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 3;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 4;
			cp = c & 0x07;
		} else {
			return (long)i;
		}
		if (len - i < n)
			return (long)i;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return (long)i;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		/* overlong forms, surrogates and values past U+10FFFF */
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return (long)i;
		i += n;
	}
	return -1;
}

const char *pgs_utf8_repair(struct pgs_arena *arena, const char *s)
{
	size_t len = s ? strlen(s) : 0;
	long bad = s ? pgs_utf8_invalid_at(s, len) : -1;

	if (bad < 0)
		return s;
	/* each invalid byte becomes 3 bytes at most */
	char *out = pgs_arena_alloc(arena, 3 * len + 1), *o = out;
	size_t i = 0;
	while (i < len) {
		bad = pgs_utf8_invalid_at(s + i, len - i);
		size_t good = bad < 0 ? len - i : (size_t)bad;
		memcpy(o, s + i, good);
		o += good;
		i += good;
		if (i < len) {
			memcpy(o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		}
	}
	*o = '\0';
	return out;
}

uint32_t pgs_utf8_count(const char *text, size_t n)
{
	uint32_t count = 0;

	for (size_t i = 0; i < n; i++)
		count += ((unsigned char)text[i] & 0xC0) != 0x80;
	return count;
}

static void build_line_map(struct pgs_source *src, struct pgs_arena *arena)
{
	uint32_t lines = 1;
	uint32_t n_marks = src->len / PGS_SOURCE_MARK_BYTES + 1;

	for (uint32_t i = 0; i < src->len; i++)
		lines += src->text[i] == '\n';
	src->line_starts = pgs_arena_array(arena, lines, sizeof(*src->line_starts));
	src->n_lines = 0;
	src->line_starts[src->n_lines++] = 0;
	for (uint32_t i = 0; i < src->len; i++)
		if (src->text[i] == '\n')
			src->line_starts[src->n_lines++] = i + 1;
	src->marks = pgs_arena_array(arena, n_marks, sizeof(*src->marks));
	for (uint32_t k = 1; k < n_marks; k++)
		src->marks[k] = src->marks[k - 1] +
				pgs_utf8_count(src->text + (size_t)(k - 1) * PGS_SOURCE_MARK_BYTES,
					       PGS_SOURCE_MARK_BYTES);
}

/* Code points in text[0..offset). */
static uint32_t code_points_before(const struct pgs_source *src, uint32_t offset)
{
	uint32_t block = offset / PGS_SOURCE_MARK_BYTES;
	uint32_t from = block * PGS_SOURCE_MARK_BYTES;

	return src->marks[block] + pgs_utf8_count(src->text + from, offset - from);
}

int pgs_source_from_memory(struct pgs_source *src, struct pgs_arena *arena, const char *path,
			   const char *text, size_t len, struct pgs_error *err)
{
	memset(src, 0, sizeof(*src));
	src->path = pgs_arena_strdup(arena, path);
	if (len > PGS_SOURCE_MAX_BYTES)
		return pgs_error_set(err, "%s: file is larger than %zu MiB; refusing to read it", path,
				     PGS_SOURCE_MAX_BYTES >> 20);
	src->text = pgs_arena_strndup(arena, text, len);
	src->len = (uint32_t)len;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		src->bom = 3; /* before any position is computed: the BOM is no column */
	build_line_map(src, arena);

	const char *nul = memchr(text, '\0', len);
	if (nul) {
		struct pgs_pos p = pgs_source_pos(src, (uint32_t)(nul - text));
		return pgs_error_set(err, "%s:%u:%u: file holds a NUL byte (a binary file?); not linted",
				     path, p.line, p.column);
	}
	long bad = pgs_utf8_invalid_at(text, len);
	if (bad >= 0) {
		struct pgs_pos p = pgs_source_pos(src, (uint32_t)bad);
		return pgs_error_set(err, "%s:%u:%u: invalid UTF-8 (byte 0x%02x at offset %ld); not linted",
				     path, p.line, p.column, (unsigned char)text[bad], bad);
	}
	return 0;
}

int pgs_source_load(struct pgs_source *src, struct pgs_arena *arena, const char *path,
		    struct pgs_error *err)
{
	bool is_stdin = strcmp(path, "-") == 0;
	const char *shown = is_stdin ? "<stdin>" : path;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	struct stat st;

	if (!f)
		return pgs_error_set(err, "%s: cannot read: %s", shown, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		if (!is_stdin)
			fclose(f);
		return pgs_error_set(err, "%s: is a directory", shown);
	}

	size_t cap = 64 * 1024, len = 0;
	char *buf = pgs_xmalloc(cap);
	for (;;) {
		if (len == cap) {
			if (cap > PGS_SOURCE_MAX_BYTES)
				break;
			cap *= 2;
			buf = pgs_xrealloc(buf, cap);
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	int failed = ferror(f);
	int saved = errno;
	if (!is_stdin)
		fclose(f);
	if (failed) {
		free(buf);
		return pgs_error_set(err, "%s: cannot read: %s", shown, strerror(saved));
	}
	int rc = pgs_source_from_memory(src, arena, shown, buf, len, err);
	free(buf);
	return rc;
}

struct pgs_pos pgs_source_pos(const struct pgs_source *src, uint32_t offset)
{
	uint32_t lo = 0, hi = src->n_lines;
	struct pgs_pos pos;

	if (offset > src->len)
		offset = src->len;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (src->line_starts[mid] <= offset)
			lo = mid;
		else
			hi = mid;
	}
	uint32_t start = src->line_starts[lo];
	/* the BOM is not a column of the first line */
	if (lo == 0 && src->bom && offset >= src->bom)
		start = src->bom;
	pos.line = lo + 1;
	pos.column = code_points_before(src, offset) - code_points_before(src, start) + 1;
	return pos;
}

struct pgs_span pgs_source_line(const struct pgs_source *src, uint32_t line)
{
	struct pgs_span s = {0, 0};

	if (line == 0 || line > src->n_lines)
		return s;
	s.start = src->line_starts[line - 1];
	if (line == 1)
		s.start += src->bom;
	s.end = line < src->n_lines ? src->line_starts[line] - 1 : src->len;
	if (s.end > s.start && src->text[s.end - 1] == '\r')
		s.end--;
	if (s.end < s.start)
		s.end = s.start;
	return s;
}
