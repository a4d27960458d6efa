/* What the fuzz targets share: see fuzz.h. */
#define _GNU_SOURCE /* memfd_create */
#include "tests/fuzz/fuzz.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>
#include <pg_query.h>
#include <sanitizer/lsan_interface.h>

#include "lint/fix.h"
#include "lint/report.h"
#include "lint/rule.h"

_Noreturn void pgs_fuzz_bug(const char *fmt, ...)
{
	va_list ap;

	fputs("pgstage fuzz: bug: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void pgs_fuzz_stream_open(struct pgs_fuzz_stream *s)
{
	s->buf = NULL;
	s->len = 0;
	s->f = open_memstream(&s->buf, &s->len);
	if (!s->f)
		abort();
}

void pgs_fuzz_stream_flush(struct pgs_fuzz_stream *s)
{
	fflush(s->f);
}

void pgs_fuzz_stream_close(struct pgs_fuzz_stream *s)
{
	fclose(s->f);
	free(s->buf);
}

/*
 * libpg_query 15-4.0.0 (Debian's libpg-query-dev) leaks one byte for each
 * PL/pgSQL body that fails to parse, e.g.
 *     CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN x; END $$;
 * The targets link with -Wl,--wrap=pg_query_parse_plpgsql, so core/plpgsql.c
 * calls this, and LeakSanitizer ignores what that one function allocates.
 * (A suppression naming it would not match: libpg_query has no frame
 * pointers, so the fast unwinder's stack stops at pg_query_raw_parse.)
 */
PgQueryPlpgsqlParseResult __real_pg_query_parse_plpgsql(const char *input);
PgQueryPlpgsqlParseResult __wrap_pg_query_parse_plpgsql(const char *input);

PgQueryPlpgsqlParseResult __wrap_pg_query_parse_plpgsql(const char *input)
{
	__lsan_disable();
	PgQueryPlpgsqlParseResult r = __real_pg_query_parse_plpgsql(input);
	__lsan_enable();
	return r;
}

/* ---- the input ---- */

static bool is_word(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(end - p) >= n && memcmp(p, word, n) == 0 &&
	       (p + n == end || p[n] == ' ' || p[n] == '\t');
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *word_end(const char *p, const char *end)
{
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	return p;
}

/* The options of a first line "-- args: ..." (a golden fixture's), if any. */
static void read_args(struct pgs_fuzz_case *c, const char *text, size_t len)
{
	const char *end = memchr(text, '\n', len);
	static const char prefix[] = "-- args:";

	if (!end)
		end = text + len;
	if ((size_t)(end - text) < sizeof(prefix) - 1 || memcmp(text, prefix, sizeof(prefix) - 1))
		return;
	for (const char *p = skip_blanks(text + sizeof(prefix) - 1, end); p < end;
	     p = skip_blanks(p, end)) {
		const char *arg = p, *value = skip_blanks(word_end(p, end), end);
		const char *value_end = word_end(value, end);
		char buf[PGS_FUZZ_NAME_MAX + 1];
		size_t n = (size_t)(value_end - value);

		p = word_end(p, end);
		if (n > PGS_FUZZ_NAME_MAX)
			continue;
		memcpy(buf, value, n);
		buf[n] = '\0';
		if (is_word(arg, end, "--pg-version")) {
			long v = strtol(buf, NULL, 10);
			if (v >= PGS_PG_VERSION_MIN && v <= PGS_PG_VERSION_MAX)
				c->lint.pg_version = (int)v;
			p = value_end;
		} else if (is_word(arg, end, "--tool")) {
			int tool = pgs_tool_parse(buf);
			if (tool >= 0)
				c->lint.tool = (enum pgs_tool)tool;
			p = value_end;
		} else if (is_word(arg, end, "--name")) {
			/* a file name, never a path: nothing outside the fuzzer is read */
			if (n && strspn(buf, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789._-") == n)
				memcpy(c->name, buf, n + 1);
			p = value_end;
		} else if (is_word(arg, end, "--format")) {
			c->sarif = strcmp(buf, "sarif") == 0;
			p = value_end;
		} else if (is_word(arg, end, "--down")) {
			c->lint.down = true;
		} else if (is_word(arg, end, "--no-transaction")) {
			c->lint.txn = PGS_TXN_NEVER;
		} else if (is_word(arg, end, "--assume-in-transaction")) {
			c->lint.txn = PGS_TXN_ALWAYS;
		}
	}
}

void pgs_fuzz_case_init(struct pgs_fuzz_case *c, const uint8_t *data, size_t size, bool split)
{
	const char *text = (const char *)data;
	const char *nul = split ? memchr(text, '\0', size) : NULL;

	memset(c, 0, sizeof(*c));
	c->lint.pg_version = PGS_PG_VERSION_DEFAULT;
	c->lint.tool = PGS_TOOL_AUTO;
	c->lint.txn = PGS_TXN_AS_TOOL;
	snprintf(c->name, sizeof(c->name), "fuzz.sql");
	c->context_fd = -1;
	c->text = nul ? nul + 1 : text;
	c->len = nul ? size - (size_t)(nul - text) - 1 : size;
	read_args(c, c->text, c->len);
	if (!nul)
		return;
	/* the context goes through a file, as --context does (the planner reads it again) */
	c->context = text;
	c->context_fd = memfd_create("pgstage-fuzz-context", MFD_CLOEXEC);
	if (c->context_fd < 0)
		abort();
	size_t n = (size_t)(nul - text);
	if (write(c->context_fd, text, n) != (ssize_t)n)
		abort();
	snprintf(c->context_path, sizeof(c->context_path), "/proc/self/fd/%d", c->context_fd);
}

void pgs_fuzz_case_release(struct pgs_fuzz_case *c)
{
	if (c->context_fd >= 0)
		close(c->context_fd);
	c->context_fd = -1;
}

int pgs_fuzz_lint(struct pgs_fuzz_case *c, struct pgs_engine *engine, struct pgs_file_report *out,
		  struct pgs_error *err)
{
	if (c->context) {
		if (pgs_engine_lint_file(engine, c->context_path, true, out, err) < 0)
			return -1;
		pgs_file_report_release(out);
	}
	return pgs_engine_lint_text(engine, c->name, c->text, c->len, false, out, err);
}

bool pgs_fuzz_has_syntax_error(const struct pgs_file_report *report)
{
	for (size_t i = 0; i < report->parsed.n_stmts; i++)
		if (!report->parsed.stmts[i].node)
			return true;
	return false;
}

/* ---- invariants of a report ---- */

static void check_span(const struct pgs_file_report *r, struct pgs_span s, const char *what,
		       const struct pgs_rule *rule)
{
	if (s.start > s.end || s.end > r->src.len)
		pgs_fuzz_bug("%s of %s spans %u..%u in a text of %u bytes", what, rule->name,
			     s.start, s.end, r->src.len);
}

void pgs_fuzz_check_report(const struct pgs_file_report *r)
{
	for (size_t i = 0; i < r->diags.n; i++) {
		const struct pgs_diag *d = &r->diags.items[i];

		if (!d->rule || !d->message || d->n_notes > PGS_DIAG_MAX_NOTES)
			pgs_fuzz_bug("diagnostic %zu is incomplete", i);
		check_span(r, d->span, "a finding", d->rule);
		if (i && d->span.start < r->diags.items[i - 1].span.start)
			pgs_fuzz_bug("findings out of order at %zu", i);
		if (!d->fix)
			continue;
		for (size_t k = 0; k < d->fix->n_edits; k++) {
			const struct pgs_edit *e = &d->fix->edits[k];

			check_span(r, e->span, "a fix edit", d->rule);
			/* edits of one fix are few: pairwise is fine */
			for (size_t j = 0; j < k; j++) {
				struct pgs_span a = d->fix->edits[j].span, b = e->span;
				if (a.start < b.end && b.start < a.end)
					pgs_fuzz_bug("the fix of %s has overlapping edits",
						     d->rule->name);
			}
		}
	}
}

/* ---- reporters ---- */

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static json_t *load_json(const char *format, const char *text)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);

	if (!doc)
		pgs_fuzz_bug("--format %s is not JSON: %d:%d: %s", format, jerr.line, jerr.column,
			     jerr.text);
	return doc;
}

static void expect_count(const char *format, const char *what, size_t got, size_t want)
{
	if (got != want)
		pgs_fuzz_bug("--format %s has %zu %s for %zu", format, got, what, want);
}

/* What one format's output must hold: every finding, in a form its reader takes. */
static void check_output(const char *format, const char *out, const char *path, size_t n_diags,
			 bool error)
{
	if (strcmp(format, "json") == 0) {
		json_t *doc = load_json(format, out);
		expect_count(format, "diagnostics",
			     json_array_size(json_object_get(doc, "diagnostics")), n_diags);
		expect_count(format, "errors", json_array_size(json_object_get(doc, "errors")),
			     error);
		json_decref(doc);
	} else if (strcmp(format, "sarif") == 0) {
		json_t *doc = load_json(format, out);
		json_t *run = json_array_get(json_object_get(doc, "runs"), 0);
		expect_count(format, "results", json_array_size(json_object_get(run, "results")),
			     n_diags);
		json_decref(doc);
	} else if (strcmp(format, "gitlab") == 0) {
		json_t *doc = load_json(format, out);
		expect_count(format, "issues", json_array_size(doc), n_diags);
		json_decref(doc);
	} else if (strcmp(format, "github") == 0 || strcmp(format, "gcc") == 0) {
		/* line protocols: one finding (or error) a line */
		bool github = format[1] == 'i';
		expect_count(format, "lines", count_lines(out), n_diags + (github && error));
		size_t n = strlen(path);
		for (const char *line = out; *line;) {
			const char *nl = strchr(line, '\n');
			if (!nl)
				pgs_fuzz_bug("--format %s: the last line has no newline", format);
			if (github ? strncmp(line, "::", 2) != 0
				   : strncmp(line, path, n) != 0 || line[n] != ':')
				pgs_fuzz_bug("--format %s: a line does not start like one: %.40s",
					     format, line);
			line = nl + 1;
		}
	} else if (strcmp(format, "junit") == 0) {
		/* XML 1.0 has no way to write the other control characters */
		for (const unsigned char *p = (const unsigned char *)out; *p; p++)
			if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
				pgs_fuzz_bug("--format junit holds control character 0x%02x", *p);
	}
}

/* The --format names, from the list the CLI shows: "text, json, ... or gcc". */
static size_t reporter_names(const char *names[16])
{
	static char list[256];
	static const char *found[16];
	static size_t n;

	if (n)
		goto out;
	snprintf(list, sizeof(list), "%s", pgs_reporter_names());
	for (char *p = list; *p && n < 16;) {
		found[n++] = p;
		char *comma = strstr(p, ", "), * or = strstr(p, " or ");
		char *sep = comma && (! or || comma < or) ? comma : or ;
		if (!sep)
			break;
		*sep = '\0';
		p = sep + (sep == comma ? 2 : 4);
	}
	for (size_t i = 0; i < n; i++)
		if (!pgs_reporter_find(found[i]))
			pgs_fuzz_bug("no reporter for --format %s", found[i]);
out:
	memcpy(names, found, n * sizeof(*names));
	return n;
}

void pgs_fuzz_run_reporters(const struct pgs_fuzz_case *c, const struct pgs_file_report *report,
			    const char *error)
{
	const char *names[16];
	size_t n = reporter_names(names);

	for (size_t i = 0; i <= n; i++) {
		/* the last round: text again, in colour */
		const struct pgs_reporter *rep = pgs_reporter_find(i < n ? names[i] : "text");
		struct pgs_fuzz_stream out;

		if (strcmp(rep->name, "sarif") == 0 && !c->sarif)
			continue;
		struct pgs_report_ctx ctx = {.color = i == n,
					     .docs_url = "https://example.com/rules"};
		struct pgs_report_totals totals = {0};

		pgs_fuzz_stream_open(&out);
		ctx.out = out.f;
		if (rep->begin)
			rep->begin(&ctx);
		if (report) {
			totals.files = 1;
			for (size_t k = 0; k < report->diags.n; k++)
				totals.by_severity[report->diags.items[k].severity]++;
			totals.files_with_findings = report->diags.n > 0;
			rep->file(&ctx, report);
		} else if (rep->input_error) {
			rep->input_error(&ctx, c->name, error);
		}
		if (rep->end)
			rep->end(&ctx, &totals);
		pgs_fuzz_stream_flush(&out);
		check_output(rep->name, out.buf, c->name, report ? report->diags.n : 0, !report);
		pgs_fuzz_stream_close(&out);
	}
}

/* ---- lint --fix ---- */

void pgs_fuzz_run_fixes(struct pgs_fuzz_case *c, const struct pgs_file_report *report)
{
	bool *applied = pgs_xmalloc(report->diags.n + 1);
	bool parsed = !pgs_fuzz_has_syntax_error(report);

	for (int unsafe = 0; unsafe < 2; unsafe++) {
		size_t n_applied = 0, n_marked = 0;
		char *fixed = pgs_fix_apply(report, unsafe, applied, &n_applied);

		for (size_t i = 0; i < report->diags.n; i++)
			n_marked += applied[i];
		if (n_marked != n_applied || !fixed != !n_applied)
			pgs_fuzz_bug("--fix applied %zu fixes but marked %zu", n_applied, n_marked);
		if (fixed && parsed) {
			/* the fixed file, after the same context: it must still parse */
			struct pgs_fuzz_case again = *c;
			struct pgs_engine engine;
			struct pgs_file_report out;
			struct pgs_error err;

			again.text = fixed;
			again.len = strlen(fixed);
			again.lint.no_rules = true;
			pgs_engine_init(&engine, &again.lint);
			if (pgs_fuzz_lint(&again, &engine, &out, &err) < 0)
				pgs_fuzz_bug("the fixed file is not valid input: %s", err.message);
			for (size_t i = 0; i < out.parsed.n_stmts; i++)
				if (!out.parsed.stmts[i].node)
					pgs_fuzz_bug("--fix%s made SQL that does not parse: %s",
						     unsafe ? " --unsafe-fixes" : "",
						     out.parsed.stmts[i].error);
			pgs_file_report_release(&out);
			pgs_engine_release(&engine);
		}
		free(fixed);
	}
	free(applied);
}

void pgs_fuzz_lint_all(const uint8_t *data, size_t size, bool split)
{
	struct pgs_fuzz_case c;
	struct pgs_engine engine;
	struct pgs_file_report report;
	struct pgs_error err;

	pgs_fuzz_case_init(&c, data, size, split);
	pgs_engine_init(&engine, &c.lint);
	if (pgs_fuzz_lint(&c, &engine, &report, &err) < 0) {
		pgs_fuzz_run_reporters(&c, NULL, err.message);
	} else {
		pgs_fuzz_check_report(&report);
		pgs_fuzz_run_reporters(&c, &report, NULL);
		pgs_fuzz_run_fixes(&c, &report);
		pgs_file_report_release(&report);
	}
	pgs_engine_release(&engine);
	pgs_fuzz_case_release(&c);
}
