#!/usr/bin/env bash
# Golden fixtures: fixtures/<rule>/{bad,ok}_<case>.sql, each with an expected
# <case>.out next to it holding the exact stdout of
#     pgstage lint --rule <rule> --color never [ARGS] fixtures/<rule>/<case>.sql
# followed by a last line "exit: N". An optional first line "-- args: ..." of
# the .sql adds ARGS. fixtures/syntax-error/ runs with every rule (no --rule),
# so what follows a syntax error is seen to be still linted.
#
# Checked besides the diff: a bad_ case has at least one finding of its rule;
# an ok_ case has none and exits 0; nothing goes to stderr; every .sql has a
# .out and every .out a .sql; every rule of `pgstage rules` has a directory
# with a bad_ case; every directory is named after a rule (fixtures/explain/,
# fixtures/formats/ and fixtures/plan/ belong to tests/golden-command.sh, fixtures/plan-files/ to
# tests/plan-files.sh).
#
# usage: PGSTAGE=./pgstage tests/golden.sh [--bless [RULE]]
#   --bless  rewrite the expected .out files (of RULE's directory only, if given);
#            review them with git diff.
# Run from the repository root: paths in the outputs are relative to it.
set -euo pipefail

pgstage=${PGSTAGE:-./pgstage}
bless=false
only=""

while (($# > 0)); do
	case $1 in
	--bless)
		bless=true
		if (($# > 1)) && [[ $2 != -* ]]; then
			only=$2
			shift
		fi
		;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "golden: unknown argument '$1' (usage: $0 [--bless [RULE]])" >&2
		exit 2
		;;
	esac
	shift
done

if [[ ! -d fixtures ]]; then
	echo "golden: no fixtures/ directory here: run from the repository root" >&2
	exit 2
fi
if [[ ! -x $pgstage ]] && ! command -v "$pgstage" >/dev/null; then
	echo "golden: $pgstage is not an executable (set PGSTAGE)" >&2
	exit 2
fi

mkdir -p build
diffs=build/fixtures.diffs
: >"$diffs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0

fail() {
	echo "FAIL $*"
	failed=$((failed + 1))
}

mapfile -t rules < <("$pgstage" rules | awk '{ print $2 }')
if ((${#rules[@]} == 0)); then
	echo "golden: '$pgstage rules' listed no rules" >&2
	exit 2
fi

is_rule() {
	local r
	for r in "${rules[@]}"; do
		[[ $r == "$1" ]] && return 0
	done
	return 1
}

if [[ -n $only ]] && ! is_rule "$only"; then
	echo "golden: --bless $only: not a rule name ('$pgstage rules' lists them)" >&2
	exit 2
fi

# Every rule has a directory with at least one bad_ case.
for rule in "${rules[@]}"; do
	[[ -n $only && $rule != "$only" ]] && continue
	if ! compgen -G "fixtures/$rule/bad_*.sql" >/dev/null; then
		fail "fixtures/$rule/: rule '$rule' has no bad_*.sql fixture"
	fi
done

# Every directory is a rule; every .out has its .sql.
for dir in fixtures/*/; do
	dir=${dir%/}
	rule=${dir#fixtures/}
	# other commands' fixtures have runners of their own (golden-command.sh, plan-files.sh)
	[[ $rule == explain || $rule == plan || $rule == plan-files || $rule == formats ]] && continue
	[[ -n $only && $rule != "$only" ]] && continue
	if ! is_rule "$rule"; then
		fail "$dir/: not the name of a rule ('$pgstage rules' lists them)"
		continue
	fi
	for out in "$dir"/*.out; do
		[[ -e $out ]] || continue
		if [[ ! -e ${out%.out}.sql ]]; then
			fail "$out: orphan expected output (no ${out%.out}.sql)"
		fi
	done
	for f in "$dir"/*; do
		case ${f##*/} in
		bad_*.sql | ok_*.sql | *.out) ;;
		*) fail "$f: fixture files are bad_<case>.sql or ok_<case>.sql, with a .out" ;;
		esac
	done
done

# The findings of rule $2 in output $1: text header lines, or "rule" members
# of --format json diagnostics.
findings_of() {
	grep -E -- "^[^ ]+:[0-9]+:[0-9]+: (error|warning|info)\[$2\]: |^ *\"rule\": \"$2\"," "$1" || true
}

for sql in fixtures/*/*.sql; do
	[[ -e $sql ]] || continue
	dir=${sql%/*}
	rule=${dir#fixtures/}
	[[ -n $only && $rule != "$only" ]] && continue
	is_rule "$rule" || continue
	base=${sql##*/}
	case $base in
	bad_*) kind=bad ;;
	ok_*) kind=ok ;;
	*) continue ;; # reported above
	esac
	expected=${sql%.sql}.out
	actual=$tmp/actual.out
	errs=$tmp/stderr

	args=()
	first=$(head -n 1 "$sql" | tr -d '\r')
	if [[ $first == "-- args:"* ]]; then
		read -r -a args <<<"${first#-- args:}"
	fi
	cmd=("$pgstage" lint --no-config)
	[[ $rule != syntax-error ]] && cmd+=(--rule "$rule")
	cmd+=(--color never)
	cmd+=("${args[@]}")

	set +e
	"${cmd[@]}" "$sql" >"$actual" 2>"$errs"
	rc=$?
	set -e
	echo "exit: $rc" >>"$actual"

	problems=()
	if ((rc > 128)); then
		problems+=("pgstage was killed by signal $((rc - 128))")
	elif ((rc > 1)); then
		problems+=("exit code $rc (usage or input error)")
	fi
	if [[ -s $errs ]]; then
		problems+=("wrote to stderr: $(head -c 300 "$errs")")
	fi
	found=$(findings_of "$actual" "$rule")
	if [[ $kind == bad && -z $found ]]; then
		problems+=("bad_ case has no $rule finding")
	elif [[ $kind == ok && -n $found ]]; then
		problems+=("ok_ case has a $rule finding: ${found%%$'\n'*}")
	elif [[ $kind == ok && $rc -ne 0 ]]; then
		problems+=("ok_ case exits $rc, not 0")
	fi

	if $bless; then
		if [[ ! -e $expected ]] || ! cmp -s "$expected" "$actual"; then
			cp "$actual" "$expected"
			echo "blessed $expected"
		fi
	elif [[ ! -e $expected ]]; then
		problems+=("no expected output $expected (run make bless RULE=$rule)")
	elif ! cmp -s "$expected" "$actual"; then
		problems+=("output differs from $expected")
		{
			diff -u --label "$expected" --label "actual: ${cmd[*]} $sql" "$expected" "$actual" || true
		} | tee -a "$diffs"
	fi

	if ((${#problems[@]} == 0)); then
		passed=$((passed + 1))
	else
		for p in "${problems[@]}"; do
			echo "FAIL $sql: $p"
		done
		failed=$((failed + 1))
	fi
done

if [[ -s $diffs ]]; then
	echo "(diffs of failing cases: $diffs)"
fi
echo "golden: $passed passed, $failed failed"
((failed == 0))
