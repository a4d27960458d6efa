#!/usr/bin/env bash
# make install into a temporary prefix: binary, man page and completion are
# there and work.
set -euo pipefail

prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
passed=0
failed=0
check() {
	if eval "$2"; then
		passed=$((passed + 1))
	else
		echo "FAIL install: $1"
		failed=$((failed + 1))
	fi
}

make -s install PREFIX="$prefix" BIN="${BIN:-pgstage}" >/dev/null
check "binary runs" '"$prefix/bin/pgstage" --version | grep -q "^pgstage .*PostgreSQL 15.* grammar"'
check "man page" 'head -n 2 "$prefix/share/man/man1/pgstage.1" | grep -q "^.TH PGSTAGE 1"'
# every option --help shows is in the man page, as troff writes it (.B \-\-fail\-on)
man_has_options() {
	local o troff
	for o in $("$prefix/bin/pgstage" "$1" --help | grep -oE '^  --[a-z-]+'); do
		troff=".B $(printf '%s' "${o#  }" | sed 's/-/\\-/g')"
		grep -qF -- "$troff" "$prefix/share/man/man1/pgstage.1" || {
			echo "     man page lacks: $troff"
			return 1
		}
	done
}
check "man page lists every lint option" 'man_has_options lint'
check "man page lists every explain option" 'man_has_options explain'
check "completion parses" 'bash -n "$prefix/share/bash-completion/completions/pgstage"'
check "completion completes commands" \
	'(source "$prefix/share/bash-completion/completions/pgstage"; COMP_WORDS=(pgstage li); COMP_CWORD=1; _pgstage; [[ ${COMPREPLY[*]} == lint ]])'
check "completion completes options" \
	'(source "$prefix/share/bash-completion/completions/pgstage"; COMP_WORDS=(pgstage lint --fail); COMP_CWORD=2; _pgstage; [[ ${COMPREPLY[*]} == *--fail-on* ]])'
check "completion completes --format values" \
	'(source "$prefix/share/bash-completion/completions/pgstage"; COMP_WORDS=(pgstage lint --format sa); COMP_CWORD=3; _pgstage; [[ ${COMPREPLY[*]} == sarif ]])'
echo "install: $passed passed, $failed failed"
((failed == 0))
