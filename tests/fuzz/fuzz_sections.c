/*
 * Fuzz target: migration-tool sections (lint/sections.c): goose, dbmate,
 * golang-migrate and flyway conventions, under every --tool. The up and down
 * parts must lie in the text, in order, and the masked text the parser sees
 * must keep every offset and line (bytes outside the parts become spaces).
 */
#include <string.h>

#include "lint/sections.h"
#include "tests/fuzz/fuzz.h"

static void check_parts(const struct pgs_source *src, struct pgs_arena *arena,
			const struct pgs_span *parts, size_t n, const char *which)
{
	for (size_t i = 0; i < n; i++)
		if (parts[i].start > parts[i].end || parts[i].end > src->len ||
		    (i && parts[i].start < parts[i - 1].end))
			pgs_fuzz_bug("%s part %zu spans %u..%u (text: %u bytes)", which, i,
				     parts[i].start, parts[i].end, src->len);

	const char *masked = pgs_sections_mask(src, arena, parts, n);
	size_t k = 0;
	for (uint32_t i = 0; i < src->len; i++) {
		while (k < n && parts[k].end <= i)
			k++;
		bool kept = k < n && parts[k].start <= i && i >= src->bom;
		char want = kept || src->text[i] == '\n' ? src->text[i] : ' ';
		if (masked[i] != want)
			pgs_fuzz_bug("the %s mask has 0x%02x at %u, not 0x%02x", which,
				     (unsigned char)masked[i], i, (unsigned char)want);
	}
	if (masked[src->len])
		pgs_fuzz_bug("the %s mask is not terminated", which);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgs_fuzz_case c;
	struct pgs_arena arena;
	struct pgs_source src;
	struct pgs_error err;

	pgs_fuzz_case_init(&c, data, size, false);
	pgs_arena_init(&arena);
	if (pgs_source_from_memory(&src, &arena, c.name, c.text, c.len, &err) == 0) {
		for (int tool = PGS_TOOL_AUTO; tool <= PGS_TOOL_LAST; tool++) {
			for (int no_txn = 0; no_txn < 2; no_txn++) {
				/* what files beside it could say: every flag on, or none */
				struct pgs_tool_hints hints = {
				    .flyway_no_txn = no_txn, .diesel_metadata = no_txn,
				    .sqitch = no_txn, .drizzle_journal = no_txn,
				    .cargo_sqlx = no_txn, .cargo_refinery = no_txn};
				struct pgs_sections sec;
				enum pgs_tool detected =
				    pgs_tool_detect(src.path, src.text, src.len, &hints);
				enum pgs_tool want = tool == PGS_TOOL_AUTO ? detected : (enum pgs_tool)tool;

				pgs_sections_find(&sec, &arena, &src, (enum pgs_tool)tool, &hints);
				if (sec.tool != want)
					pgs_fuzz_bug("--tool %s found %s", pgs_tool_name(want),
						     pgs_tool_name(sec.tool));
				check_parts(&src, &arena, sec.up, sec.n_up, "up");
				check_parts(&src, &arena, sec.down, sec.n_down, "down");
			}
		}
	}
	pgs_arena_release(&arena);
	pgs_fuzz_case_release(&c);
	return 0;
}
