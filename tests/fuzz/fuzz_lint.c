/*
 * Fuzz target: one migration linted with every rule (`pgstage lint`), every
 * reporter over the findings, and --fix (safe, then unsafe) on them.
 */
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pgs_fuzz_lint_all(data, size, false);
	return 0;
}
