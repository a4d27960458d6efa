#!/usr/bin/env bash
# Benchmark (make bench, not make check): the longest stall of the
# application's writes, and their errors, during a migration that rewrites a
# table, run as written and run as pgstage apply runs its plan, on the same
# tables (ROWS rows, default 1,000,000) under the same writers
# (tests/integration/test_plan_live.c: 4 sessions inserting, updating and
# deleting throughout). One fresh server for all of it.
# usage: bench/apply-stall.sh [PGSTAGE] [TEST_PLAN_LIVE] [FIXTURE...]
set -euo pipefail

pgstage=${1:-./pgstage}
live=${2:-build/tests/integration/test_plan_live}
shift $(($# < 2 ? $# : 2))
fixtures=("$@")
((${#fixtures[@]})) || fixtures=(add_column_volatile_default column_type_change)
rows=${ROWS:-1000000}

echo "writer stalls: ${rows} rows, 4 writers; the migration as written, then pgstage apply of its plan"
for f in "${fixtures[@]}"; do
	for runner in original apply; do
		PGS_LIVE_RUNNER=$runner PGS_LIVE_ROWS=$rows PGS_PLAN_ONLY=$f PGSTAGE=$pgstage \
			tests/pg/with-cluster.sh "$live" 2>&1 |
			grep -E "^    $f: .*longest stall|FAIL" | sed "s/^    /$runner: /" || true
	done
done
