#!/usr/bin/env bash
# Run cmocka unit test binaries and summarise them.
#
#   tests/run-unit.sh build/tests/unit/test_a build/tests/unit/test_b ...
#
# Each binary runs from the repository root (tests read files such as rules/
# relative to it), its output is printed as it comes, and the individual
# cmocka tests are counted from cmocka's summary lines:
#
#   [  PASSED  ] N test(s).
#   [  FAILED  ] N test(s), listed below:
#   [  SKIPPED ] N test(s), listed below:
#
# A binary that exits non-zero without a FAILED line (a crash, a sanitizer
# report, a failed group setup) counts as one failed test. The last line is
# exactly "unit: N passed, M failed"; the exit status is non-zero when any
# binary failed (or none was given).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

if (($# == 0)); then
	echo "run-unit: no unit test binaries given" >&2
	echo "unit: 0 passed, 0 failed"
	exit 2
fi

# Resolve binaries against the caller's directory before moving to the root.
bins=()
for bin in "$@"; do
	case $bin in
	/*) bins+=("$bin") ;;
	*) bins+=("$PWD/$bin") ;;
	esac
done
cd "$root" || exit 2

# cmocka's plain format, on stdout/stderr (not TAP, XML or subunit).
unset CMOCKA_XML_FILE
export CMOCKA_MESSAGE_OUTPUT=stdout

passed=0
failed=0
skipped=0
failed_bins=()
out=$(mktemp "${TMPDIR:-/tmp}/pgstage-unit.XXXXXX") || exit 2
trap 'rm -f "$out"' EXIT

for bin in "${bins[@]}"; do
	name=${bin#"$root"/}
	if [[ ! -x $bin ]]; then
		echo "run-unit: $name: not an executable test binary" >&2
		failed=$((failed + 1))
		failed_bins+=("$name")
		continue
	fi
	echo "--- $name"
	"$bin" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}

	p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\..*/\1/p' "$out" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' "$out" | tail -n 1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9][0-9]*\) test(s).*/\1/p' "$out" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	s=${s:-0}
	if ((rc != 0 && f == 0)); then
		echo "run-unit: $name exited with status $rc before reporting a failed test" >&2
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if ((rc != 0 || f > 0)); then
		failed_bins+=("$name")
	fi
done

echo
if ((${#failed_bins[@]} > 0)); then
	echo "failed: ${failed_bins[*]}"
fi
if ((skipped > 0)); then
	echo "unit: $skipped skipped"
fi
echo "unit: $passed passed, $failed failed"
((${#failed_bins[@]} == 0))
