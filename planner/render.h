/* render: a plan as one psql script, or as JSON. */
#ifndef PGS_PLAN_RENDER_H
#define PGS_PLAN_RENDER_H

#include <stdio.h>

#include <jansson.h>

#include "planner/plan.h"

/*
 * One script psql can run as is: a header per stage (kind, why, locks,
 * origin), BEGIN / SET LOCAL timeouts / COMMIT around transactional stages.
 */
void pgs_plan_render_sql(FILE *out, const struct pgs_plan *plan);

/* {"version": 1, "stages": [{"kind", "why", "locks", "steps": [{"sql", "verbatim",
 * "origin": {"path", "line"}}]}], "notes": [...]} (new reference). */
json_t *pgs_plan_render_json(const struct pgs_plan *plan);

#endif
