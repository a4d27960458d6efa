#!/usr/bin/env bash
# make demo: lint the bundled example migrations and show what pgstage finds.
set -euo pipefail

pgstage=${1:-./pgstage}
dir=examples/demo/migrations

echo "\$ pgstage lint $dir"
echo
set +e
"$pgstage" lint --color "${PGSTAGE_COLOR:-auto}" "$dir"
rc=$?
set -e
echo
echo "exit code $rc (1: findings at or above --fail-on warning; 0 would mean clean)"
# Findings are what the demo is for; only a usage or internal error fails it.
if ((rc > 1)); then
	exit "$rc"
fi

echo
echo "\$ pgstage plan --context $dir/001_create_users.sql $dir/002_add_login_token.sql"
echo
"$pgstage" plan --context "$dir/001_create_users.sql" "$dir/002_add_login_token.sql"
