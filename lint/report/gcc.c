/* --format gcc: one line per finding, the way compilers print them. */
#include "lint/report.h"
#include "lint/rule.h"

static const char *gcc_level(enum pgs_severity sev)
{
	return sev == PGS_SEV_ERROR ? "error" : sev == PGS_SEV_WARNING ? "warning" : "note";
}

static void gcc_file(struct pgs_report_ctx *ctx, const struct pgs_file_report *file)
{
	for (size_t i = 0; i < file->diags.n; i++) {
		const struct pgs_diag *d = &file->diags.items[i];
		struct pgs_pos p = pgs_source_pos(&file->src, d->span.start);

		fprintf(ctx->out, "%s:%u:%u: %s: ", file->src.path, p.line, p.column,
			gcc_level(d->severity));
		pgs_report_put_line(ctx->out, d->message);
		fprintf(ctx->out, " [%s]\n", d->rule->name);
	}
}

const struct pgs_reporter pgs_reporter_gcc = {
	.name = "gcc",
	.file = gcc_file,
};
