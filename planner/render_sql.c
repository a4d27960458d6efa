/*
 * The plan as one psql script. It sets ON_ERROR_STOP itself, so the first
 * error stops it (psql exits with 3) at the failed stage, whose header it
 * echoed. Running it again is the recovery for any failure: it starts after
 * the last stage whose marker the catalog shows (planner/guard.h), drops
 * what a failed CONCURRENTLY build left, and goes on.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/quote.h"
#include "lint/report.h"
#include "planner/backfill.h"
#include "planner/render.h"

/* The formatted text on one line: control characters escaped ("\n"), malloc-ed. */
static char *one_line(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static char *one_line(const char *fmt, va_list ap)
{
	char *text = NULL, *safe;
	size_t len = 0;
	FILE *buf = open_memstream(&text, &len);

	if (!buf)
		abort(); /* out of memory, as pgs_xmalloc treats it */
	vfprintf(buf, fmt, ap);
	fclose(buf);
	safe = pgs_xmalloc(PGS_ESCAPE_SIZE(len));
	pgs_escape(safe, text, len, 0);
	free(text);
	return safe;
}

static void print_line(FILE *out, const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void print_line(FILE *out, const char *prefix, const char *fmt, va_list ap)
{
	char *text = one_line(fmt, ap);

	fprintf(out, "%s%s\n", prefix, text);
	free(text);
}

void pgs_plan_comment(FILE *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_line(out, "-- ", fmt, ap);
	va_end(ap);
}

void pgs_plan_print_line(FILE *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_line(out, "", fmt, ap);
	va_end(ap);
}

void pgs_plan_render_step(FILE *out, const struct pgs_plan_step *step)
{
	if (!step->verbatim)
		pgs_plan_comment(out, "from %s:%u", step->path, step->line);
	fprintf(out, "%s;\n", step->sql);
}

/* \echo 'pgstage: text', on one line, quoted as a psql meta-command argument */
static void echo(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void echo(FILE *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *text = one_line(fmt, ap);
	va_end(ap);
	fputs("\\echo 'pgstage: ", out);
	for (const char *p = text; *p; p++) {
		if (*p == '\'' || *p == '\\')
			fputc(*p, out); /* doubled: psql's quoting */
		fputc(*p, out);
	}
	fputs("'\n", out);
	free(text);
}

void pgs_plan_render_stage_header(FILE *out, const struct pgs_plan *plan, size_t i)
{
	const struct pgs_plan_stage *st = &plan->stages[i];

	pgs_plan_comment(out, "stage %zu/%zu: %s%s%s", i + 1, plan->n_stages,
			 pgs_stage_kind_name(st->kind), st->why ? ": " : "", st->why ? st->why : "");
	if (st->locks)
		pgs_plan_comment(out, "locks: %s", st->locks);
}

void pgs_plan_render_timeouts(FILE *out, const struct pgs_plan_stage *st, bool local)
{
	struct pgs_arena a;

	pgs_arena_init(&a);
	fprintf(out, "SET %slock_timeout = %s;\nSET %sstatement_timeout = %s;\n",
		local ? "LOCAL " : "", pgs_quote_literal(&a, st->lock_timeout),
		local ? "LOCAL " : "", pgs_quote_literal(&a, st->statement_timeout));
	pgs_arena_release(&a);
}

/* The stage is done: for a stage that leaves no trace in the catalog. */
static void record(FILE *out, const struct pgs_plan_stage *st)
{
	struct pgs_arena a;

	if (!st->record)
		return;
	pgs_arena_init(&a);
	fprintf(out, "INSERT INTO " PGS_PROGRESS_TABLE " (step) VALUES (%s);\n",
		pgs_quote_literal(&a, st->record));
	pgs_arena_release(&a);
}

/* What psql runs for the stage, without its guard. */
static void render_body(FILE *out, const struct pgs_plan_stage *st)
{
	switch (st->kind) {
	case PGS_STAGE_TRANSACTIONAL:
		fputs("BEGIN;\n", out);
		pgs_plan_render_timeouts(out, st, true);
		for (size_t k = 0; k < st->n_steps; k++)
			pgs_plan_render_step(out, &st->steps[k]);
		record(out, st);
		fputs("COMMIT;\n", out);
		break;
	case PGS_STAGE_NON_TRANSACTIONAL:
	case PGS_STAGE_BACKFILL:
		pgs_plan_render_timeouts(out, st, false);
		if (st->cleanup)
			fprintf(out, "-- drop what a failed run left\n%s \\gexec\n", st->cleanup);
		for (size_t k = 0; k < st->n_steps; k++)
			pgs_plan_render_step(out, &st->steps[k]);
		if (st->verify)
			fprintf(out, "%s;\n", st->verify);
		record(out, st);
		break;
	case PGS_STAGE_CHECKPOINT:
		break; /* nothing to run: the caller stops there its own way */
	}
}

void pgs_plan_render_guarded(FILE *out, const struct pgs_plan *plan, size_t i, const char *run)
{
	const struct pgs_plan_stage *st = &plan->stages[i];

	pgs_plan_render_stage_header(out, plan, i);
	if (run)
		fprintf(out, "SELECT %s AS pgstage_run \\gset\n\\if :pgstage_run\n", run);
	echo(out, "stage %zu/%zu: %s%s%s", i + 1, plan->n_stages, pgs_stage_kind_name(st->kind),
	     st->why ? ": " : "", st->why ? st->why : "");
	render_body(out, st);
	if (run) {
		fputs("\\else\n", out);
		echo(out, "stage %zu/%zu: done already", i + 1, plan->n_stages);
		fputs("\\endif\n", out);
	}
}

void pgs_plan_render_stage(FILE *out, const struct pgs_plan *plan, size_t i)
{
	pgs_plan_render_stage_header(out, plan, i);
	render_body(out, &plan->stages[i]);
}

void pgs_plan_render_preamble(FILE *out, const struct pgs_plan *plan)
{
	struct pgs_arena a;

	pgs_arena_init(&a);
	fprintf(out,
		"\\set ON_ERROR_STOP on\n"
		"-- the script's own queries (which stages are done) run under the plan's timeouts,\n"
		"-- not the session's (a role's statement_timeout of 5ms would cut them)\n"
		"SET lock_timeout = %s;\nSET statement_timeout = %s;\n",
		pgs_quote_literal(&a, plan->opts.lock_timeout),
		pgs_quote_literal(&a, plan->opts.statement_timeout));
	pgs_arena_release(&a);
}

void pgs_plan_render_progress_table(FILE *out)
{
	fputs("-- where stages that leave no trace in the catalog record that they ran\n" PGS_PROGRESS_CREATE
	      ";\n",
	      out);
}

static bool any_marker(const struct pgs_plan *plan)
{
	for (size_t i = 0; i < plan->n_stages; i++)
		if (plan->stages[i].marker)
			return true;
	return false;
}

/* pgstage_done: the last stage an earlier run finished, as the catalog shows it. */
static void resume_point(FILE *out, const struct pgs_plan *plan)
{
	fputs("-- the last stage an earlier run finished, as the catalog shows it (0: none)\n"
	      "SELECT CASE\n",
	      out);
	for (size_t i = plan->n_stages; i-- > 0;)
		if (plan->stages[i].marker)
			fprintf(out, "    WHEN %s THEN %zu\n", plan->stages[i].marker, i + 1);
	fputs("    ELSE 0\n  END AS pgstage_done \\gset\n", out);
}

static void stop_at_checkpoint(FILE *out, const struct pgs_plan *plan, size_t i, size_t phase,
			       bool markers)
{
	const struct pgs_plan_stage *st = &plan->stages[i];

	pgs_plan_render_stage_header(out, plan, i);
	/* a later stage done means the deploy happened already */
	if (markers)
		fprintf(
		    out,
		    "SELECT :pgstage_phase <= %zu AND :pgstage_done < %zu AS pgstage_stop \\gset\n",
		    phase, i + 1);
	else
		fprintf(out, "SELECT :pgstage_phase <= %zu AS pgstage_stop \\gset\n", phase);
	fputs("\\if :pgstage_stop\n", out);
	echo(out, "checkpoint %zu: %s", phase, st->why ? st->why : "deploy the application change");
	echo(out,
	     "stopped at checkpoint %zu; after the deploy, run this script again with: psql -v "
	     "pgstage_phase=%zu",
	     phase, phase + 1);
	fputs("\\quit\n\\endif\n", out);
}

void pgs_plan_render_sql(FILE *out, const struct pgs_plan *plan)
{
	size_t checkpoints = pgs_plan_count_checkpoints(plan), phase = 1;
	bool markers = any_marker(plan);

	fprintf(out,
		"-- pgstage plan: %zu stage%s. Run it with psql; each stage commits before "
		"the next begins.\n",
		plan->n_stages, plan->n_stages == 1 ? "" : "s");
	fputs("-- It stops at the first error (psql exits with 3): fix the cause and run the same "
	      "command again; stages done already are skipped.\n",
	      out);
	if (checkpoints)
		fprintf(out,
			"-- It stops at each of its %zu checkpoint%s: deploy the application "
			"change, then run it again with the -v pgstage_phase=N it prints.\n",
			checkpoints, checkpoints == 1 ? "" : "s");
	for (size_t i = 0; i < plan->n_notes; i++)
		pgs_plan_comment(out, "note: %s", plan->notes[i]);
	pgs_plan_render_preamble(out, plan);
	if (pgs_plan_records(plan))
		pgs_plan_render_progress_table(out);
	if (checkpoints)
		fputs("\\if :{?pgstage_phase}\n\\else\n\\set pgstage_phase 1\n\\endif\n", out);
	if (markers)
		resume_point(out, plan);
	for (size_t i = 0; i < plan->n_stages; i++) {
		fputc('\n', out);
		if (plan->stages[i].kind == PGS_STAGE_CHECKPOINT) {
			stop_at_checkpoint(out, plan, i, phase++, markers);
			continue;
		}
		char run[64];
		snprintf(run, sizeof(run), ":pgstage_done < %zu", i + 1);
		pgs_plan_render_guarded(out, plan, i, markers ? run : NULL);
	}
}

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* What apply runs in batches itself (the DO block's parts). */
static json_t *backfill_json(const struct pgs_backfill *b)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:I}", "table", b->rel, "statement", b->body,
			      "batch_rows", (json_int_t)b->batch_rows, "batch_pages",
			      (json_int_t)b->batch_pages);
	json_object_set_new(o, "alias", string_or_null(b->alias));
	json_object_set_new(o, "pending", string_or_null(b->pending));
	json_object_set_new(o, "key", string_or_null(b->pk));
	return o;
}

json_t *pgs_plan_render_json(const struct pgs_plan *plan)
{
	json_t *stages = json_array(), *notes = json_array();

	for (size_t i = 0; i < plan->n_notes; i++)
		json_array_append_new(notes, json_string(plan->notes[i]));
	for (size_t i = 0; i < plan->n_stages; i++) {
		const struct pgs_plan_stage *st = &plan->stages[i];
		json_t *steps = json_array();

		for (size_t k = 0; k < st->n_steps; k++) {
			const struct pgs_plan_step *s = &st->steps[k];
			json_t *origin = json_pack("{s:o, s:I}", "path", string_or_null(s->path),
						   "line", (json_int_t)s->line);
			json_t *step = json_pack("{s:s, s:b, s:o}", "sql", s->sql, "verbatim",
						 s->verbatim, "origin", origin);
			if (s->effects_known) {
				json_t *fx = json_array();
				for (size_t e = 0; e < s->n_effects; e++)
					json_array_append_new(
					    fx, pgs_report_effect_json(&s->effects[e]));
				json_object_set_new(step, "effects", fx);
			}
			json_array_append_new(steps, step);
		}
		json_t *o =
		    json_pack("{s:s, s:o}", "kind", pgs_stage_kind_name(st->kind), "steps", steps);
		json_object_set_new(o, "why", string_or_null(st->why));
		json_object_set_new(o, "locks", string_or_null(st->locks));
		json_object_set_new(o, "lock_timeout", string_or_null(st->lock_timeout));
		json_object_set_new(o, "statement_timeout", string_or_null(st->statement_timeout));
		json_object_set_new(o, "marker", string_or_null(st->marker));
		json_object_set_new(o, "cleanup", string_or_null(st->cleanup));
		json_object_set_new(o, "reset", string_or_null(st->reset));
		json_object_set_new(o, "verify", string_or_null(st->verify));
		json_object_set_new(o, "record", string_or_null(st->record));
		if (st->backfill)
			json_object_set_new(o, "backfill", backfill_json(st->backfill));
		json_array_append_new(stages, o);
	}
	return json_pack("{s:i, s:s, s:s, s:o, s:o}", "version", 1, "lock_timeout",
			 plan->opts.lock_timeout, "statement_timeout", plan->opts.statement_timeout,
			 "stages", stages, "notes", notes);
}
