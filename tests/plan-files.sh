#!/usr/bin/env bash
# Golden tests of `pgstage plan -o DIR --layout L`: for each case
# fixtures/plan-files/<case>.sql, the plan is written once per layout into an
# empty directory, and what the user gets (stdout, exit code, then every file
# written with its contents, in name order) must equal <case>.out.
#
# A first line "-- args: ..." adds arguments (e.g. --context ...); a line
# "-- layouts: ..." replaces the layouts run (default: plain goose dbmate
# golang-migrate flyway diesel sqlx). Files named context_*.sql are inputs, not cases.
#
# usage: PGSTAGE=./pgstage tests/plan-files.sh [--bless]
set -euo pipefail

pgstage=${PGSTAGE:-./pgstage}
dir=fixtures/plan-files
bless=false
[[ ${1-} == --bless ]] && bless=true
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run_case SQL: the listing of every layout's result on stdout
run_case() {
	local sql=$1 args=() layouts=(plain goose dbmate golang-migrate flyway diesel sqlx) line
	while IFS= read -r line; do
		case $line in
		"-- args: "*) read -r -a args <<<"${line#-- args: }" ;;
		"-- layouts: "*) read -r -a layouts <<<"${line#-- layouts: }" ;;
		*) break ;;
		esac
	done <"$sql"
	for layout in "${layouts[@]}"; do
		local out=$tmp/out rc=0
		rm -rf "$out"
		echo "=== --layout $layout"
		"$pgstage" plan --no-config "${args[@]}" -o "$out" --layout "$layout" "$sql" \
			>"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
		# the output directory is a temporary one: show it as OUT
		sed "s|$out|OUT|g" "$tmp/stdout"
		sed "s|$out|OUT|g; s/^/stderr: /" "$tmp/stderr"
		echo "exit: $rc"
		if [[ -d $out ]]; then
			(cd "$out" && find . -type f | sed 's|^\./||' | LC_ALL=C sort) | while IFS= read -r f; do
				echo "--- $f"
				cat "$out/$f"
			done
		fi
	done
}

for sql in "$dir"/*.sql; do
	[[ -e $sql ]] || continue
	case ${sql##*/} in context_*) continue ;; esac
	expected=${sql%.sql}.out
	run_case "$sql" >"$tmp/actual"
	problem=""
	if $bless; then
		if [[ ! -e $expected ]] || ! cmp -s "$expected" "$tmp/actual"; then
			cp "$tmp/actual" "$expected"
			echo "blessed $expected"
		fi
	elif [[ ! -e $expected ]]; then
		problem="no expected output $expected (run make bless)"
	elif ! cmp -s "$expected" "$tmp/actual"; then
		problem="output differs from $expected"
		diff -u --label "$expected" --label actual "$expected" "$tmp/actual" || true
	fi
	if [[ -n $problem ]]; then
		echo "FAIL $sql: $problem"
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
done
for out in "$dir"/*.out; do
	[[ -e $out ]] || continue
	if [[ ! -e ${out%.out}.sql ]]; then
		echo "FAIL $out: orphan expected output"
		failed=$((failed + 1))
	fi
done
echo "plan-files: $passed passed, $failed failed"
((failed == 0))
