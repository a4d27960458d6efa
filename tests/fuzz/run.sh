#!/usr/bin/env bash
# Run the libFuzzer targets built under build/fuzz/ (make fuzz, make fuzz-check).
#
#   tests/fuzz/run.sh fuzz SECONDS TARGET...   fuzz each target for SECONDS, one at a
#                                              time, growing build/fuzz/corpus/TARGET and
#                                              saving crashes in build/fuzz/crashes/TARGET
#   tests/fuzz/run.sh check SECONDS TARGET...  replay tests/fuzz/regressions/TARGET/*,
#                                              then a smoke run of SECONDS per target from
#                                              the seeds alone (a throwaway corpus)
#
# Seeds: every fixtures/**/*.sql; for the targets that read a history (history,
# explain, plan) also each fixture whose "-- args:" line names a --context
# file, as that file, a NUL byte and the fixture; for config, the files in
# tests/fuzz/seeds/config/. FUZZ_FLAGS adds libFuzzer flags (e.g.
# "-fork=1 -ignore_crashes=1" to go on after a crash).
#
# Leaks are checked, except libpg_query's known one (see tests/fuzz/fuzz.c).
# The last line says what ran: "fuzz: N targets, T s, E executions, C crashing".
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2

mode=${1:-}
seconds=${2:-}
shift 2 || true
if [[ $mode != fuzz && $mode != check ]] || ! [[ $seconds =~ ^[0-9]+$ ]] || (($# == 0)); then
	echo "usage: $0 fuzz|check SECONDS TARGET..." >&2
	exit 2
fi

out=build/fuzz
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# shellcheck disable=SC2206 # FUZZ_FLAGS is a list of flags
extra=(${FUZZ_FLAGS:-})

# build/fuzz/seeds/{sql,history}: fixtures flattened to one directory each
make_seeds() {
	rm -rf "$out/seeds"
	mkdir -p "$out/seeds/sql" "$out/seeds/history"
	local f ctx name
	while IFS= read -r f; do
		name=${f#fixtures/}
		name=${name//\//__}
		cp "$f" "$out/seeds/sql/$name"
		ctx=$(sed -n '1s/^-- args:.*--context \([^ ]*\).*/\1/p' "$f")
		if [[ -n $ctx && -f $ctx ]]; then
			{
				cat "$ctx"
				printf '\0'
				cat "$f"
			} >"$out/seeds/history/$name"
		fi
	done < <(find fixtures -name '*.sql' | sort)
	# plan_json: the JSON plans of the plan fixtures, by the pgstage built here
	mkdir -p "$out/seeds/plan_json"
	local pgstage=${PGSTAGE:-./pgstage} args
	if [[ -x $pgstage ]]; then
		for f in fixtures/plan/*.sql; do
			args=$(sed -n '1s/^-- args://p' "$f")
			# shellcheck disable=SC2086  # the fixture's args are words
			"$pgstage" plan --no-config --format json $args "$f" \
				>"$out/seeds/plan_json/$(basename "$f" .sql).json" 2>/dev/null || true
		done
	fi
}

seeds_of() {
	case $1 in
	config) echo tests/fuzz/seeds/config ;;
	plan_json) echo "$out/seeds/plan_json" ;;
	history | explain | plan) echo "$out/seeds/sql $out/seeds/history" ;;
	*) echo "$out/seeds/sql" ;;
	esac
}

dict_of() {
	case $1 in
	config) echo tests/fuzz/config.dict ;;
	plan_json) echo tests/fuzz/plan_json.dict ;;
	*) echo tests/fuzz/sql.dict ;;
	esac
}

# "E T": executions and seconds from a libFuzzer log (-print_final_stats=1; in
# -fork mode, its last status line and its exit line)
stats() {
	local execs secs
	execs=$(sed -n -e 's/^stat::number_of_executed_units: *//p' \
		-e 's/^#\([0-9]*\): cov:.*/\1/p' "$1" | tail -n 1)
	secs=$(sed -n -e 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' \
		-e 's/^INFO: exiting: .* time: \([0-9]*\)s.*/\1/p' "$1" | tail -n 1)
	echo "${execs:-0} ${secs:-?}"
}

make_seeds
failed=()
total_execs=0
start=$SECONDS
for t in "$@"; do
	bin=$out/$t
	if [[ ! -x $bin ]]; then
		echo "fuzz: $bin is not built (make fuzz builds it)" >&2
		exit 2
	fi
	mkdir -p "$out/logs" "$out/crashes/$t"
	log=$out/logs/$t.log

	if [[ $mode == check ]]; then
		repros=()
		if [[ -d tests/fuzz/regressions/$t ]]; then
			mapfile -t repros < <(find "tests/fuzz/regressions/$t" -type f | sort)
		fi
		if ((${#repros[@]} > 0)); then
			if "$bin" -timeout=30 "${repros[@]}" >"$log.replay" 2>&1; then
				echo "fuzz: $t: ${#repros[@]} reproducers replayed clean"
			else
				echo "FAIL fuzz: $t: a reproducer fails ($log.replay):"
				grep -E 'ERROR|SUMMARY|pgstage fuzz: bug|Running:' "$log.replay" | tail -n 5
				failed+=("$t")
				continue
			fi
		fi
		corpus=$out/smoke/$t
		rm -rf "$corpus"
		mkdir -p "$corpus"
	else
		corpus=$out/corpus/$t
		mkdir -p "$corpus"
	fi

	stamp=$out/logs/$t.start
	touch "$stamp"
	# shellcheck disable=SC2046 # seeds_of gives directories
	"$bin" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
		-dict="$(dict_of "$t")" -artifact_prefix="$out/crashes/$t/" "${extra[@]}" \
		"$corpus" $(seeds_of "$t") >"$log" 2>&1
	rc=$?
	read -r execs secs < <(stats "$log")
	total_execs=$((total_execs + execs))
	# -ignore_crashes (fork mode) goes on after a crash: what it saved, and why
	mapfile -t found < <(find "$out/crashes/$t" -type f -newer "$stamp" | sort)
	if ((rc != 0 || ${#found[@]} > 0)); then
		echo "FAIL fuzz: $t: exit $rc, ${#found[@]} new in $out/crashes/$t/, after $execs executions in ${secs}s ($log)"
		for f in "${found[@]:0:5}"; do
			why=$("$bin" -timeout=10 "$f" 2>&1 |
				grep -m 1 -E 'pgstage fuzz: bug|runtime error|ERROR: (Address|Leak)Sanitizer|ERROR: libFuzzer: timeout|SUMMARY')
			echo "  $f: ${why:-does not reproduce alone}"
		done
		failed+=("$t")
	else
		echo "fuzz: $t: $execs executions in ${secs}s, clean"
	fi
done
[[ $mode == check ]] && rm -rf "$out/smoke"

if ((${#failed[@]} > 0)); then
	echo "fuzz: failing: ${failed[*]}; reproducers are in $out/crashes/<target>/"
	echo "  save one as tests/fuzz/regressions/<target>/<what-it-is> (see the README)"
fi
echo "fuzz: $# targets, $((SECONDS - start)) s, $total_execs executions, ${#failed[@]} crashing"
((${#failed[@]} == 0))
