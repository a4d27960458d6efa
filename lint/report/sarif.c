/*
 * --format sarif: SARIF 2.1.0, for GitHub code scanning and other SARIF
 * viewers: every rule with its help text and link, one result per finding,
 * fixes as replacements.
 */
#include <stdlib.h>

#include "lint/report.h"
#include "lint/report/json_stream.h"
#include "lint/rule.h"
#include "rules/registry.h"

#ifndef PGS_VERSION
#define PGS_VERSION "0.1.0-dev"
#endif

/* Results are written as each file is linted; input errors are kept for the invocation at the end. */
struct sarif_state {
	struct pgs_json_array_stream results;
	const char *docs_url;
	bool started; /* the document's head, up to "results", is written */
	json_t *invocation_notes;
};

static const char *sarif_level(enum pgs_severity sev)
{
	return sev == PGS_SEV_ERROR ? "error" : sev == PGS_SEV_WARNING ? "warning" : "note";
}

static void sarif_begin(struct pgs_report_ctx *ctx)
{
	struct sarif_state *st = pgs_xmalloc(sizeof(*st));

	st->results = (struct pgs_json_array_stream){.out = ctx->out, .depth = 3};
	st->docs_url = ctx->docs_url;
	st->started = false;
	st->invocation_notes = json_array();
	ctx->state = st;
}

static json_t *region(const struct pgs_source *src, struct pgs_span span)
{
	struct pgs_pos s = pgs_source_pos(src, span.start);
	struct pgs_pos e = pgs_source_pos(src, span.end);

	/* SARIF columns count UTF-16 code units by default; pgstage's count code
	 * points, which agree outside the astral planes */
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "startLine", (json_int_t)s.line,
			 "startColumn", (json_int_t)s.column, "endLine", (json_int_t)e.line,
			 "endColumn", (json_int_t)e.column, "charOffset", (json_int_t)span.start,
			 "charLength", (json_int_t)(span.end - span.start));
}

static json_t *fix_json(const struct pgs_source *src, const struct pgs_fix *fix)
{
	json_t *replacements = json_array();

	for (size_t i = 0; i < fix->n_edits; i++)
		json_array_append_new(replacements,
				      json_pack("{s:o, s:{s:s}}", "deletedRegion",
						region(src, fix->edits[i].span), "insertedContent",
						"text", fix->edits[i].text));
	return json_pack("{s:{s:s}, s:[{s:{s:s}, s:o}]}", "description", "text", fix->title,
			 "artifactChanges", "artifactLocation", "uri", src->path, "replacements",
			 replacements);
}

static void sarif_start(struct sarif_state *st);

static void sarif_file(struct pgs_report_ctx *ctx, const struct pgs_file_report *file)
{
	struct sarif_state *st = ctx->state;

	for (size_t i = 0; i < file->diags.n; i++) {
		const struct pgs_diag *d = &file->diags.items[i];
		struct pgs_arena arena;
		pgs_arena_init(&arena);

		json_t *r = json_pack("{s:s, s:I, s:s, s:{s:s}, s:[{s:{s:{s:s}, s:o}}]}", "ruleId",
				      d->rule->id, "ruleIndex",
				      (json_int_t)pgs_rule_index(d->rule), "level",
				      sarif_level(d->severity), "message", "text", d->message,
				      "locations", "physicalLocation", "artifactLocation", "uri",
				      file->src.path, "region", region(&file->src, d->span));
		json_object_set_new(r, "partialFingerprints",
				    json_pack("{s:s}", "pgstage/v1",
					      pgs_report_fingerprint(&arena, file, d)));
		if (d->fix)
			json_object_set_new(r, "fixes", json_pack("[o]", fix_json(&file->src, d->fix)));
		sarif_start(st);
		pgs_json_array_item(&st->results, r);
		pgs_arena_release(&arena);
	}
}

static void sarif_input_error(struct pgs_report_ctx *ctx, const char *path, const char *message)
{
	struct sarif_state *st = ctx->state;

	json_array_append_new(st->invocation_notes,
			      json_pack("{s:s, s:{s:s}, s:[{s:{s:{s:s}}}]}", "level", "error",
					"message", "text", message, "locations", "physicalLocation",
					"artifactLocation", "uri", path));
}

static json_t *rules_json(const char *docs_url)
{
	json_t *rules = json_array();

	for (size_t i = 0; i < pgs_n_rules; i++) {
		const struct pgs_rule *r = pgs_rules[i];
		char *help = NULL;
		size_t n = 0;
		FILE *f = open_memstream(&help, &n);

		if (!f)
			abort();
		fprintf(f, "%s\n\n## Bad\n\n```sql\n%s\n```\n\n## Good\n\n```sql\n%s\n```\n", r->docs,
			r->example_bad, r->example_good);
		fclose(f);
		json_array_append_new(
			rules, json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:s}, s:s++, s:{s:s}}", "id", r->id,
					 "name", r->name, "shortDescription", "text", r->summary,
					 "help", "text", r->summary, "markdown", help, "helpUri",
					 docs_url, "#", r->name, "defaultConfiguration", "level",
					 sarif_level(r->severity)));
		free(help);
	}
	return rules;
}

/* The document up to "results": [, written with the first result (or at the end). */
static void sarif_start(struct sarif_state *st)
{
	if (st->started)
		return;
	FILE *out = st->results.out;
	json_t *tool = json_pack("{s:{s:s, s:s, s:s, s:o}}", "driver", "name", "pgstage", "version",
				 PGS_VERSION, "informationUri", st->docs_url, "rules",
				 rules_json(st->docs_url));

	fputs("{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
	      "  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      \"tool\": ",
	      out);
	pgs_json_write_at(out, tool, 3);
	fputs(",\n      \"results\": ", out);
	json_decref(tool);
	st->started = true;
}

static void sarif_end(struct pgs_report_ctx *ctx, const struct pgs_report_totals *t)
{
	struct sarif_state *st = ctx->state;

	(void)t;
	sarif_start(st);
	pgs_json_array_end(&st->results);
	json_t *invocations = json_pack("[{s:b, s:o}]", "executionSuccessful",
					json_array_size(st->invocation_notes) == 0,
					"toolExecutionNotifications", st->invocation_notes);
	fputs(",\n      \"invocations\": ", ctx->out);
	pgs_json_write_at(ctx->out, invocations, 3);
	fputs("\n    }\n  ]\n}\n", ctx->out);
	json_decref(invocations);
	free(st);
	ctx->state = NULL;
}

const struct pgs_reporter pgs_reporter_sarif = {
	.name = "sarif",
	.begin = sarif_begin,
	.file = sarif_file,
	.input_error = sarif_input_error,
	.end = sarif_end,
};
