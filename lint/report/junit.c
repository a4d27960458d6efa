/*
 * --format junit: JUnit XML, one test case per linted file (failing when it
 * has findings), for CI systems that show test reports.
 */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "lint/report.h"
#include "lint/rule.h"

struct junit_state {
	char *cases; /* the <testcase> elements, written once the counts are known */
	size_t size;
	FILE *buf;
	size_t tests, failures, errors;
};

/*
 * One-line text in XML: control characters escaped as pgs_escape does (XML 1.0
 * can't hold most of them, not even as &#...;, and a message may quote one from
 * the SQL), then the markup characters.
 */
static void put_xml(FILE *out, const char *s)
{
	size_t len = strlen(s);
	char *safe = pgs_xmalloc(PGS_ESCAPE_SIZE(len));

	pgs_escape(safe, s, len, 0);
	for (const char *c = safe; *c; c++) {
		switch (*c) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			fputc(*c, out);
		}
	}
	free(safe);
}

static void junit_begin(struct pgs_report_ctx *ctx)
{
	struct junit_state *st = pgs_xmalloc(sizeof(*st));

	memset(st, 0, sizeof(*st));
	st->buf = open_memstream(&st->cases, &st->size);
	if (!st->buf)
		abort();
	ctx->state = st;
}

static void junit_file(struct pgs_report_ctx *ctx, const struct pgs_file_report *file)
{
	struct junit_state *st = ctx->state;
	FILE *b = st->buf;

	st->tests++;
	fputs("    <testcase classname=\"pgstage.lint\" name=\"", b);
	put_xml(b, file->src.path);
	if (file->diags.n == 0) {
		fputs("\"/>\n", b);
		return;
	}
	st->failures++;
	fprintf(b, "\">\n      <failure message=\"%zu finding%s\" type=\"pgstage\">", file->diags.n,
		file->diags.n == 1 ? "" : "s");
	for (size_t i = 0; i < file->diags.n; i++) {
		const struct pgs_diag *d = &file->diags.items[i];
		struct pgs_pos p = pgs_source_pos(&file->src, d->span.start);
		char head[64];

		snprintf(head, sizeof(head), ":%u:%u: ", p.line, p.column);
		put_xml(b, file->src.path);
		fputs(head, b);
		fprintf(b, "%s[%s]: ", pgs_severity_name(d->severity), d->rule->name);
		put_xml(b, d->message);
		fputc('\n', b);
	}
	fputs("</failure>\n    </testcase>\n", b);
}

static void junit_input_error(struct pgs_report_ctx *ctx, const char *path, const char *message)
{
	struct junit_state *st = ctx->state;

	st->tests++;
	st->errors++;
	fputs("    <testcase classname=\"pgstage.lint\" name=\"", st->buf);
	put_xml(st->buf, path);
	fputs("\">\n      <error message=\"", st->buf);
	put_xml(st->buf, message);
	fputs("\" type=\"input\"/>\n    </testcase>\n", st->buf);
}

static void junit_end(struct pgs_report_ctx *ctx, const struct pgs_report_totals *t)
{
	struct junit_state *st = ctx->state;

	(void)t;
	fclose(st->buf);
	fprintf(ctx->out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<testsuites name=\"pgstage\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n"
		"  <testsuite name=\"pgstage lint\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n"
		"%s  </testsuite>\n</testsuites>\n",
		st->tests, st->failures, st->errors, st->tests, st->failures, st->errors,
		st->cases ? st->cases : "");
	free(st->cases);
	free(st);
	ctx->state = NULL;
}

const struct pgs_reporter pgs_reporter_junit = {
	.name = "junit",
	.begin = junit_begin,
	.file = junit_file,
	.input_error = junit_input_error,
	.end = junit_end,
};
