#!/usr/bin/env bash
# Regenerate core/pgdata/versions.c (the function rows of PostgreSQL 11-14 and
# 16-18 that differ from 15's) from each version's catalog, on servers fetched
# by scripts/fetch-pg.sh; with --check, fail when the checked-in file differs.
#
#   core/pgdata/versions.sh [--check]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

check=false
[[ ${1:-} == --check ]] && check=true
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=()
for v in 11 12 13 14 16 17 18; do
	mkdir -p "$tmp/$v"
	PG_BINDIR=$(scripts/fetch-pg.sh "$v") core/pgdata/generate.sh "$tmp/$v" >/dev/null
	args+=("$v=$tmp/$v")
done
core/pgdata/versions.py "${args[@]}" >"$tmp/versions.c"
if $check; then
	diff -u --label "checked-in core/pgdata/versions.c" --label "live catalogs" \
		core/pgdata/versions.c "$tmp/versions.c" || {
		echo "core/pgdata/versions.c and the catalogs disagree: run core/pgdata/versions.sh" >&2
		exit 1
	}
	echo "core/pgdata/versions.c matches the catalogs of 11-14 and 16-18"
else
	cp "$tmp/versions.c" core/pgdata/versions.c
fi
