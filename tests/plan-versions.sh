#!/usr/bin/env bash
# The plan proof, the live-traffic proof and verify of the version-specific plan
# fixtures (`-- args: ... --pg-version N`), each on a real server of version
# N (scripts/fetch-pg.sh fetches it from npm; 15 is Debian's). The suites pick
# the fixtures of the server's version themselves.
#
#   PGSTAGE=./pgstage tests/plan-versions.sh BIN...   (BIN: test_plan_proof, test_plan_live, test_verify)
set -euo pipefail
cd "$(dirname "$0")/.."

(($# > 0)) || {
	echo "usage: $0 TEST_BINARY..." >&2
	exit 2
}

# the versions fixtures name, but 15 (the default server of make integration)
mapfile -t versions < <(sed -s -n '1s/.*--pg-version[= ]\([0-9][0-9]*\).*/\1/p' fixtures/plan/*.sql |
	sort -un | grep -vx 15)

failed=()
skipped=()
for v in "${versions[@]}"; do
	echo "=== PostgreSQL $v"
	if [[ ! -d scripts/pg/$v ]]; then
		# 19: no server binaries to be had yet; the golden tests check its plans
		echo "plan-versions: no PostgreSQL $v server to fetch (scripts/pg/$v): skipped"
		skipped+=("$v")
		continue
	fi
	if ! bindir=$(scripts/fetch-pg.sh "$v"); then
		failed+=("$v (no server)")
		continue
	fi
	if ! PG_BINDIR=$bindir tests/pg/with-cluster.sh tests/run-integration.sh "$@"; then
		failed+=("$v")
	fi
done
if ((${#failed[@]})); then
	echo "plan-versions: failed on PostgreSQL ${failed[*]}"
	exit 1
fi
proven=()
for v in "${versions[@]}"; do
	[[ " ${skipped[*]} " == *" $v "* ]] || proven+=("$v")
done
echo "plan-versions: passed on PostgreSQL ${proven[*]}${skipped[*]:+ (no server for ${skipped[*]})}"
