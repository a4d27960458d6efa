#!/usr/bin/env bash
# Run integration test binaries (cmocka) against the PostgreSQL server that
# PGHOST/PGPORT/... point at, normally under tests/pg/with-cluster.sh:
#
#   tests/pg/with-cluster.sh tests/run-integration.sh build/tests/integration/test_*
#
# Prints each binary's output, then one summary line
#   integration: N passed, M failed
# counting cmocka tests. Exits non-zero when any test (or binary) failed.
set -uo pipefail

if [[ -z ${PGHOST:-} ]]; then
	echo "run-integration.sh: PGHOST is not set; run under tests/pg/with-cluster.sh" >&2
	echo "integration: 0 passed, 1 failed"
	exit 2
fi

# cmocka's summary lines are what we count: keep its standard output format.
export CMOCKA_MESSAGE_OUTPUT=stdout
unset CMOCKA_TEST_ABORT

passed=0
failed=0

for bin in "$@"; do
	echo "=== $bin"
	if [[ ! -x $bin ]]; then
		echo "run-integration.sh: $bin is not an executable file" >&2
		failed=$((failed + 1))
		continue
	fi
	log=$(mktemp)
	"$bin" 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}

	p=$(sed -nE 's/^\[  PASSED  \] ([0-9]+) test\(s\)\..*/\1/p' "$log" | tail -n 1)
	f=$(sed -nE 's/^\[  FAILED  \] ([0-9]+) test\(s\).*/\1/p' "$log" | tail -n 1)
	rm -f "$log"
	p=${p:-0}
	f=${f:-0}
	if ((status != 0 && f == 0)); then
		# Crashed, or a group setup failed before any test ran: count the
		# binary itself as one failure so it cannot pass silently.
		echo "run-integration.sh: $bin exited with status $status" >&2
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done

echo "integration: $passed passed, $failed failed"
((failed == 0))
