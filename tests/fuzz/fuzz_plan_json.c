/*
 * Fuzz target: `pgstage apply --plan FILE`, the plan as written by
 * `plan --format json` and read back (pgs_plan_load_json), as cli/apply.c
 * loads it before it connects. A plan it accepts keeps the invariants every
 * plan keeps (pgs_plan_check ran), renders as a script and as JSON again,
 * and that JSON loads to the same stages; one it refuses says why.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "planner/plan.h"
#include "planner/render.h"
#include "tests/fuzz/fuzz.h"

static void round_trip(const struct pgs_plan *plan)
{
	struct pgs_fuzz_stream out;
	struct pgs_plan again;
	struct pgs_error err;

	pgs_fuzz_stream_open(&out);
	pgs_plan_render_sql(out.f, plan);
	pgs_fuzz_stream_close(&out);
	json_t *doc = pgs_plan_render_json(plan);
	if (!doc)
		pgs_fuzz_bug("a plan that loaded has no JSON");
	if (pgs_plan_load_json(&again, doc, &err) < 0)
		pgs_fuzz_bug("a plan that loaded, written as JSON, does not load: %s", err.message);
	if (again.n_stages != plan->n_stages)
		pgs_fuzz_bug("the plan written again has %zu stages, not %zu", again.n_stages,
			     plan->n_stages);
	for (size_t i = 0; i < plan->n_stages; i++)
		if (again.stages[i].n_steps != plan->stages[i].n_steps ||
		    again.stages[i].kind != plan->stages[i].kind ||
		    !again.stages[i].backfill != !plan->stages[i].backfill)
			pgs_fuzz_bug("stage %zu is not the same written again", i + 1);
	pgs_plan_release(&again);
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	struct pgs_plan plan;
	struct pgs_error err;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);

	if (!doc)
		return 0;
	err.message[0] = '\0';
	if (pgs_plan_load_json(&plan, doc, &err) == 0)
		round_trip(&plan);
	else if (!err.message[0])
		pgs_fuzz_bug("a plan refused without a reason");
	pgs_plan_release(&plan);
	json_decref(doc);
	return 0;
}
