#!/usr/bin/env bash
# Benchmarks (not part of make check): lint time and peak memory on a
# generated schema-dump-sized file and on many small migration files.
# usage: bench/run.sh [PGSTAGE] [TABLES]
set -euo pipefail

pgstage=${1:-./pgstage}
tables=${2:-50000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

bench/gen-dump.py "$tables" >"$dir/dump.sql"
bench/gen-dump.py "$tables" --syntax-error >"$dir/dump-error.sql"
mkdir "$dir/many"
bench/gen-dump.py 2000 --files "$dir/many"

measure() {
	local label=$1
	shift
	/usr/bin/time -f "%e %M" -o "$dir/time" "$@" >/dev/null 2>&1 || true
	read -r secs kb < <(tail -n 1 "$dir/time")
	printf '%-34s %8.2f s %8d MiB\n' "$label" "$secs" $((kb / 1024))
}

size=$(($(stat -c %s "$dir/dump.sql") / 1024 / 1024))
echo "pgstage benchmark: $tables tables (${size} MiB dump), 2000 migration files"
measure "dump, clean" "$pgstage" lint "$dir/dump.sql"
measure "dump, one syntax error" "$pgstage" lint "$dir/dump-error.sql"
measure "2000 files (one history)" "$pgstage" lint "$dir/many"
