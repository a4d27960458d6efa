/*
 * Fuzz target: pgstage-ignore comments (lint/ignore.c), scanned in the whole
 * text and in parts of it as the engine scans the comments above each
 * statement. Directives must lie inside the part scanned, name at most
 * PGS_IGNORE_MAX_RULES existing rules, and have rules or an error.
 */
#include <string.h>

#include "lint/ignore.h"
#include "lint/rule.h"
#include "rules/registry.h"
#include "tests/fuzz/fuzz.h"

static void scan(struct pgs_arena *arena, const struct pgs_source *src, uint32_t start,
		 uint32_t end, bool file_wide)
{
	struct pgs_ignores list = {0};

	pgs_ignore_scan(&list, arena, src->text, start, end, file_wide);
	for (size_t i = 0; i < list.n; i++) {
		const struct pgs_ignore *ig = &list.items[i];

		if (ig->span.start < start || ig->span.start > ig->span.end || ig->span.end > end)
			pgs_fuzz_bug("directive %zu spans %u..%u, outside %u..%u", i,
				     ig->span.start, ig->span.end, start, end);
		if (ig->n_rules > PGS_IGNORE_MAX_RULES || (ig->error && ig->n_rules) ||
		    (!ig->error && !ig->n_rules))
			pgs_fuzz_bug("directive %zu has %zu rules and %s", i, ig->n_rules,
				     ig->error ? ig->error : "no error");
		if (ig->file_wide != file_wide)
			pgs_fuzz_bug("directive %zu is of the other kind", i);
		for (size_t k = 0; k < ig->n_rules; k++)
			if (!ig->rules[k] || pgs_rule_find(ig->rules[k]->id) != ig->rules[k])
				pgs_fuzz_bug("directive %zu names no rule", i);
	}
	for (size_t r = 0; r < pgs_n_rules; r++)
		pgs_ignore_match(&list, pgs_rules[r]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgs_arena arena;
	struct pgs_source src;
	struct pgs_error err;

	pgs_arena_init(&arena);
	if (pgs_source_from_memory(&src, &arena, "fuzz.sql", (const char *)data, size, &err) == 0) {
		for (int file_wide = 0; file_wide < 2; file_wide++) {
			scan(&arena, &src, 0, src.len, file_wide);
			/* a part, as the comments above one statement are */
			scan(&arena, &src, src.len / 3, src.len - src.len / 3, file_wide);
		}
	}
	pgs_arena_release(&arena);
	return 0;
}
