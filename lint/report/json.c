#include <stdlib.h>

#include "lint/report.h"
#include "lint/report/json_stream.h"
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

/* One finding as the JSON reporter writes it (a new reference). */
static json_t *diag_json(const struct pgs_file_report *file, const struct pgs_diag *d)
{
	json_t *notes = json_array();

	for (size_t k = 0; k < d->n_notes; k++)
		json_array_append_new(notes, json_string(d->notes[k]));
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "path", file->src.path,
			      "rule", d->rule->name, "id", d->rule->id, "severity",
			      pgs_severity_name(d->severity), "message", d->message, "notes", notes,
			      "start", pgs_report_json_position(&file->src, d->span.start), "end",
			      pgs_report_json_position(&file->src, d->span.end));
	json_object_set_new(o, "help", d->help ? json_string(d->help) : json_null());
	json_object_set_new(o, "fix", d->fix ? fix_json(&file->src, d->fix) : json_null());
	return o;
}

/*
 * The document is {"version", "diagnostics", "errors"}: findings are written
 * as each file is linted (memory stays that of one file's findings), input
 * errors, which come at any time, are kept for the end.
 */
struct json_state {
	struct pgs_json_array_stream diags;
	json_t *errors;
	bool started; /* the document's head is written */
};

static void json_begin(struct pgs_report_ctx *ctx)
{
	struct json_state *st = pgs_xmalloc(sizeof(*st));

	st->diags = (struct pgs_json_array_stream){.out = ctx->out, .depth = 1};
	st->errors = json_array();
	st->started = false;
	ctx->state = st;
}

/* Written with the first finding, so nothing reaches the output before there is one. */
static void json_start(struct json_state *st)
{
	if (st->started)
		return;
	fputs("{\n  \"version\": 1,\n  \"diagnostics\": ", st->diags.out);
	st->started = true;
}

static void json_file(struct pgs_report_ctx *ctx, const struct pgs_file_report *file)
{
	struct json_state *st = ctx->state;

	for (size_t i = 0; i < file->diags.n; i++) {
		json_start(st);
		pgs_json_array_item(&st->diags, diag_json(file, &file->diags.items[i]));
	}
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
	json_start(st);
	pgs_json_array_end(&st->diags);
	fputs(",\n  \"errors\": ", ctx->out);
	pgs_json_write_at(ctx->out, st->errors, 1);
	fputs("\n}\n", ctx->out);
	json_decref(st->errors);
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
