#include <string.h>

#include "lint/report.h"
#include "lint/rule.h"

#define BOLD "\033[1m"
#define RED "\033[1;31m"
#define YELLOW "\033[1;33m"
#define BLUE "\033[1;34m"
#define CYAN "\033[1;36m"
#define RESET "\033[0m"

/* A span covering this many lines or more shows its first and last lines only. */
#define FRAME_MAX_LINES 4
/* A line longer than this many code points shows this much of it, from a
 * little before the span: a frame costs its width, not its line. */
#define FRAME_MAX_COLUMNS 400
#define FRAME_LEAD_COLUMNS 80

struct style {
	const char *bold, *sev, *caret, *gutter, *reset;
};

static int digits(uint32_t n)
{
	int d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/* The offset n code points before pos (not before lo), or after it (not past hi). */
static uint32_t step_back(const char *text, uint32_t pos, uint32_t n, uint32_t lo)
{
	while (pos > lo && n > 0) {
		pos--;
		n -= ((unsigned char)text[pos] & 0xC0) != 0x80;
	}
	while (pos > lo && ((unsigned char)text[pos] & 0xC0) == 0x80)
		pos--;
	return pos;
}

static uint32_t step_forward(const char *text, uint32_t pos, uint32_t n, uint32_t hi)
{
	while (pos < hi && n > 0) {
		pos++;
		while (pos < hi && ((unsigned char)text[pos] & 0xC0) == 0x80)
			pos++;
		n--;
	}
	return pos;
}

/* One source line, then carets under the bytes [from, to) of it. */
static void frame_line(FILE *out, const struct pgs_source *src, uint32_t line, uint32_t from,
		       uint32_t to, int width, const struct style *st)
{
	struct pgs_span l = pgs_source_line(src, line);
	uint32_t shown = l.start, shown_end = l.end;

	if (from < l.start)
		from = l.start;
	if (to > l.end)
		to = l.end;
	if (pgs_source_pos(src, l.end).column - pgs_source_pos(src, l.start).column >
	    FRAME_MAX_COLUMNS) {
		shown = step_back(src->text, from, FRAME_LEAD_COLUMNS, l.start);
		shown_end = step_forward(src->text, shown, FRAME_MAX_COLUMNS, l.end);
		if (to > shown_end)
			to = shown_end;
	}
	const char *cut = shown > l.start ? "..." : "";
	fprintf(out, "%s%*u |%s %s%.*s%s\n", st->gutter, width, line, st->reset, cut,
		(int)(shown_end - shown), src->text + shown, shown_end < l.end ? "..." : "");
	fprintf(out, "%s%*s |%s %s", st->gutter, width, "", st->reset, *cut ? "   " : "");
	/* keep tabs so the carets line up under the same columns */
	for (uint32_t i = shown; i < from; i++) {
		unsigned char c = (unsigned char)src->text[i];
		if (c == '\t')
			fputc('\t', out);
		else if ((c & 0xC0) != 0x80)
			fputc(' ', out);
	}
	fputs(st->caret, out);
	uint32_t n = pgs_utf8_count(src->text + from, to - from);
	for (uint32_t i = 0; i < (n ? n : 1); i++)
		fputc('^', out);
	fprintf(out, "%s\n", st->reset);
}

/* "  = note: ..." under the frame, on one line. */
static void annotation(FILE *out, int width, const struct style *st, const char *what,
		       const char *text)
{
	fprintf(out, "%s%*s =%s %s: ", st->gutter, width, "", st->reset, what);
	pgs_report_put_line(out, text);
	fputc('\n', out);
}

static void frame(FILE *out, const struct pgs_source *src, const struct pgs_diag *d,
		  struct pgs_pos start, struct pgs_pos end, const struct style *st)
{
	uint32_t last = end.line;
	/* a span ending at the start of a line doesn't underline that line */
	if (last > start.line && end.column == 1)
		last--;
	int width = digits(last);

	for (uint32_t line = start.line; line <= last; line++) {
		if (last - start.line + 1 >= FRAME_MAX_LINES && line == start.line + 1) {
			fprintf(out, "%s%*s ...%s\n", st->gutter, width, "", st->reset);
			line = last - 1;
			continue;
		}
		frame_line(out, src, line, d->span.start, d->span.end, width, st);
	}
	for (size_t i = 0; i < d->n_notes; i++)
		annotation(out, width, st, "note", d->notes[i]);
	if (d->help)
		annotation(out, width, st, "help", d->help);
	if (d->fix)
		annotation(out, width, st, d->fix->safe ? "fix" : "fix (unsafe)", d->fix->title);
}

void pgs_report_text(FILE *out, const struct pgs_file_report *file, bool color)
{
	struct style plain = {"", "", "", "", ""};

	for (size_t i = 0; i < file->diags.n; i++) {
		const struct pgs_diag *d = &file->diags.items[i];
		struct pgs_pos start = pgs_source_pos(&file->src, d->span.start);
		struct pgs_pos end = pgs_source_pos(&file->src, d->span.end);
		struct style st = plain;

		if (color) {
			st.bold = BOLD;
			st.sev = d->severity == PGS_SEV_ERROR     ? RED
				 : d->severity == PGS_SEV_WARNING ? YELLOW
								  : BLUE;
			st.caret = st.sev;
			st.gutter = CYAN;
			st.reset = RESET;
		}
		fprintf(out, "%s%s:%u:%u:%s %s%s[%s]%s%s: ", st.bold, file->src.path, start.line,
			start.column, st.reset, st.sev, pgs_severity_name(d->severity),
			d->rule->name, st.reset, st.bold);
		pgs_report_put_line(out, d->message);
		fprintf(out, "%s\n", st.reset);
		frame(out, &file->src, d, start, end, &st);
	}
}

static void text_file(struct pgs_report_ctx *ctx, const struct pgs_file_report *file)
{
	pgs_report_text(ctx->out, file, ctx->color);
}

static void text_end(struct pgs_report_ctx *ctx, const struct pgs_report_totals *t)
{
	size_t total = t->by_severity[0] + t->by_severity[1] + t->by_severity[2];

	if (!total)
		return;
	fprintf(ctx->out, "\n%zu finding%s (%zu error%s, %zu warning%s, %zu info) in %zu of %zu file%s\n",
		total, total == 1 ? "" : "s", t->by_severity[PGS_SEV_ERROR],
		t->by_severity[PGS_SEV_ERROR] == 1 ? "" : "s", t->by_severity[PGS_SEV_WARNING],
		t->by_severity[PGS_SEV_WARNING] == 1 ? "" : "s", t->by_severity[PGS_SEV_INFO],
		t->files_with_findings, t->files, t->files == 1 ? "" : "s");
}

const struct pgs_reporter pgs_reporter_text = {
	.name = "text",
	.file = text_file,
	.end = text_end,
};
