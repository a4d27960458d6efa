/*
 * --format github: GitHub Actions workflow commands, which the runner turns
 * into annotations on the pull request's diff.
 */
#include "lint/report.h"
#include "lint/rule.h"

/* Workflow-command escaping: data escapes % CR LF; properties also : and ,. */
static void put_escaped(FILE *out, const char *s, bool property)
{
	for (; *s; s++) {
		switch (*s) {
		case '%':
			fputs("%25", out);
			break;
		case '\r':
			fputs("%0D", out);
			break;
		case '\n':
			fputs("%0A", out);
			break;
		case ':':
			fputs(property ? "%3A" : ":", out);
			break;
		case ',':
			fputs(property ? "%2C" : ",", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

static const char *github_level(enum pgs_severity sev)
{
	return sev == PGS_SEV_ERROR ? "error" : sev == PGS_SEV_WARNING ? "warning" : "notice";
}

static void github_file(struct pgs_report_ctx *ctx, const struct pgs_file_report *file)
{
	for (size_t i = 0; i < file->diags.n; i++) {
		const struct pgs_diag *d = &file->diags.items[i];
		struct pgs_pos s = pgs_source_pos(&file->src, d->span.start);
		struct pgs_pos e = pgs_source_pos(&file->src, d->span.end);

		fprintf(ctx->out, "::%s file=", github_level(d->severity));
		put_escaped(ctx->out, file->src.path, true);
		fprintf(ctx->out, ",line=%u,col=%u,endLine=%u", s.line, s.column, e.line);
		if (e.line == s.line)
			fprintf(ctx->out, ",endColumn=%u", e.column);
		fputs(",title=", ctx->out);
		put_escaped(ctx->out, d->rule->name, true);
		fputs("::", ctx->out);
		put_escaped(ctx->out, d->message, false);
		for (size_t k = 0; k < d->n_notes; k++) {
			fputs("%0A", ctx->out);
			put_escaped(ctx->out, d->notes[k], false);
		}
		if (d->help) {
			fputs("%0Ahelp: ", ctx->out);
			put_escaped(ctx->out, d->help, false);
		}
		fputc('\n', ctx->out);
	}
}

static void github_input_error(struct pgs_report_ctx *ctx, const char *path, const char *message)
{
	fputs("::error file=", ctx->out);
	put_escaped(ctx->out, path, true);
	fputs(",title=pgstage::", ctx->out);
	put_escaped(ctx->out, message, false);
	fputc('\n', ctx->out);
}

const struct pgs_reporter pgs_reporter_github = {
	.name = "github",
	.file = github_file,
	.input_error = github_input_error,
};
