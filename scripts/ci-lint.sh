#!/usr/bin/env bash
# What the GitHub Action runs after building pgstage: lint the migrations
# changed relative to the pull request's base, as workflow annotations.
#
# Environment (set by action.yml from its inputs):
#   PGSTAGE          the pgstage binary
#   PGSTAGE_PATHS    migration files or directories (space separated; empty:
#                    the "include" paths of .pgstage.json)
#   PGSTAGE_BASE     git ref to compare with (empty: lint everything)
#   PGSTAGE_FORMAT   output format (default github)
#   PGSTAGE_ARGS     extra arguments for pgstage lint
#   PGSTAGE_OUTPUT   file to write the report to (empty: the log); its path is
#                    the step's output "report" (in $GITHUB_OUTPUT) once written
set -euo pipefail

pgstage=${PGSTAGE:?set PGSTAGE}
args=(lint --format "${PGSTAGE_FORMAT:-github}")
if [[ -n ${PGSTAGE_BASE:-} ]]; then
	# the base may not be fetched in a shallow checkout
	if ! git rev-parse --verify --quiet "$PGSTAGE_BASE^{commit}" >/dev/null; then
		git fetch --quiet origin "${PGSTAGE_BASE#origin/}:refs/remotes/origin/${PGSTAGE_BASE#origin/}" || true
	fi
	# --diff compares with the merge base of the base and HEAD, which a shallow
	# history lacks: fetch the rest of it
	if ! git merge-base "$PGSTAGE_BASE" HEAD >/dev/null 2>&1 &&
		[[ $(git rev-parse --is-shallow-repository) == true ]]; then
		git fetch --quiet --unshallow origin || true
	fi
	args+=(--diff "$PGSTAGE_BASE")
fi
read -r -a extra <<<"${PGSTAGE_ARGS:-}"
read -r -a paths <<<"${PGSTAGE_PATHS:-}"
if [[ -n ${PGSTAGE_OUTPUT:-} ]]; then
	args+=(--output "$PGSTAGE_OUTPUT")
fi
rc=0
"$pgstage" "${args[@]}" "${extra[@]}" "${paths[@]}" || rc=$?
# findings (exit 1) still leave a report for the next step to upload
if [[ -n ${PGSTAGE_OUTPUT:-} && -f $PGSTAGE_OUTPUT && -n ${GITHUB_OUTPUT:-} ]]; then
	echo "report=$PGSTAGE_OUTPUT" >>"$GITHUB_OUTPUT"
fi
exit "$rc"
