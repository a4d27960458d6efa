#!/usr/bin/env bash
# Compare the checked-in core/pgdata tables (from PostgreSQL 15) with each
# given version's catalog (servers from scripts/fetch-pg.sh): volatility of
# the functions both have, binary-coercible casts (core/pgdata/compare.py).
#
#   core/pgdata/check-versions.sh 11 12 13 14 16 17 18
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for v in "$@"; do
	echo "=== PostgreSQL $v"
	bindir=$(scripts/fetch-pg.sh "$v")
	mkdir -p "$tmp/$v"
	PG_BINDIR=$bindir core/pgdata/generate.sh "$tmp/$v" >/dev/null
	core/pgdata/compare.py "$v" "$tmp/$v" || status=1
done
exit $status
