/*
 * json_stream: writes a JSON document piece by piece, laid out exactly as
 * jansson's json_dumpf with JSON_INDENT(2) | JSON_PRESERVE_ORDER lays out the
 * whole document, so reporters can write each finding as its file is linted
 * instead of holding every finding of the run until the end.
 */
#ifndef PGS_REPORT_JSON_STREAM_H
#define PGS_REPORT_JSON_STREAM_H

#include <stdio.h>

#include <jansson.h>

/* An array being written, its items one by one; depth is its nesting level. */
struct pgs_json_array_stream {
	FILE *out;
	unsigned depth;
	size_t n; /* items written so far */
};

/* Write value as it appears at nesting level depth (its first line not indented). */
void pgs_json_write_at(FILE *out, const json_t *value, unsigned depth);

/* Write one item of the array (its "[" comes with the first) and drop the reference to item. */
void pgs_json_array_item(struct pgs_json_array_stream *a, json_t *item);

/* Close the array: "]" on its own line, or "[]" when it had no item. */
void pgs_json_array_end(struct pgs_json_array_stream *a);

#endif
