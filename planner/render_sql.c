#include <string.h>

#include "lint/report.h"
#include "planner/render.h"

void pgs_plan_render_step(FILE *out, const struct pgs_plan_step *step)
{
	if (!step->verbatim)
		fprintf(out, "-- from %s:%u\n", step->path, step->line);
	fprintf(out, "%s;\n", step->sql);
}

/*
 * psql runs a phase (the stages between two checkpoints) only when the
 * variable pgstage_phase, 1 unless given with -v, has not passed it; it
 * stops at a checkpoint: the rest waits for the application deploy.
 */
static void begin_phase(FILE *out, size_t phase)
{
	fprintf(out, "SELECT :pgstage_phase <= %zu AS pgstage_run \\gset\n\\if :pgstage_run\n",
		phase);
}

/* \echo 'pgstage: checkpoint N: text', quoted as a psql meta-command argument */
static void echo_checkpoint(FILE *out, size_t phase, const char *text)
{
	fprintf(out, "\\echo 'pgstage: checkpoint %zu: ", phase);
	for (const char *p = text; *p; p++) {
		if (*p == '\'' || *p == '\\')
			fputc(*p, out);
		fputc(*p, out);
	}
	fputs("'\n", out);
}

static void stop_at_checkpoint(FILE *out, size_t phase, const char *why)
{
	fputs("\\endif\n", out);
	fprintf(out, "SELECT :pgstage_phase <= %zu AS pgstage_stop \\gset\n\\if :pgstage_stop\n",
		phase);
	echo_checkpoint(out, phase, why);
	fprintf(out, "\\echo 'pgstage: stopped at checkpoint %zu; after the deploy, run this script "
		     "again with: psql -v pgstage_phase=%zu'\n",
		phase, phase + 1);
	fputs("\\quit\n\\endif\n", out);
}

void pgs_plan_render_stage_header(FILE *out, const struct pgs_plan *plan, size_t i)
{
	const struct pgs_plan_stage *st = &plan->stages[i];

	fprintf(out, "-- stage %zu/%zu: %s", i + 1, plan->n_stages, pgs_stage_kind_name(st->kind));
	if (st->why)
		fprintf(out, ": %s", st->why);
	fputc('\n', out);
	if (st->locks)
		fprintf(out, "-- locks: %s\n", st->locks);
}

void pgs_plan_render_stage(FILE *out, const struct pgs_plan *plan, size_t i)
{
	const struct pgs_plan_stage *st = &plan->stages[i];

	pgs_plan_render_stage_header(out, plan, i);
	switch (st->kind) {
	case PGS_STAGE_TRANSACTIONAL:
		fprintf(out, "BEGIN;\nSET LOCAL lock_timeout = '%s';\n"
			     "SET LOCAL statement_timeout = '%s';\n",
			plan->opts.lock_timeout, plan->opts.statement_timeout);
		for (size_t k = 0; k < st->n_steps; k++)
			pgs_plan_render_step(out, &st->steps[k]);
		fputs("COMMIT;\n", out);
		break;
	case PGS_STAGE_NON_TRANSACTIONAL:
	case PGS_STAGE_BACKFILL:
		/* a short lock_timeout would leave an INVALID index behind */
		fputs("SET lock_timeout = 0;\n", out);
		for (size_t k = 0; k < st->n_steps; k++)
			pgs_plan_render_step(out, &st->steps[k]);
		break;
	case PGS_STAGE_CHECKPOINT:
		break; /* nothing to run: the caller stops there its own way */
	}
}

void pgs_plan_render_sql(FILE *out, const struct pgs_plan *plan)
{
	size_t checkpoints = pgs_plan_count_checkpoints(plan), phase = 1;

	fprintf(out, "-- pgstage plan: %zu stage%s. Run with psql; each stage commits before the "
		     "next begins.\n",
		plan->n_stages, plan->n_stages == 1 ? "" : "s");
	if (checkpoints)
		fprintf(out, "-- It stops at each of its %zu checkpoint%s: deploy the application "
			     "change, then run it again with the -v pgstage_phase=N it prints.\n",
			checkpoints, checkpoints == 1 ? "" : "s");
	for (size_t i = 0; i < plan->n_notes; i++)
		fprintf(out, "-- note: %s\n", plan->notes[i]);
	if (checkpoints) {
		fputs("\\if :{?pgstage_phase}\n\\else\n\\set pgstage_phase 1\n\\endif\n", out);
		begin_phase(out, phase);
	}
	for (size_t i = 0; i < plan->n_stages; i++) {
		fputc('\n', out);
		pgs_plan_render_stage(out, plan, i);
		if (plan->stages[i].kind == PGS_STAGE_CHECKPOINT) {
			stop_at_checkpoint(out, phase, plan->stages[i].why);
			begin_phase(out, ++phase);
		}
	}
	if (checkpoints)
		fputs("\\endif\n", out);
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
			json_t *step = json_pack("{s:s, s:b, s:{s:s, s:I}}", "sql", s->sql, "verbatim",
						 s->verbatim, "origin", "path", s->path, "line",
						 (json_int_t)s->line);
			if (s->effects_known) {
				json_t *fx = json_array();
				for (size_t e = 0; e < s->n_effects; e++)
					json_array_append_new(fx,
							      pgs_report_effect_json(&s->effects[e]));
				json_object_set_new(step, "effects", fx);
			}
			json_array_append_new(steps, step);
		}
		json_t *o = json_pack("{s:s, s:o}", "kind", pgs_stage_kind_name(st->kind), "steps",
				      steps);
		json_object_set_new(o, "why", st->why ? json_string(st->why) : json_null());
		json_object_set_new(o, "locks", st->locks ? json_string(st->locks) : json_null());
		json_array_append_new(stages, o);
	}
	return json_pack("{s:i, s:s, s:s, s:o, s:o}", "version", 1, "lock_timeout",
			 plan->opts.lock_timeout, "statement_timeout", plan->opts.statement_timeout,
			 "stages", stages, "notes", notes);
}
