#!/usr/bin/env bash
# The integrations shipped in the repository, run the way their hosts run
# them, in temporary git repositories: the pre-commit hook, the GitHub
# Action's build and lint steps, the GitLab job's report, and lint --diff.
set -euo pipefail

repo=$(pwd)
pgstage=$(cd "$(dirname "${PGSTAGE:-./pgstage}")" && pwd)/$(basename "${PGSTAGE:-./pgstage}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() {
	echo "FAIL integrations: $*"
	failed=$((failed + 1))
}

# A repository whose main branch holds two migrations; a feature branch adds
# a third and changes the second.
make_repo() {
	local dir=$1
	mkdir -p "$dir/db/migrations"
	git -C "$dir" init -q -b main
	git -C "$dir" config user.email ci@example.invalid
	git -C "$dir" config user.name ci
	printf 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n' >"$dir/db/migrations/1_users.sql"
	printf 'CREATE INDEX users_id_idx ON users (id);\n' >"$dir/db/migrations/2_old_index.sql"
	git -C "$dir" add -A
	git -C "$dir" commit -qm base
	git -C "$dir" checkout -q -b feature
	printf 'CREATE INDEX users_email_idx ON users (email);\n' >"$dir/db/migrations/3_email_index.sql"
	printf 'ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\n' >>"$dir/db/migrations/2_old_index.sql"
	git -C "$dir" add -A
	git -C "$dir" commit -qm feature
}

# ---- lint --diff ----
make_repo "$tmp/diff"
out=$(cd "$tmp/diff" && "$pgstage" lint --rule require-concurrent-index \
	--rule adding-field-with-volatile-default --format gcc --diff main db/migrations) && rc=0 || rc=$?
[[ $rc == 1 ]] && ok || bad "--diff: exit $rc, expected 1"
grep -q '^db/migrations/3_email_index.sql:1:1: warning: CREATE INDEX on users' <<<"$out" && ok || bad "--diff: the new file is not linted: $out"
grep -q '^db/migrations/2_old_index.sql:2:1: warning: adding column token' <<<"$out" && ok || bad "--diff: the changed file is not linted"
# the unchanged CREATE TABLE still feeds the model: users is known, its index on a
# table created in an earlier file is reported (not exempt), and nothing from 1_users.sql
! grep -q '1_users.sql' <<<"$out" && ok || bad "--diff: an unchanged file was reported"
(cd "$tmp/diff" && "$pgstage" lint --diff feature db/migrations >/dev/null) && ok || bad "--diff against HEAD's own branch should lint nothing and exit 0"
err=$(cd "$tmp/diff" && "$pgstage" lint --diff no-such-ref db/migrations 2>&1 >/dev/null) && rc=0 || rc=$?
[[ $rc == 2 && $err == "pgstage: error: --diff no-such-ref: git cannot compare with that ref" ]] && ok || bad "--diff with a bad ref: $rc $err"
# main moves on after the branch point: a file only main changed is not the branch's
# change (the merge base is what the branch is compared with, as git diff main...HEAD)
mkdir -p "$tmp/moved/db/migrations"
git -C "$tmp/moved" init -q -b main
git -C "$tmp/moved" config user.email ci@example.invalid
git -C "$tmp/moved" config user.name ci
printf 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n' >"$tmp/moved/db/migrations/1_users.sql"
printf 'CREATE INDEX users_id_idx ON users (id);\n' >"$tmp/moved/db/migrations/2_id_index.sql"
git -C "$tmp/moved" add -A
git -C "$tmp/moved" commit -qm base
git -C "$tmp/moved" checkout -q -b feature
printf 'CREATE INDEX users_email_idx ON users (email);\n' >"$tmp/moved/db/migrations/3_email_index.sql"
git -C "$tmp/moved" add -A
git -C "$tmp/moved" commit -qm feature
git -C "$tmp/moved" checkout -q main
printf -- '-- reviewed on main\n' >>"$tmp/moved/db/migrations/2_id_index.sql"
git -C "$tmp/moved" commit -qam "main after the branch point"
git -C "$tmp/moved" checkout -q feature
moved_lint() {
	(cd "$tmp/moved" && "$pgstage" lint --rule require-concurrent-index --format gcc --diff main db/migrations)
}
out=$(moved_lint) && rc=0 || rc=$?
[[ $rc == 1 && $out == "db/migrations/3_email_index.sql:1:1: warning: CREATE INDEX on users without CONCURRENTLY blocks writes to it until the index is built [require-concurrent-index]" ]] &&
	ok || bad "--diff main after main moved on: only the branch's file: exit $rc: $out"
# merging main into the branch does not make main's change the branch's
git -C "$tmp/moved" merge -q --no-edit main
out=$(moved_lint) && rc=0 || rc=$?
[[ $rc == 1 && $out == db/migrations/3_email_index.sql:1:1:* && $(grep -c . <<<"$out") == 1 ]] &&
	ok || bad "--diff main after merging main: only the branch's file: exit $rc: $out"
# an uncommitted change of the branch is its change
printf -- '-- edited on the branch\n' >>"$tmp/moved/db/migrations/2_id_index.sql"
out=$(moved_lint) && rc=0 || rc=$?
grep -q '^db/migrations/2_id_index.sql:1:1:' <<<"$out" && ok || bad "--diff: an uncommitted change is not linted: $out"
git -C "$tmp/moved" checkout -q -- db/migrations/2_id_index.sql
# no common ancestor: said, not a comparison with an unrelated tree
git -C "$tmp/moved" checkout -q --orphan unrelated
git -C "$tmp/moved" commit -qm unrelated
err=$(cd "$tmp/moved" && "$pgstage" lint --diff main db/migrations 2>&1 >/dev/null) && rc=0 || rc=$?
[[ $rc == 2 && $err == "pgstage: error: --diff main: no common ancestor of main and HEAD (in a shallow clone, fetch the history: git fetch --unshallow, or fetch-depth: 0 in actions/checkout)" ]] &&
	ok || bad "--diff without a merge base: $rc $err"

# ---- pre-commit hook, run as pre-commit runs it: entry + staged .sql files ----
entry=$(sed -n 's/^  entry: //p' "$repo/.pre-commit-hooks.yaml")
[[ -n $entry ]] && ok || bad "no entry in .pre-commit-hooks.yaml"
grep -q '^  types: \[sql\]$' "$repo/.pre-commit-hooks.yaml" && ok || bad "the hook is not for sql files"
mkdir -p "$tmp/bin"
ln -s "$pgstage" "$tmp/bin/pgstage"
make_repo "$tmp/hook"
printf 'CREATE TABLE audit (id bigint PRIMARY KEY, note text);\n' >"$tmp/hook/db/migrations/4_clean.sql"
printf 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n' >"$tmp/hook/db/migrations/5_unstaged.sql"
git -C "$tmp/hook" add db/migrations/4_clean.sql
run_hook() {
	local files
	mapfile -t files < <(git -C "$tmp/hook" diff --cached --name-only --diff-filter=ACM -- '*.sql')
	((${#files[@]} > 0)) || return 0
	# shellcheck disable=SC2086 # the entry is a command line, as pre-commit splits it
	(cd "$tmp/hook" && PATH="$tmp/bin:$PATH" $entry "${files[@]}")
}
out=$(run_hook) && rc=0 || rc=$?
[[ $rc == 0 && -z $out ]] && ok || bad "hook on a clean staged file: exit $rc: $out"
printf 'CREATE INDEX users_name_idx ON users (email);\n' >"$tmp/hook/db/migrations/6_bad.sql"
git -C "$tmp/hook" add db/migrations/6_bad.sql
out=$(run_hook) && rc=0 || rc=$?
[[ $rc == 1 ]] && ok || bad "hook on an unsafe staged file: exit $rc, expected 1"
grep -q '^db/migrations/6_bad.sql:1:1: warning\[require-concurrent-index\]' <<<"$out" && ok || bad "hook output: $out"
! grep -q '5_unstaged' <<<"$out" && ok || bad "the hook linted an unstaged file"

# ---- GitHub Action: its build command, then its lint script ----
build=$(sed -n 's/^      run: \(make .*\)$/\1/p' "$repo/action.yml")
[[ $build == *'DEPS_ARGS=--build-only pgstage'* ]] && ok || bad "action build step: $build"
if (cd "$repo" && make --no-print-directory RELEASE=1 DEPS_ARGS=--build-only BUILD="$tmp/action-build" \
	BIN="$tmp/action-build/pgstage" "$tmp/action-build/pgstage" >/dev/null); then
	ok
else
	bad "the action's build command failed"
fi
grep -q 'scripts/ci-lint.sh' "$repo/action.yml" && ok || bad "the action does not run scripts/ci-lint.sh"
make_repo "$tmp/action"
# the two rules these migrations are about, so the counts below hold as rules are added
only=(--rule require-concurrent-index --rule adding-field-with-volatile-default)
out=$(cd "$tmp/action" && PGSTAGE="$tmp/action-build/pgstage" PGSTAGE_BASE=main \
	PGSTAGE_PATHS=db/migrations PGSTAGE_ARGS="${only[*]}" "$repo/scripts/ci-lint.sh") && rc=0 || rc=$?
[[ $rc == 1 ]] && ok || bad "action lint: exit $rc, expected 1"
grep -q '^::warning file=db/migrations/3_email_index.sql,line=1,col=1,endLine=1,endColumn=46,title=require-concurrent-index::CREATE INDEX on users' <<<"$out" &&
	ok || bad "action annotations: $out"
[[ $(grep -c "^::" <<<"$out") == 3 ]] && ok || bad "action: expected 3 annotations (the changed files, whole): $out"

# the SARIF report for upload-sarif: the output-file input, the report output
grep -q '^  output-file:$' "$repo/action.yml" && grep -q 'PGSTAGE_OUTPUT: ${{ inputs.output-file }}' "$repo/action.yml" &&
	grep -q 'value: ${{ steps.lint.outputs.report }}' "$repo/action.yml" && grep -q '^      id: lint$' "$repo/action.yml" &&
	ok || bad "action.yml: the output-file input and the report output are not wired to the lint step"
: >"$tmp/github_output"
out=$(cd "$tmp/action" && PGSTAGE="$tmp/action-build/pgstage" PGSTAGE_BASE=main PGSTAGE_FORMAT=sarif \
	PGSTAGE_OUTPUT=pgstage.sarif GITHUB_OUTPUT="$tmp/github_output" \
	PGSTAGE_PATHS=db/migrations PGSTAGE_ARGS="${only[*]}" "$repo/scripts/ci-lint.sh") && rc=0 || rc=$?
[[ $rc == 1 && -z $out ]] && ok || bad "action with output-file: exit $rc (expected 1), printed: $out"
[[ $(cat "$tmp/github_output") == "report=pgstage.sarif" ]] && ok || bad "action output: $(cat "$tmp/github_output")"
python3 - "$tmp/action/pgstage.sarif" <<'PY' && ok || bad "action SARIF report"
import json, sys
sarif = json.load(open(sys.argv[1]))
assert sarif["version"] == "2.1.0", sarif["version"]
results = sarif["runs"][0]["results"]
assert len(results) == 3, results
uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results)
assert uris == ["db/migrations/2_old_index.sql"] * 2 + ["db/migrations/3_email_index.sql"], uris
PY

# ---- GitLab job: the report it uploads ----
line=$(grep -o '/opt/pgstage/pgstage lint.*' "$repo/docs/ci/gitlab-ci.yml")
[[ $line == *'--format gitlab --diff'* ]] && ok || bad "gitlab job: $line"
make_repo "$tmp/gitlab"
(cd "$tmp/gitlab" && "$pgstage" lint "${only[@]}" --format gitlab --diff main db/migrations >report.json) || true
python3 - "$tmp/gitlab/report.json" <<'PY' && ok || bad "gitlab report structure"
import json, sys
issues = json.load(open(sys.argv[1]))
assert isinstance(issues, list) and len(issues) == 3, issues
for i in issues:
    assert set(i) >= {"description", "check_name", "fingerprint", "severity", "location"}, i
    assert i["severity"] in {"info", "minor", "major", "critical", "blocker"}
    assert i["location"]["path"].startswith("db/migrations/")
    assert i["location"]["lines"]["begin"] >= 1
assert len({i["fingerprint"] for i in issues}) == 3
PY

echo "integrations: $passed passed, $failed failed"
((failed == 0))
