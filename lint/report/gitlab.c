/*
 * --format gitlab: a GitLab Code Quality report (a JSON array of issues),
 * for the artifacts:reports:codequality of a merge-request pipeline.
 */
#include <stdlib.h>

#include "lint/report.h"
#include "lint/report/json_stream.h"
#include "lint/rule.h"

static const char *gitlab_severity(enum pgs_severity sev)
{
	return sev == PGS_SEV_ERROR ? "critical" : sev == PGS_SEV_WARNING ? "major" : "info";
}

/* The issues are written as each file is linted: memory stays that of one file's. */
static void gitlab_begin(struct pgs_report_ctx *ctx)
{
	struct pgs_json_array_stream *issues = pgs_xmalloc(sizeof(*issues));

	*issues = (struct pgs_json_array_stream){.out = ctx->out, .depth = 0};
	ctx->state = issues;
}

static void gitlab_file(struct pgs_report_ctx *ctx, const struct pgs_file_report *file)
{
	struct pgs_arena arena;

	pgs_arena_init(&arena);
	for (size_t i = 0; i < file->diags.n; i++) {
		const struct pgs_diag *d = &file->diags.items[i];
		struct pgs_pos s = pgs_source_pos(&file->src, d->span.start);
		struct pgs_pos e = pgs_source_pos(&file->src, d->span.end);
		const char *description =
			d->help ? pgs_arena_printf(&arena, "%s (%s)", d->message, d->help) : d->message;

		pgs_json_array_item(
			ctx->state,
			json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:{s:I, s:I}}}", "description",
				  description, "check_name", d->rule->name, "fingerprint",
				  pgs_report_fingerprint(&arena, file, d), "severity",
				  gitlab_severity(d->severity), "type", "issue", "location", "path",
				  file->src.path, "lines", "begin", (json_int_t)s.line, "end",
				  (json_int_t)e.line));
	}
	pgs_arena_release(&arena);
}

static void gitlab_end(struct pgs_report_ctx *ctx, const struct pgs_report_totals *t)
{
	(void)t;
	pgs_json_array_end(ctx->state);
	fputc('\n', ctx->out);
	free(ctx->state);
	ctx->state = NULL;
}

const struct pgs_reporter pgs_reporter_gitlab = {
	.name = "gitlab",
	.begin = gitlab_begin,
	.file = gitlab_file,
	.end = gitlab_end,
};
