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

# 19: no server binaries to be had yet; the golden tests check its plans
servers=()
for v in "${versions[@]}"; do
	if [[ -d scripts/pg/$v ]]; then
		servers+=("$v")
	else
		echo "plan-versions: no PostgreSQL $v server to fetch (scripts/pg/$v): skipped"
	fi
done
exec tests/versions.sh "${servers[*]}" "$@"
