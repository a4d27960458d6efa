/*
 * source: one input file's text, checked to be UTF-8 text, with a line map
 * that turns byte offsets into 1-based line and column (columns count code
 * points, so a tab or an "é" is one column).
 */
#ifndef PGS_SOURCE_H
#define PGS_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"

/* Larger inputs are refused: a migration or a schema dump is far smaller. */
#define PGS_SOURCE_MAX_BYTES ((size_t)64 * 1024 * 1024)

struct pgs_span {
	uint32_t start, end; /* half-open byte offsets into pgs_source.text */
};

struct pgs_pos {
	uint32_t line, column; /* 1-based; column counts code points */
};

struct pgs_source {
	const char *path; /* as shown to the user; "<stdin>" for standard input */
	const char *text; /* NUL-terminated, original bytes (BOM included) */
	uint32_t len;
	uint32_t bom;            /* 3 when the text starts with a UTF-8 BOM */
	uint32_t *line_starts;   /* byte offset of each line's first byte */
	uint32_t n_lines;
	/* code points before each PGS_SOURCE_MARK_BYTES-byte block of the text,
	 * so a column costs at most one block however long its line is */
	uint32_t *marks;
};

#define PGS_SOURCE_MARK_BYTES 1024

/*
 * Read path ("-" for standard input) into the arena and build the line map.
 * Fails with a message naming the file (and the position, for bad bytes) when
 * the file can't be read, is a directory, exceeds PGS_SOURCE_MAX_BYTES, holds
 * a NUL byte or is not valid UTF-8.
 */
int pgs_source_load(struct pgs_source *src, struct pgs_arena *arena, const char *path,
		    struct pgs_error *err);

/* The same checks on text already in memory; text is copied into the arena. */
int pgs_source_from_memory(struct pgs_source *src, struct pgs_arena *arena, const char *path,
			   const char *text, size_t len, struct pgs_error *err);

/* Line and column of a byte offset (offset == len gives the end position). */
struct pgs_pos pgs_source_pos(const struct pgs_source *src, uint32_t offset);

/* Byte range of a 1-based line, without its line terminator (\n or \r\n). */
struct pgs_span pgs_source_line(const struct pgs_source *src, uint32_t line);

/* Byte offset of the first invalid UTF-8 sequence, or -1 when the text is valid. */
long pgs_utf8_invalid_at(const char *text, size_t len);

/*
 * s when it is valid UTF-8, else a copy in arena with each invalid byte
 * replaced by U+FFFD: for messages that quote bytes of the input (the parser
 * cuts a multi-byte character in "at or near"), which JSON can't carry.
 */
struct pgs_arena;
const char *pgs_utf8_repair(struct pgs_arena *arena, const char *s);

/* Number of code points in text[0..n). */
uint32_t pgs_utf8_count(const char *text, size_t n);

#endif
