#!/usr/bin/env bash
# Source checks the compiler doesn't make: banned unsafe functions, and
# every rule file listed in rules/rules.def.
set -euo pipefail

status=0
banned='\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|atoll|gets)[[:space:]]*\('
if grep -nE "$banned" core/*.c core/*/*.c lint/*.c lint/*/*.c rules/*.c planner/*.c cli/*.c tests/*/*.c 2>/dev/null; then
	echo "lint-src: banned function used (use snprintf, strtol, memcpy with sizes)" >&2
	status=1
fi
for f in rules/*.c; do
	sym=$(basename "$f" .c)
	[[ $sym == registry ]] && continue
	if ! grep -qE "^RULE\(M[0-9]{3}, $sym\)$" rules/rules.def; then
		echo "lint-src: $f is not listed in rules/rules.def" >&2
		status=1
	fi
done
if ((status == 0)); then
	echo "lint-src: ok"
fi
exit "$status"
