/*
 * Fuzz target: a two-file history. The part of the input before its first NUL
 * byte is an earlier migration (--context): it feeds the schema model, and the
 * migration after the NUL is linted, reported and fixed knowing what it made.
 */
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pgs_fuzz_lint_all(data, size, true);
	return 0;
}
