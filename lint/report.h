/*
 * report: turning a linted file's diagnostics into output. One file per
 * format under lint/report/. Reporters write to the stream they are given.
 */
#ifndef PGS_REPORT_H
#define PGS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "lint/engine.h"

/* Compiler-style text with code frames; colour only when color is true. */
void pgs_report_text(FILE *out, const struct pgs_file_report *file, bool color);

/*
 * Append one JSON object per diagnostic of file to the array diags (new
 * references, owned by the array).
 */
void pgs_report_json_append(json_t *diags, const struct pgs_file_report *file);

/* Render a span of src as "line:col" start and end plus byte offsets, for JSON. */
json_t *pgs_report_json_position(const struct pgs_source *src, uint32_t offset);

#endif
