/*
 * Fuzz target: `pgstage explain` (after a context file, split at the first NUL
 * byte): the effects of every statement, with what cli/explain.c asks of the
 * library for its text and JSON output. Every statement must make its JSON
 * object (a NULL from json_pack would drop it from the output).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/effects.h"
#include "lint/report.h"
#include "tests/fuzz/fuzz.h"

static void explain(const struct pgs_file_report *f)
{
	json_t *stmts = json_array();

	for (size_t i = 0; i < f->parsed.n_stmts; i++) {
		const struct pgs_stmt *s = &f->parsed.stmts[i];
		const struct pgs_effects *fx = &f->effects[i];
		json_t *effects = json_array();

		if (s->span.start > s->span.end || s->span.end > f->src.len ||
		    (i && s->span.start < f->parsed.stmts[i - 1].span.end))
			pgs_fuzz_bug("statement %zu spans %u..%u", i, s->span.start, s->span.end);
		pgs_source_pos(&f->src, s->span.start);
		for (size_t k = 0; k < fx->n; k++) {
			const struct pgs_effect *e = &fx->items[k];
			json_t *o = pgs_report_effect_json(e);

			if (!o || !pgs_lock_name(e->lock))
				pgs_fuzz_bug("the effect on \"%s\" has no JSON", e->relation);
			pgs_lock_blocks(e->lock);
			json_array_append_new(effects, o);
		}
		json_t *o =
		    json_pack("{s:s, s:o, s:o, s:s%, s:s, s:b, s:o}", "path", f->src.path, "start",
			      pgs_report_json_position(&f->src, s->span.start), "end",
			      pgs_report_json_position(&f->src, s->span.end), "sql",
			      f->src.text + s->span.start, (size_t)(s->span.end - s->span.start),
			      "transaction", fx->no_transaction ? "forbidden" : "allowed",
			      "in_transaction", f->txns[i].active, "effects", effects);
		if (!o)
			pgs_fuzz_bug("statement %zu (%u..%u) has no JSON", i, s->span.start,
				     s->span.end);
		if (!s->node)
			json_object_set_new(o, "error", json_string(s->error));
		json_array_append_new(stmts, o);
	}
	char *text = json_dumps(stmts, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		pgs_fuzz_bug("explain's JSON does not print");
	free(text);
	json_decref(stmts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgs_fuzz_case c;
	struct pgs_engine engine;
	struct pgs_file_report report;
	struct pgs_error err;

	pgs_fuzz_case_init(&c, data, size, true);
	c.lint.no_rules = true;
	pgs_engine_init(&engine, &c.lint);
	if (pgs_fuzz_lint(&c, &engine, &report, &err) == 0) {
		explain(&report);
		pgs_file_report_release(&report);
	}
	pgs_engine_release(&engine);
	pgs_fuzz_case_release(&c);
	return 0;
}
