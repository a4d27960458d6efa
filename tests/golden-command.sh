#!/usr/bin/env bash
# Golden fixtures of a command other than lint: fixtures/<command>/<case>.sql,
# each with an expected <case>.out holding the exact stdout of
#     pgstage <command> --color never [ARGS] fixtures/<command>/<case>.sql
# and a last line "exit: N". An optional first line "-- args: ..." adds ARGS
# (e.g. --format json, --pg-version 11, --context fixtures/<command>/schema.sql).
# Files named context_*.sql are inputs for --context, not cases. Nothing may go
# to stderr, unless an expected <case>.err holds exactly what does (--bless
# rewrites an .err that exists; it never makes one, so new warnings still fail).
#
# usage: PGSTAGE=./pgstage tests/golden-command.sh COMMAND [DIR] [--bless]
#   DIR defaults to fixtures/COMMAND.
set -euo pipefail

pgstage=${PGSTAGE:-./pgstage}
command=${1:?usage: $0 COMMAND [DIR] [--bless]}
shift
dir=fixtures/$command
bless=false
for arg in "$@"; do
	case $arg in
	--bless) bless=true ;;
	*) dir=$arg ;;
	esac
done
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for sql in "$dir"/*.sql; do
	[[ -e $sql ]] || continue
	case ${sql##*/} in context_*) continue ;; esac
	expected=${sql%.sql}.out
	args=()
	first=$(head -n 1 "$sql")
	if [[ $first == "-- args: "* ]]; then
		read -r -a args <<<"${first#-- args: }"
	fi
	actual=$tmp/out
	set +e
	"$pgstage" "$command" --no-config --color never "${args[@]}" "$sql" >"$actual" 2>"$tmp/err"
	rc=$?
	set -e
	echo "exit: $rc" >>"$actual"
	problem=""
	expected_err=${sql%.sql}.err
	if [[ -e $expected_err ]] && $bless; then
		cmp -s "$expected_err" "$tmp/err" || { cp "$tmp/err" "$expected_err" && echo "blessed $expected_err"; }
	elif [[ -e $expected_err ]] && ! cmp -s "$expected_err" "$tmp/err"; then
		problem="stderr differs from $expected_err"
		diff -u --label "$expected_err" --label "actual stderr" "$expected_err" "$tmp/err" || true
	fi
	if [[ -n $problem ]]; then
		:
	elif [[ -s $tmp/err && ! -e $expected_err ]]; then
		problem="wrote to stderr: $(head -c 300 "$tmp/err")"
	elif $bless; then
		if [[ ! -e $expected ]] || ! cmp -s "$expected" "$actual"; then
			cp "$actual" "$expected"
			echo "blessed $expected"
		fi
	elif [[ ! -e $expected ]]; then
		problem="no expected output $expected (run make bless)"
	elif ! cmp -s "$expected" "$actual"; then
		problem="output differs from $expected"
		diff -u --label "$expected" --label "actual" "$expected" "$actual" || true
	fi
	if [[ -n $problem ]]; then
		echo "FAIL $sql: $problem"
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
done
for out in "$dir"/*.out "$dir"/*.err; do
	[[ -e $out ]] || continue
	if [[ ! -e ${out%.*}.sql ]]; then
		echo "FAIL $out: orphan expected output"
		failed=$((failed + 1))
	fi
done
echo "golden ${dir#fixtures/}: $passed passed, $failed failed"
((failed == 0))
