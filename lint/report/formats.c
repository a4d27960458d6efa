#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "lint/report.h"

extern const struct pgs_reporter pgs_reporter_text, pgs_reporter_json, pgs_reporter_sarif,
	pgs_reporter_github, pgs_reporter_gitlab, pgs_reporter_junit, pgs_reporter_gcc;

static const struct pgs_reporter *const reporters[] = {
	&pgs_reporter_text,   &pgs_reporter_json,  &pgs_reporter_sarif, &pgs_reporter_github,
	&pgs_reporter_gitlab, &pgs_reporter_junit, &pgs_reporter_gcc,
};

const struct pgs_reporter *pgs_reporter_find(const char *name)
{
	for (size_t i = 0; i < sizeof(reporters) / sizeof(reporters[0]); i++)
		if (strcmp(reporters[i]->name, name) == 0)
			return reporters[i];
	return NULL;
}

const char *pgs_reporter_names(void)
{
	return "text, json, sarif, github, gitlab, junit or gcc";
}

void pgs_report_put_line(FILE *out, const char *s)
{
	size_t len = strlen(s);
	char *safe = pgs_xmalloc(PGS_ESCAPE_SIZE(len));

	pgs_escape(safe, s, len, 0);
	fputs(safe, out);
	free(safe);
}

const char *pgs_report_fingerprint(struct pgs_arena *arena, const struct pgs_file_report *file,
				   const struct pgs_diag *d)
{
	/* two FNV-1a 64-bit hashes with different seeds: 128 bits, no dependency */
	unsigned long long h1 = 1469598103934665603ULL, h2 = 14695981039346656037ULL ^ 0x9e3779b9ULL;
	const char *parts[] = {file->src.path, d->rule->id, d->message};

	for (size_t p = 0; p < 4; p++) {
		const unsigned char *s = p < 3 ? (const unsigned char *)parts[p]
					       : (const unsigned char *)file->src.text + d->span.start;
		size_t n = p < 3 ? strlen(parts[p]) : d->span.end - d->span.start;
		for (size_t i = 0; i < n; i++) {
			h1 = (h1 ^ s[i]) * 1099511628211ULL;
			h2 = (h2 ^ s[i]) * 1099511628211ULL;
		}
		h1 = (h1 ^ 0xff) * 1099511628211ULL;
		h2 = (h2 ^ 0xfe) * 1099511628211ULL;
	}
	return pgs_arena_printf(arena, "%016llx%016llx", h1, h2);
}
