#include <stdlib.h>

#include "lint/report.h"
#include "lint/rule.h"

json_t *pgs_report_json_position(const struct pgs_source *src, uint32_t offset)
{
	struct pgs_pos p = pgs_source_pos(src, offset);

	return json_pack("{s:I, s:I, s:I}", "line", (json_int_t)p.line, "column",
			 (json_int_t)p.column, "offset", (json_int_t)offset);
}

static json_t *fix_json(const struct pgs_source *src, const struct pgs_fix *fix)
{
	json_t *edits = json_array();

	for (size_t i = 0; i < fix->n_edits; i++) {
		const struct pgs_edit *e = &fix->edits[i];

		json_array_append_new(edits, json_pack("{s:o, s:o, s:s}", "start",
						       pgs_report_json_position(src, e->span.start),
						       "end",
						       pgs_report_json_position(src, e->span.end),
						       "text", e->text));
	}
	return json_pack("{s:s, s:b, s:o}", "title", fix->title, "safe", fix->safe, "edits", edits);
}

void pgs_report_json_append(json_t *diags, const struct pgs_file_report *file)
{
	for (size_t i = 0; i < file->diags.n; i++) {
		const struct pgs_diag *d = &file->diags.items[i];
		json_t *notes = json_array();

		for (size_t k = 0; k < d->n_notes; k++)
			json_array_append_new(notes, json_string(d->notes[k]));
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "path",
				      file->src.path, "rule", d->rule->name, "id", d->rule->id,
				      "severity", pgs_severity_name(d->severity), "message",
				      d->message, "notes", notes, "start",
				      pgs_report_json_position(&file->src, d->span.start), "end",
				      pgs_report_json_position(&file->src, d->span.end));
		json_object_set_new(o, "help", d->help ? json_string(d->help) : json_null());
		json_object_set_new(o, "fix", d->fix ? fix_json(&file->src, d->fix) : json_null());
		json_array_append_new(diags, o);
	}
}

struct json_state {
	json_t *diags, *errors;
};

static void json_begin(struct pgs_report_ctx *ctx)
{
	struct json_state *st = pgs_xmalloc(sizeof(*st));

	st->diags = json_array();
	st->errors = json_array();
	ctx->state = st;
}

static void json_file(struct pgs_report_ctx *ctx, const struct pgs_file_report *file)
{
	struct json_state *st = ctx->state;

	pgs_report_json_append(st->diags, file);
}

static void json_input_error(struct pgs_report_ctx *ctx, const char *path, const char *message)
{
	struct json_state *st = ctx->state;

	json_array_append_new(st->errors, json_pack("{s:s, s:s}", "path", path, "message", message));
}

static void json_end(struct pgs_report_ctx *ctx, const struct pgs_report_totals *t)
{
	struct json_state *st = ctx->state;

	(void)t;
	json_t *doc = json_pack("{s:i, s:o, s:o}", "version", 1, "diagnostics", st->diags, "errors",
				st->errors);
	json_dumpf(doc, ctx->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', ctx->out);
	json_decref(doc);
	free(st);
	ctx->state = NULL;
}

const struct pgs_reporter pgs_reporter_json = {
	.name = "json",
	.begin = json_begin,
	.file = json_file,
	.input_error = json_input_error,
	.end = json_end,
};

json_t *pgs_report_effect_json(const struct pgs_effect *e)
{
	json_t *blocks = json_array();

	for (size_t i = 0; i < pgs_n_lock_users; i++)
		if (pgs_lock_conflicts(e->lock, pgs_lock_users[i].lock))
			json_array_append_new(blocks, json_string(pgs_lock_users[i].name));
	return json_pack("{s:s, s:s, s:o, s:b, s:b, s:b, s:b, s:b}", "relation", e->relation, "lock",
			 pgs_lock_name(e->lock), "blocks", blocks, "rewrite", e->rewrite, "reindex",
			 e->reindex, "scan", e->scan, "new", e->is_new, "assumed", e->assumed);
}
