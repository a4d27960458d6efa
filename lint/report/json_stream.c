#include "lint/report/json_stream.h"

#include <stdlib.h>
#include <string.h>

#define DUMP_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER)

static void indent(FILE *out, unsigned depth)
{
	for (unsigned i = 0; i < depth; i++)
		fputs("  ", out);
}

void pgs_json_write_at(FILE *out, const json_t *value, unsigned depth)
{
	char *text = json_dumps(value, DUMP_FLAGS | JSON_ENCODE_ANY);
	const char *p = text;

	/* jansson escapes newlines inside strings: every '\n' is layout */
	for (const char *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		fwrite(p, 1, (size_t)(nl + 1 - p), out);
		indent(out, depth);
	}
	fputs(p, out);
	free(text);
}

void pgs_json_array_item(struct pgs_json_array_stream *a, json_t *item)
{
	fputs(a->n++ ? ",\n" : "[\n", a->out);
	indent(a->out, a->depth + 1);
	pgs_json_write_at(a->out, item, a->depth + 1);
	json_decref(item);
}

void pgs_json_array_end(struct pgs_json_array_stream *a)
{
	if (a->n == 0) {
		fputs("[]", a->out);
		return;
	}
	fputc('\n', a->out);
	indent(a->out, a->depth);
	fputc(']', a->out);
}
