#!/usr/bin/env bash
# End-to-end tests of the pgstage command line: exit codes, the exact error
# lines of bad usage and bad input (and that the other files of the run are
# still linted), directory order, --context, migration-tool conventions, JSON
# output, colour and the rules/--version/--help commands.
#
# usage: PGSTAGE=./pgstage tests/cli.sh    (from the repository root)
# Every case runs pgstage inside its own temporary directory, so the paths in
# its output are short and relative ("warn.sql", "migrations/1_a.sql").
set -euo pipefail

pgstage=${PGSTAGE:-./pgstage}
if [[ $pgstage == */* ]]; then
	pgstage=$(cd "$(dirname "$pgstage")" && pwd)/$(basename "$pgstage")
else
	pgstage=$(command -v "$pgstage" || true)
fi
if [[ ! -x $pgstage ]]; then
	echo "cli: ${PGSTAGE:-./pgstage} is not an executable (set PGSTAGE)" >&2
	exit 2
fi
if [[ ! -f rules/rules.def ]]; then
	echo "cli: run from the repository root (rules/rules.def not found)" >&2
	exit 2
fi
repo=$(pwd)

tmp=$(mktemp -d)
cleanup() {
	chmod -R u+rwx "$tmp" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

out=$tmp/stdout
err=$tmp/stderr
passed=0
failed=0
skipped=0
n_cases=0
current=""
case_ok=true
work=""
rc=0
last_cmd=""

# ---- the harness ----

# finish the running case and count it
finish() {
	if [[ -n $current ]]; then
		if $case_ok; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	fi
	current=""
}

# begin NAME: start a case in a fresh empty directory ($work)
begin() {
	finish
	n_cases=$((n_cases + 1))
	current=$1
	case_ok=true
	work=$tmp/case$n_cases
	mkdir -p "$work"
}

skip() {
	echo "skip: $current: $*"
	skipped=$((skipped + 1))
	current=""
}

fail() {
	if $case_ok; then
		echo "FAIL $current"
		echo "     \$ $last_cmd  (exit $rc)"
		sed -n '1,12s/^/     stdout| /p' "$out"
		sed -n '1,6s/^/     stderr| /p' "$err"
	fi
	echo "     - $*"
	case_ok=false
}

# file PATH [CONTENT]: create $work/PATH (and its directories) holding CONTENT
file() {
	mkdir -p "$(dirname "$work/$1")"
	printf '%s' "${2-}" >"$work/$1"
}

# run ARGS...: pgstage ARGS in $work, stdin from /dev/null (or $stdin_file),
# under a file-size limit of $file_limit KB when set, as $run_as (a command
# prefix such as setpriv ...) when set
run() {
	last_cmd="${run_as:+(${run_as[*]}) }${file_limit:+(ulimit -f $file_limit) }pgstage $*"
	set +e
	(cd "$work" && { [[ -z ${file_limit:-} ]] || ulimit -f "$file_limit"; } &&
		exec ${run_as:+"${run_as[@]}"} "$pgstage" "$@") <"${stdin_file:-/dev/null}" >"$out" 2>"$err"
	rc=$?
	set -e
	if ((rc > 128)); then
		fail "pgstage was killed by signal $((rc - 128))"
	fi
}

# run_stdin FILE ARGS...: pgstage ARGS with FILE (in $work) on standard input
run_stdin() {
	local stdin_file=$work/$1
	shift
	run "$@"
	last_cmd="$last_cmd < $(basename "$stdin_file")"
}

assert_rc() {
	[[ $rc == "$1" ]] || fail "exit code $rc, expected $1"
}

assert_stdout_has() {
	grep -qF -- "$1" "$out" || fail "stdout lacks: $1"
}

assert_stdout_lacks() {
	! grep -qF -- "$1" "$out" || fail "stdout should not have: $1"
}

assert_stdout_line() {
	grep -qxF -- "$1" "$out" || fail "stdout lacks the line: $1"
}

assert_stdout_empty() {
	[[ ! -s $out ]] || fail "stdout should be empty"
}

assert_stderr_empty() {
	[[ ! -s $err ]] || fail "stderr should be empty"
}

# the exact line on stderr, and nothing else
assert_stderr_is() {
	local got
	got=$(cat "$err")
	[[ $got == "$1" ]] || fail "stderr should be exactly: $1"
}

assert_stderr_line() {
	grep -qxF -- "$1" "$err" || fail "stderr lacks the line: $1"
}

assert_stderr_lines() {
	local n
	n=$(wc -l <"$err")
	((n == $1)) || fail "stderr has $n lines, expected $1"
}

# number of finding headers "PATH:L:C: severity[rule]: ..." on stdout
assert_findings() {
	local n
	n=$(grep -cE '^[^ ]+:[0-9]+:[0-9]+: (error|warning|info)\[[a-z0-9-]+\]: ' "$out" || true)
	((n == $1)) || fail "$n findings on stdout, expected $1"
}

# number of findings of one rule on stdout (other rules may report the same statements)
assert_findings_of() {
	local n
	n=$(grep -cE "^[^ ]+:[0-9]+:[0-9]+: (error|warning|info)\[$1\]: " "$out" || true)
	((n == $2)) || fail "$n $1 findings on stdout, expected $2"
}

# assert_order S1 S2 ...: the first lines holding each fixed string come in this order
assert_order() {
	local prev=0 s at
	for s in "$@"; do
		at=$(grep -nF -- "$s" "$out" | head -n 1 | cut -d: -f1)
		if [[ -z $at ]]; then
			fail "stdout lacks: $s"
			return 0
		fi
		if ((at <= prev)); then
			fail "'$s' comes too early (line $at) in: $*"
			return 0
		fi
		prev=$at
	done
}

assert_eq() {
	[[ $1 == "$2" ]] || fail "$3: got '$1', expected '$2'"
}

# json EXPR: evaluate a Python expression over the JSON document on stdout (d)
json() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$out" "$1" 2>&1 || true
}

# ---- inputs shared by many cases ----

CLEAN='SELECT 1;
'
WARN='CREATE INDEX orders_customer_id_idx ON orders (customer_id);
'
ERROR='BEGIN;
CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);
COMMIT;
'
WARN_HEADER='warn.sql:1:1: warning[require-concurrent-index]: CREATE INDEX on orders without CONCURRENTLY blocks writes to it until the index is built'

# ---- exit codes ----

begin "clean file: exit 0, no output"
file clean.sql "$CLEAN"
run lint clean.sql
assert_rc 0
assert_stdout_empty
assert_stderr_empty

begin "--version: the grammar and the servers the suite proves"
run --version
assert_rc 0
assert_stdout_line "proven on real servers: explain on PostgreSQL 11 to 18 (make check: 11, 15 and 18); plans, apply and verify on 11, 13, 15 and 18; PostgreSQL 19 from its documentation"
assert_stderr_empty

begin "warning: exit 1, finding and summary"
file warn.sql "$WARN"
run lint warn.sql
assert_rc 1
assert_stdout_line "$WARN_HEADER"
# the index is also built without a lock_timeout and a statement_timeout
assert_stdout_line "3 findings (0 errors, 2 warnings, 1 info) in 1 of 1 file"
assert_stderr_empty

begin "--fail-on error with only warnings: exit 0, findings still printed"
file warn.sql "$WARN"
run lint --fail-on error warn.sql
assert_rc 0
assert_stdout_line "$WARN_HEADER"

begin "--fail-on error with an error: exit 1"
file error.sql "$ERROR"
run lint --fail-on error error.sql
assert_rc 1
assert_stdout_has "error.sql:2:1: error[concurrently-in-transaction]: "

begin "--fail-on info with a warning: exit 1"
file warn.sql "$WARN"
run lint --fail-on info warn.sql
assert_rc 1

begin "--fail-on info on a clean file: exit 0"
file clean.sql "$CLEAN"
run lint --fail-on info clean.sql
assert_rc 0

begin "--fail-on none with an error: exit 0, findings still printed"
file error.sql "$ERROR"
run lint --fail-on none error.sql
assert_rc 0
assert_findings 1

begin "--fail-on none does not hide an input error: exit 2"
file warn.sql "$WARN"
run lint --fail-on none missing.sql warn.sql
assert_rc 2

begin "summary counts files and severities"
file a.sql "$WARN"
file b.sql "$ERROR"
file c.sql "$CLEAN"
run lint a.sql b.sql c.sql
assert_rc 1
assert_stdout_line "4 findings (1 error, 2 warnings, 1 info) in 2 of 3 files"

# ---- bad input: one line on stderr naming the file, exit 2, others still linted ----

begin "missing file"
file warn.sql "$WARN"
run lint missing.sql warn.sql
assert_rc 2
assert_stderr_is "pgstage: error: missing.sql: cannot read: No such file or directory"
assert_stdout_line "$WARN_HEADER"

begin "unreadable file"
if (($(id -u) == 0)); then
	skip "running as root, who can read a mode 000 file"
else
	file warn.sql "$WARN"
	file secret.sql "$CLEAN"
	chmod 000 "$work/secret.sql"
	run lint secret.sql warn.sql
	assert_rc 2
	assert_stderr_is "pgstage: error: secret.sql: cannot read: Permission denied"
	assert_stdout_line "$WARN_HEADER"
fi

begin "directory with no .sql files"
file warn.sql "$WARN"
file notes/README.md "# notes"
file notes/schema.txt "CREATE TABLE t (a int);"
run lint notes warn.sql
assert_rc 2
assert_stderr_is "pgstage: error: notes: directory holds no .sql migration files"
assert_stdout_line "$WARN_HEADER"

begin "binary file (an executable, NUL bytes)"
file warn.sql "$WARN"
head -c 4096 /bin/true >"$work/true.sql"
run lint true.sql warn.sql
assert_rc 2
assert_stderr_lines 1
grep -qE '^pgstage: error: true\.sql:[0-9]+:[0-9]+: file holds a NUL byte \(a binary file\?\); not linted$' "$err" ||
	fail "stderr is not the NUL byte error for true.sql"
if [[ $(head -c 4 /bin/true | od -An -tx1 | tr -d ' ') == 7f454c46 ]]; then
	# an ELF header: 7f 'E' 'L' 'F' class data version, then the first NUL
	assert_stderr_line "pgstage: error: true.sql:1:8: file holds a NUL byte (a binary file?); not linted"
fi
assert_stdout_line "$WARN_HEADER"

begin "NUL byte in SQL text: line:col of the byte"
file warn.sql "$WARN"
printf 'CREATE TABLE t (a int);\nSELECT \0 1;\n' >"$work/nul.sql"
run lint warn.sql nul.sql
assert_rc 2
assert_stderr_is "pgstage: error: nul.sql:2:8: file holds a NUL byte (a binary file?); not linted"
assert_stdout_line "$WARN_HEADER"

begin "invalid UTF-8 (a Latin-1 file): line:col of the byte"
file warn.sql "$WARN"
printf -- '-- r\xe9sum\xe9 of the change\nSELECT 1;\n' >"$work/latin1.sql"
run lint latin1.sql warn.sql
assert_rc 2
assert_stderr_is "pgstage: error: latin1.sql:1:5: invalid UTF-8 (byte 0xe9 at offset 4); not linted"
assert_stdout_line "$WARN_HEADER"

begin "invalid UTF-8 after multi-byte characters: column counts code points"
file warn.sql "$WARN"
printf 'SELECT 1;\n-- caf\xc3\xa9 \xe2\x9c\x93 \xc3\x28\n' >"$work/mixed.sql"
run lint mixed.sql warn.sql
assert_rc 2
assert_stderr_is "pgstage: error: mixed.sql:2:11: invalid UTF-8 (byte 0xc3 at offset 23); not linted"
assert_stdout_line "$WARN_HEADER"

begin "file over 64 MiB"
file warn.sql "$WARN"
truncate -s 65M "$work/huge.sql"
run lint huge.sql warn.sql
assert_rc 2
assert_stderr_is "pgstage: error: huge.sql: file is larger than 64 MiB; refusing to read it"
assert_stdout_line "$WARN_HEADER"

begin "several bad inputs: one line each, good files between them still linted"
file warn.sql "$WARN"
file error.sql "$ERROR"
printf 'SELECT \xff;\n' >"$work/bad.sql"
run lint missing.sql warn.sql bad.sql error.sql
assert_rc 2
assert_stderr_lines 2
assert_stderr_line "pgstage: error: missing.sql: cannot read: No such file or directory"
assert_stderr_line "pgstage: error: bad.sql:1:8: invalid UTF-8 (byte 0xff at offset 7); not linted"
assert_findings 4
assert_stdout_line "4 findings (1 error, 2 warnings, 1 info) in 2 of 2 files"

# ---- usage errors: exit 2, one line naming the problem, nothing linted ----

usage_error() {
	local expected=$1
	shift
	file warn.sql "$WARN"
	run lint "$@"
	assert_rc 2
	assert_stderr_is "$expected"
	assert_stdout_empty
}

begin "unknown option"
usage_error "pgstage: error: lint: unknown option '--frobnicate' (pgstage lint --help lists them)" \
	--frobnicate warn.sql

begin "unknown option after the PATH"
usage_error "pgstage: error: lint: unknown option '--frobnicate' (pgstage lint --help lists them)" \
	warn.sql --frobnicate

begin "unknown short option"
usage_error "pgstage: error: lint: unknown option '-x' (pgstage lint --help lists them)" \
	-x warn.sql

begin "unknown short options grouped: names the option, not the command"
usage_error "pgstage: error: lint: unknown option '-x' (pgstage lint --help lists them)" \
	-xy warn.sql

begin "--pg-version 9"
usage_error "pgstage: error: lint: invalid value '9' for --pg-version (expected a major version from 11 to 19)" \
	--pg-version 9 warn.sql

begin "--pg-version 20"
usage_error "pgstage: error: lint: invalid value '20' for --pg-version (expected a major version from 11 to 19)" \
	--pg-version 20 warn.sql

begin "--pg-version 15.2"
usage_error "pgstage: error: lint: invalid value '15.2' for --pg-version (expected a major version from 11 to 19)" \
	--pg-version 15.2 warn.sql

begin "--format xml"
usage_error "pgstage: error: lint: invalid value 'xml' for --format (expected text, json, sarif, github, gitlab, junit or gcc)" \
	--format xml warn.sql

begin "--tool foo"
usage_error "pgstage: error: lint: invalid value 'foo' for --tool (expected auto, plain, goose, dbmate, golang-migrate, flyway, diesel, sqlx, refinery, drizzle, prisma or sqitch)" \
	--tool foo warn.sql

begin "--rule no-such-rule"
usage_error "pgstage: error: lint: no rule named 'no-such-rule' (pgstage rules lists them)" \
	--rule no-such-rule warn.sql

begin "--disable no-such-rule"
usage_error "pgstage: error: lint: no rule named 'no-such-rule' (pgstage rules lists them)" \
	--disable no-such-rule warn.sql

begin "--fail-on bogus"
usage_error "pgstage: error: lint: invalid value 'bogus' for --fail-on (expected info, warning, error or none)" \
	--fail-on bogus warn.sql

begin "--color sometimes"
usage_error "pgstage: error: lint: invalid value 'sometimes' for --color (expected auto, always or never)" \
	--color sometimes warn.sql

begin "option missing its value"
usage_error "pgstage: error: lint: option '--pg-version' needs a value" \
	warn.sql --pg-version

begin "no PATH"
usage_error "pgstage: error: lint: no PATH given (use - for standard input, or \"include\" in .pgstage.json)" \
	--color never

begin "unknown command"
file warn.sql "$WARN"
run frobnicate warn.sql
assert_rc 2
assert_stderr_line "pgstage: error: unknown command 'frobnicate'"
assert_stdout_empty

begin "no command: usage on stderr, exit 2"
run
assert_rc 2
assert_stdout_empty
grep -q '^usage: pgstage' "$err" || fail "stderr lacks the usage"

# ---- valid edge cases ----

begin "empty file: exit 0, no output"
file empty.sql ""
run lint empty.sql
assert_rc 0
assert_stdout_empty
assert_stderr_empty

begin "comment-only file: exit 0, no output"
file comments.sql '-- nothing to do here
/* the column was added by hand */
'
run lint comments.sql
assert_rc 0
assert_stdout_empty
assert_stderr_empty

begin "empty file beside a file with statements"
file empty.sql ""
file clean.sql "$CLEAN"
run lint empty.sql clean.sql
assert_rc 0
assert_stdout_empty
assert_stderr_empty

begin "standard input as -: path shown as <stdin>"
file input.sql "$WARN"
run_stdin input.sql lint -
assert_rc 1
assert_stdout_line "${WARN_HEADER/warn.sql/<stdin>}"
assert_stdout_line "1 | CREATE INDEX orders_customer_id_idx ON orders (customer_id);"

begin "empty standard input: exit 0"
file input.sql ""
run_stdin input.sql lint -
assert_rc 0
assert_stdout_empty
assert_stderr_empty

begin "standard input with invalid UTF-8: error names <stdin>"
printf 'SELECT \xff;\n' >"$work/input.sql"
run_stdin input.sql lint -
assert_rc 2
assert_stderr_is "pgstage: error: <stdin>:1:8: invalid UTF-8 (byte 0xff at offset 7); not linted"

begin "UTF-8 BOM: valid SQL is clean"
printf '\xef\xbb\xbfCREATE TABLE t (a bigint PRIMARY KEY);\n' >"$work/bom.sql"
run lint bom.sql
assert_rc 0
assert_stdout_empty
assert_stderr_empty

begin "UTF-8 BOM: a finding on line 1 starts at column 1, BOM not shown"
printf '\xef\xbb\xbf%s' "$WARN" >"$work/bom.sql"
run lint bom.sql
assert_rc 1
assert_stdout_line "${WARN_HEADER/warn.sql/bom.sql}"
assert_stdout_line "1 | CREATE INDEX orders_customer_id_idx ON orders (customer_id);"
assert_stdout_line "  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"

begin "CRLF line endings: no carriage return in the code frame"
printf 'SELECT 1;\r\nCREATE INDEX orders_customer_id_idx ON orders (customer_id);\r\n' >"$work/crlf.sql"
run lint crlf.sql
assert_rc 1
assert_stdout_has "crlf.sql:2:1: warning[require-concurrent-index]"
assert_stdout_line "2 | CREATE INDEX orders_customer_id_idx ON orders (customer_id);"
if grep -q $'\r' "$out"; then fail "stdout holds a carriage return"; fi

# ---- rule selection ----

begin "--rule runs only that rule"
file warn.sql "$WARN"
run lint --rule set-not-null-without-check warn.sql
assert_rc 0
assert_stdout_empty

begin "--rule takes a rule id"
file warn.sql "$WARN"
run lint --rule M101 warn.sql
assert_rc 1
assert_stdout_line "$WARN_HEADER"

begin "--disable a rule"
file warn.sql "$WARN"
run lint --disable require-concurrent-index warn.sql
assert_findings_of require-concurrent-index 0
assert_stdout_has "warn.sql:1:1: warning[require-lock-timeout]"

begin "--disable syntax-error hides syntax errors"
file typo.sql 'SELEC 1;
'
run lint --disable syntax-error typo.sql
assert_rc 0
assert_stdout_empty

# ---- directories: one history in apply order ----

begin "directory: natural version order (1, 2, 10), files not .sql and hidden ones ignored"
file migrations/10_b.sql 'CREATE INDEX b_idx ON b (x);
'
file migrations/2_a.sql 'CREATE INDEX a_idx ON a (x);
'
file migrations/1_c.sql 'CREATE INDEX c_idx ON c (x);
'
file migrations/README.md 'CREATE INDEX readme_idx ON readme (x);
'
file migrations/.draft.sql 'CREATE INDEX draft_idx ON draft (x);
'
run lint migrations
assert_rc 1
assert_findings_of require-concurrent-index 3
assert_order "migrations/1_c.sql:1:1: " "migrations/2_a.sql:1:1: " "migrations/10_b.sql:1:1: "
assert_stdout_line "9 findings (0 errors, 6 warnings, 3 info) in 3 of 3 files"

begin "directory: subdirectories are searched"
file migrations/2024/1_a.sql "$WARN"
run lint migrations
assert_rc 1
assert_stdout_has "migrations/2024/1_a.sql:1:1: warning[require-concurrent-index]"

begin "directory given with a trailing slash: paths have no double slash"
file migrations/1_a.sql "$WARN"
run lint migrations/
assert_rc 1
assert_stdout_has "migrations/1_a.sql:1:1: warning[require-concurrent-index]"

begin "directory: timestamp versions compare as numbers"
file migrations/20240105093000_b.sql 'CREATE INDEX b_idx ON b (x);
'
file migrations/20231231235959_a.sql 'CREATE INDEX a_idx ON a (x);
'
file migrations/9_legacy.sql 'CREATE INDEX legacy_idx ON legacy (x);
'
run lint migrations
assert_order "migrations/9_legacy.sql:" "migrations/20231231235959_a.sql:" "migrations/20240105093000_b.sql:"

begin "a table created in an earlier file is not new: its index is reported"
file migrations/1_c.sql 'CREATE TABLE invoices (id bigint PRIMARY KEY, due date);
'
file migrations/2_a.sql 'CREATE INDEX invoices_due_idx ON invoices (due);
'
run lint migrations
assert_rc 1
assert_findings_of require-concurrent-index 1
assert_stdout_has 'migrations/2_a.sql:1:1: warning[require-concurrent-index]: CREATE INDEX on invoices'

begin "a table created and indexed in the same file: not reported"
file migrations/1_c.sql 'CREATE TABLE invoices (id bigint PRIMARY KEY, due date);
CREATE INDEX invoices_due_idx ON invoices (due);
'
run lint migrations
assert_rc 0
assert_findings_of require-concurrent-index 0

begin "files given one by one keep their order"
file b.sql 'CREATE INDEX b_idx ON b (x);
'
file a.sql 'CREATE INDEX a_idx ON a (x);
'
run lint b.sql a.sql
assert_order "b.sql:1:1: " "a.sql:1:1: "

# ---- --context ----

CHECKED='ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_email_nn;
CREATE INDEX users_name_idx ON users (name);
'
SET_NOT_NULL='ALTER TABLE users ALTER COLUMN email SET NOT NULL;
'

begin "--context: its findings are not printed, its validated check makes SET NOT NULL clean"
file history/1_checked.sql "$CHECKED"
file 2_not_null.sql "$SET_NOT_NULL"
run lint --context history/1_checked.sql 2_not_null.sql
assert_findings_of set-not-null-without-check 0
assert_stdout_lacks "1_checked.sql"
assert_stderr_empty

begin "without --context the same SET NOT NULL is reported"
file 2_not_null.sql "$SET_NOT_NULL"
run lint 2_not_null.sql
assert_rc 1
assert_stdout_has '2_not_null.sql:1:1: warning[set-not-null-without-check]: SET NOT NULL on users.email'

begin "--context takes a directory"
file history/1_checked.sql "$CHECKED"
file 2_not_null.sql "$SET_NOT_NULL"
run lint --context history 2_not_null.sql
assert_findings_of set-not-null-without-check 0
assert_stdout_lacks "1_checked.sql"

begin "--context: a table it creates already exists, so indexing it is reported"
file schema.sql 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text);
'
file 1_index.sql 'CREATE INDEX accounts_email_idx ON accounts (email);
'
run lint --context schema.sql 1_index.sql
assert_rc 1
assert_findings_of require-concurrent-index 1
assert_stdout_has "1_index.sql:1:1: warning[require-concurrent-index]"
assert_stdout_line "3 findings (0 errors, 2 warnings, 1 info) in 1 of 1 file"

begin "--context that does not exist: exit 2, the PATHs still linted"
file warn.sql "$WARN"
run lint --context nowhere.sql warn.sql
assert_rc 2
assert_stderr_is "pgstage: error: nowhere.sql: cannot read: No such file or directory"
assert_stdout_line "$WARN_HEADER"

# ---- --context that already holds the input ----

ORDERS_INT='CREATE TABLE orders (id bigint PRIMARY KEY, order_id int NOT NULL, note text);
'
ORDERS_BIGINT='CREATE TABLE orders (id bigint PRIMARY KEY, order_id bigint NOT NULL, note text);
'
WIDEN="SET lock_timeout = '2s';
SET statement_timeout = '1min';
ALTER TABLE orders ALTER COLUMN order_id TYPE bigint;
"
TYPE_CHANGE_HEADER='m.sql:3:1: warning[changing-column-type]: changing the type of orders.order_id to bigint rewrites orders: values are converted'

begin "--context that is also the input: not used as context, one warning; the type change is still seen"
file schema.sql "$ORDERS_INT"
file m.sql "$WIDEN"
run lint --context schema.sql --context m.sql m.sql
assert_rc 1
assert_stderr_is "pgstage: warning: --context m.sql is also an input: not used as context"
assert_stdout_line "$TYPE_CHANGE_HEADER"
assert_findings_of context-includes-migration 0

begin "--context: the same file as an input under another spelling or through a symbolic link"
file schema.sql "$ORDERS_INT"
file m.sql "$WIDEN"
ln -s m.sql "$work/link.sql"
run lint --context schema.sql --context ./m.sql --context link.sql m.sql
assert_rc 1
assert_stderr_line "pgstage: warning: --context ./m.sql is the same file as the input m.sql: not used as context"
assert_stderr_line "pgstage: warning: --context link.sql is the same file as the input m.sql: not used as context"
assert_stderr_lines 2
assert_stdout_line "$TYPE_CHANGE_HEADER"
run explain --context schema.sql --context link.sql m.sql
assert_rc 0
assert_stderr_is "pgstage: warning: --context link.sql is the same file as the input m.sql: not used as context"
assert_stdout_line "    public.orders: ACCESS EXCLUSIVE (blocks reads and writes), rewrites the table, rebuilds indexes, scans the whole table"

begin "--context DIR holding the input: it and later files are left out, one warning for lint, explain and plan"
file db/migrations/0001_init.sql "$ORDERS_INT"
file db/migrations/0042_widen.sql "$WIDEN"
file db/migrations/0050_later.sql 'ALTER TABLE orders ALTER COLUMN order_id TYPE bigint;
'
DIR_WARNING="pgstage: warning: --context db/migrations: 2 files from 0042_widen.sql on are not used as context: they come at or after the input db/migrations/0042_widen.sql"
run lint --context db/migrations db/migrations/0042_widen.sql
assert_rc 1
assert_stderr_is "$DIR_WARNING"
assert_stdout_has "db/migrations/0042_widen.sql:3:1: warning[changing-column-type]: changing the type of orders.order_id to bigint rewrites orders"
assert_findings_of context-includes-migration 0
run explain --context db/migrations db/migrations/0042_widen.sql
assert_rc 0
assert_stderr_is "$DIR_WARNING"
assert_stdout_has "rewrites the table"
run plan --context db/migrations db/migrations/0042_widen.sql
assert_rc 0
assert_stderr_is "$DIR_WARNING"
assert_stdout_has "ADD COLUMN"
assert_stdout_lacks "stays as written"
assert_stdout_lacks "context"

begin "--context DIR: an input elsewhere is placed by its version; one without a version cuts nothing"
file db/migrations/0001_init.sql "$ORDERS_INT"
file db/migrations/0050_later.sql 'ALTER TABLE orders ALTER COLUMN order_id TYPE bigint;
'
file new/0045_widen.sql "$WIDEN"
file draft.sql "$WIDEN"
run lint --context db/migrations new/0045_widen.sql
assert_rc 1
assert_stderr_is "pgstage: warning: --context db/migrations: 0050_later.sql is not used as context: it comes at or after the input new/0045_widen.sql"
assert_stdout_has "new/0045_widen.sql:3:1: warning[changing-column-type]"
run lint --context db/migrations draft.sql
assert_rc 1
assert_stderr_empty
# 0050_later.sql made order_id bigint already, and that is seen
assert_findings_of changing-column-type 0
assert_stdout_has "draft.sql:3:1: error[context-includes-migration]: the context seems to already include this migration: its orders.order_id is already bigint"

begin "--down --context DIR: the input's own up part stays context, only later files go"
GOOSE_A='-- +goose Up
CREATE TABLE t (id int, a int);
-- +goose Down
DROP TABLE t;
'
file mig/1_a.sql "$GOOSE_A"
file mig/2_b.sql '-- +goose Up
ALTER TABLE t ADD COLUMN b int;
-- +goose Down
ALTER TABLE t ALTER COLUMN a TYPE bigint;
'
file mig/3_c.sql '-- +goose Up
ALTER TABLE t DROP COLUMN a;
-- +goose Down
ALTER TABLE t ADD COLUMN a int;
'
run explain --down --context mig mig/2_b.sql
assert_rc 0
assert_stderr_is "pgstage: warning: --context mig: 3_c.sql is not used as context: it comes after the input mig/2_b.sql"
# t is known from the up parts of the context (no index on it), not guessed
assert_stdout_line "    public.t: ACCESS EXCLUSIVE (blocks reads and writes), rewrites the table, scans the whole table"

begin "--context dumped after the migration: lint reports it as an error finding, nothing on stderr"
file schema.sql "$ORDERS_BIGINT"
file m.sql "$WIDEN"
run lint --context schema.sql m.sql
assert_rc 1
assert_stderr_empty
assert_stdout_line "m.sql:3:1: error[context-includes-migration]: the context seems to already include this migration: its orders.order_id is already bigint"
assert_findings 1
run lint --context schema.sql --format json m.sql
assert_rc 1
assert_eq "$(json 'd["diagnostics"][0]["rule"]')" "context-includes-migration" "json rule"

begin "--context dumped after the migration, the rule off: a warning on stderr instead"
file schema.sql "$ORDERS_BIGINT"
file m.sql "$WIDEN"
OVERLAP="m.sql:3: the context seems to already include this migration (its orders.order_id is already bigint)"
run lint --disable context-includes-migration --context schema.sql m.sql
assert_rc 0
assert_stderr_is "pgstage: warning: $OVERLAP: give --context the schema from before it"
assert_stdout_empty
file ignored.sql "SET lock_timeout = '2s';
SET statement_timeout = '1min';
-- pgstage-ignore context-includes-migration: checked by hand
ALTER TABLE orders ALTER COLUMN order_id TYPE bigint;
"
run lint --context schema.sql ignored.sql
assert_rc 0
assert_stderr_is "pgstage: warning: ignored.sql:4: the context seems to already include this migration (its orders.order_id is already bigint): give --context the schema from before it"

begin "--context dumped after the migration: explain and plan warn, the plan has a note at its top"
file schema.sql "$ORDERS_BIGINT"
file m.sql "$WIDEN"
run explain --context schema.sql m.sql
assert_rc 0
assert_stderr_is "pgstage: warning: $OVERLAP: give --context the schema from before it"
run plan --context schema.sql m.sql
assert_rc 0
assert_stderr_is "pgstage: warning: $OVERLAP: give --context the schema from before it"
assert_stdout_line "-- note: $OVERLAP: this plan starts from a schema that already has its changes"
run plan --context schema.sql --format json m.sql
assert_rc 0
assert_eq "$(json 'd["notes"][0]')" "$OVERLAP: this plan starts from a schema that already has its changes" "json note"
run plan --context schema.sql -o out m.sql
assert_rc 0
assert_stdout_line "note: $OVERLAP: this plan starts from a schema that already has its changes"
first_file=$(find "$work/out" -name '*.sql' | sort | head -n 1)
head -n 1 "$first_file" | grep -qxF -- "-- note: $OVERLAP: this plan starts from a schema that already has its changes" || fail "the note does not head $first_file"

# ---- migration tools ----

GOOSE_DOWN_INDEX='-- +goose Up
ALTER TABLE orders ALTER COLUMN legacy_ref DROP NOT NULL;

-- +goose Down
ALTER TABLE orders ADD COLUMN legacy_ref text;
CREATE INDEX orders_legacy_ref_idx ON orders (legacy_ref);
'

begin "goose: an unsafe statement only in the Down part is not linted"
file 1_drop.sql "$GOOSE_DOWN_INDEX"
run lint 1_drop.sql
assert_stdout_lacks "1_drop.sql:5:"
assert_stdout_lacks "1_drop.sql:6:"

begin "goose: --down lints the Down part, at its line in the file"
file 1_drop.sql "$GOOSE_DOWN_INDEX"
run lint --down 1_drop.sql
assert_rc 1
assert_findings_of require-concurrent-index 1
assert_stdout_has "1_drop.sql:6:1: warning[require-concurrent-index]"
assert_stdout_lacks "1_drop.sql:2:"

begin "--tool plain on a goose file: the annotations mean nothing, Down is linted too"
file 1_drop.sql "$GOOSE_DOWN_INDEX"
run lint --tool plain 1_drop.sql
assert_rc 1
assert_stdout_has "1_drop.sql:6:1: warning[require-concurrent-index]"

begin "golang-migrate: .down.sql skipped by default"
file migrations/1_a.up.sql 'CREATE INDEX up_idx ON t (a);
'
file migrations/1_a.down.sql 'CREATE INDEX down_idx ON t (a);
'
run lint migrations
assert_rc 1
assert_findings_of require-concurrent-index 1
assert_stdout_has "migrations/1_a.up.sql:1:1: "
assert_stdout_lacks "1_a.down.sql"

begin "golang-migrate: --down lints .down.sql, not .up.sql"
file migrations/1_a.up.sql 'CREATE INDEX up_idx ON t (a);
'
file migrations/1_a.down.sql 'CREATE INDEX down_idx ON t (a);
'
run lint --down migrations
assert_rc 1
assert_findings_of require-concurrent-index 1
assert_stdout_has "migrations/1_a.down.sql:1:1: "
assert_stdout_lacks "1_a.up.sql"

begin "golang-migrate: a .down.sql named on the command line is linted"
file migrations/1_a.down.sql 'CREATE INDEX down_idx ON t (a);
'
run lint migrations/1_a.down.sql
assert_rc 1
assert_stdout_has "migrations/1_a.down.sql:1:1: warning[require-concurrent-index]"

begin "golang-migrate: an up file of one CREATE INDEX CONCURRENTLY is clean"
file migrations/2_idx.up.sql 'CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);
'
run lint migrations
assert_rc 0
assert_stdout_empty

begin "golang-migrate: CONCURRENTLY plus another statement is one transaction"
file migrations/2_idx.up.sql 'ALTER TABLE orders ADD COLUMN ref text;
CREATE INDEX CONCURRENTLY orders_ref_idx ON orders (ref);
'
run lint migrations
assert_rc 1
assert_findings_of concurrently-in-transaction 1
assert_stdout_has "migrations/2_idx.up.sql:2:1: error[concurrently-in-transaction]: CREATE INDEX CONCURRENTLY cannot run inside a transaction block, and golang-migrate runs this file in one"

begin "flyway: versioned scripts in version order, repeatable R__ last"
file sql/V1__a.sql 'CREATE INDEX v1_idx ON t (a);
'
file sql/V2__b.sql 'CREATE INDEX v2_idx ON t (b);
'
file sql/R__c.sql 'CREATE INDEX r_idx ON t (c);
'
run lint sql
assert_rc 1
assert_findings_of require-concurrent-index 3
assert_order "sql/V1__a.sql:1:1: " "sql/V2__b.sql:1:1: " "sql/R__c.sql:1:1: "

begin "flyway: undo scripts U<n>__ are skipped unless --down"
file sql/V1__a.sql 'ALTER TABLE t ADD COLUMN a int;
'
file sql/U1__a.sql 'CREATE INDEX u1_idx ON t (a);
'
run lint sql
assert_stdout_lacks "U1__a.sql"
run lint --down sql
assert_rc 1
assert_stdout_has "sql/U1__a.sql:1:1: warning[require-concurrent-index]"
assert_stdout_lacks "V1__a.sql"

begin "flyway: CREATE INDEX CONCURRENTLY in a versioned script is an error"
file sql/V3__x.sql 'CREATE INDEX CONCURRENTLY orders_ref_idx ON orders (ref);
'
run lint sql
assert_rc 1
assert_stdout_has "sql/V3__x.sql:1:1: error[concurrently-in-transaction]: CREATE INDEX CONCURRENTLY cannot run inside a transaction block, and flyway runs this file in one"

begin "flyway: executeInTransaction=false in V3__x.sql.conf makes it clean"
file sql/V3__x.sql 'CREATE INDEX CONCURRENTLY orders_ref_idx ON orders (ref);
'
file sql/V3__x.sql.conf 'executeInTransaction=false
'
run lint sql
assert_rc 0
assert_findings_of concurrently-in-transaction 0
assert_stderr_empty

begin "dbmate: the down part is not linted"
file 1_x.sql '-- migrate:up
ALTER TABLE orders ADD COLUMN ref text;

-- migrate:down
CREATE INDEX orders_x_idx ON orders (x);
'
run lint 1_x.sql
assert_stdout_lacks "1_x.sql:5:"

# ---- JSON ----

begin "--format json: valid JSON, version 1, the diagnostic and its fix"
file 1_idx.sql 'SELECT 1;
  CREATE INDEX orders_customer_id_idx ON orders (customer_id);
'
run lint --format json 1_idx.sql
assert_rc 1
python3 -m json.tool "$out" >/dev/null 2>&1 || fail "stdout is not valid JSON"
assert_eq "$(json 'd["version"]')" 1 "version"
assert_eq "$(json '[x["rule"] for x in d["diagnostics"]]')" \
	"['require-concurrent-index', 'require-lock-timeout', 'require-statement-timeout']" \
	"rules of the diagnostics, in position then rule order"
assert_eq "$(json 'd["errors"]')" "[]" "errors"
assert_eq "$(json 'd["diagnostics"][0]["path"]')" "1_idx.sql" "path"
assert_eq "$(json 'd["diagnostics"][0]["rule"]')" "require-concurrent-index" "rule"
assert_eq "$(json 'd["diagnostics"][0]["id"]')" "M101" "id"
assert_eq "$(json 'd["diagnostics"][0]["severity"]')" "warning" "severity"
assert_eq "$(json 'd["diagnostics"][0]["start"]')" "{'line': 2, 'column': 3, 'offset': 12}" "start"
assert_eq "$(json 'd["diagnostics"][0]["end"]')" "{'line': 2, 'column': 62, 'offset': 71}" "end"
assert_eq "$(json 'd["diagnostics"][0]["fix"]["title"]')" "add CONCURRENTLY" "fix title"
assert_eq "$(json 'd["diagnostics"][0]["fix"]["safe"]')" "True" "fix safe"
assert_eq "$(json 'd["diagnostics"][0]["fix"]["edits"]')" \
	"[{'start': {'line': 2, 'column': 15, 'offset': 24}, 'end': {'line': 2, 'column': 15, 'offset': 24}, 'text': ' CONCURRENTLY'}]" \
	"fix edits"
assert_eq "$(json 'type(d["diagnostics"][0]["notes"]).__name__')" "list" "notes"
assert_eq "$(json 'type(d["diagnostics"][0]["help"]).__name__')" "str" "help"
assert_stderr_empty

begin "--format json: columns count code points, offsets count bytes"
file 1_idx.sql 'CREATE INDEX "größe_idx" ON "straße" ("größe");
'
run lint --format json 1_idx.sql
assert_eq "$(json 'd["diagnostics"][0]["end"]')" "{'line': 1, 'column': 47, 'offset': 51}" "end"

begin "--format json: the fix applied to the file gives CREATE INDEX CONCURRENTLY"
file 1_idx.sql '-- é
create unique index users_email_key on users (email);
'
run lint --format json 1_idx.sql
fixed=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
src = open(sys.argv[2], "rb").read()
for e in sorted(d["diagnostics"][0]["fix"]["edits"], key=lambda e: -e["start"]["offset"]):
    src = src[:e["start"]["offset"]] + e["text"].encode() + src[e["end"]["offset"]:]
sys.stdout.write(src.decode())' "$out" "$work/1_idx.sql" 2>&1 || true)
assert_eq "$fixed" '-- é
create unique index CONCURRENTLY users_email_key on users (email);' "fixed text"

begin "--format json: input errors listed in errors, exit 2, other files still linted"
file warn.sql "$WARN"
run lint --format json missing.sql warn.sql
assert_rc 2
python3 -m json.tool "$out" >/dev/null 2>&1 || fail "stdout is not valid JSON"
assert_eq "$(json 'd["errors"]')" \
	"[{'path': 'missing.sql', 'message': 'missing.sql: cannot read: No such file or directory'}]" "errors"
assert_eq "$(json 'sorted(set(x["path"] for x in d["diagnostics"]))')" "['warn.sql']" \
	"diagnostics paths"
assert_stderr_is "pgstage: error: missing.sql: cannot read: No such file or directory"

begin "--format json: a directory without .sql files is listed in errors"
file warn.sql "$WARN"
file notes/README.md "# notes"
run lint --format json notes warn.sql
assert_rc 2
assert_eq "$(json '[x["path"] for x in d["errors"]]')" "['notes']" "errors paths"

begin "--format json on a clean file: empty lists, exit 0"
file clean.sql "$CLEAN"
run lint --format json clean.sql
assert_rc 0
assert_eq "$(json 'd')" "{'version': 1, 'diagnostics': [], 'errors': []}" "document"

begin "--format json: syntax error messages keep the file's text in one JSON string"
file bad.sql "INSERT INTO t VALUES ('x);
SELECT 1;
"
run lint --format json bad.sql
assert_rc 1
python3 -m json.tool "$out" >/dev/null 2>&1 || fail "stdout is not valid JSON"
assert_eq "$(json 'd["diagnostics"][0]["rule"]')" "syntax-error" "rule"

begin "--fix: COMMIT appended after a last statement without its semicolon still parses (found by fuzzing)"
file m.sql 'BEGIN'
run lint --rule uncommitted-transaction --fix m.sql
assert_rc 0
assert_eq "$(cat "$work/m.sql")" "BEGIN;
COMMIT;" "the fixed file"
run lint m.sql
assert_rc 0

begin "--format junit: a control character in a message stays well-formed XML (found by fuzzing)"
file cc.sql "$(printf 'SELECT 1\031;')"
run lint --format junit cc.sql
assert_rc 1
python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$out" 2>/dev/null \
	|| fail "stdout is not well-formed XML"
assert_stdout_has "cc.sql:1:9: error[syntax-error]: syntax error at or near &quot;\\u0019&quot;"

begin "--format gcc: one line per finding when a message quotes an identifier holding a newline (found by fuzzing)"
a60=$(printf 'a%.0s' {1..60})
file nl.sql "$(printf 'CREATE INDEX IF NOT EXISTS "two\n%s" ON t (x);' "$a60")"
run lint --format gcc --rule identifier-too-long nl.sql
assert_rc 1
assert_eq "$(wc -l <"$out")" 1 "lines of output"
assert_stdout_line "nl.sql:1:28: warning: identifier is 64 bytes long: PostgreSQL silently truncates it to \"two\\n${a60:0:59}\" (63 bytes) [identifier-too-long]"
run lint --rule identifier-too-long nl.sql
assert_stdout_line "nl.sql:1:28: warning[identifier-too-long]: identifier is 64 bytes long: PostgreSQL silently truncates it to \"two\\n${a60:0:59}\" (63 bytes)"

# ---- colour ----

begin "--color always: ANSI escapes"
file warn.sql "$WARN"
run lint --color always warn.sql
assert_rc 1
grep -q $'\033\\[' "$out" || fail "no ESC[ sequence on stdout"

begin "default colour when stdout is not a terminal: none"
file warn.sql "$WARN"
run lint warn.sql
assert_rc 1
if grep -q $'\033' "$out"; then fail "ESC on stdout"; fi

# run_tty ENV ARGS...: pgstage ARGS on a pseudo-terminal (script), with ENV set
run_tty() {
	local env_assign=$1 q
	shift
	q=$(printf ' %q' "$@")
	last_cmd="$env_assign pgstage$q  (on a terminal)"
	set +e
	(cd "$work" && script -qec "env $env_assign $(printf '%q' "$pgstage")$q" /dev/null) \
		</dev/null >"$out" 2>"$err"
	rc=$?
	set -e
}

begin "on a terminal, --color auto: ANSI escapes"
if ! command -v script >/dev/null; then
	skip "script(1) not installed"
else
	file warn.sql "$WARN"
	run_tty "TERM=xterm" lint --color auto warn.sql
	assert_rc 1
	grep -q $'\033\\[' "$out" || fail "no ESC[ sequence on the terminal"
fi

begin "on a terminal, NO_COLOR=1 with --color auto: none"
if ! command -v script >/dev/null; then
	skip "script(1) not installed"
else
	file warn.sql "$WARN"
	run_tty "NO_COLOR=1" lint --color auto warn.sql
	assert_rc 1
	grep -qF "warning[require-concurrent-index]" "$out" || fail "no finding on the terminal"
	if grep -q $'\033' "$out"; then fail "ESC on the terminal"; fi
fi

begin "--format json never has colour, even with --color always"
file warn.sql "$WARN"
run lint --format json --color always warn.sql
python3 -m json.tool "$out" >/dev/null 2>&1 || fail "stdout is not valid JSON"

# ---- rules, --version, --help ----

begin "pgstage rules lists every rule of rules/rules.def"
run rules
assert_rc 0
while read -r id; do
	grep -qE "^$id " "$out" || fail "rule $id is not listed"
done < <(grep -oE '^RULE\(M[0-9]+' "$repo/rules/rules.def" | cut -c6-)
[[ -s $out ]] || fail "no rules listed"

begin "pgstage rules M101 and pgstage rules require-concurrent-index: the same docs"
run rules M101
assert_rc 0
assert_stdout_line "# require-concurrent-index (M101)"
assert_stdout_line "## Bad"
assert_stdout_line "## Good"
cp "$out" "$work/by-id"
run rules require-concurrent-index
assert_rc 0
cmp -s "$out" "$work/by-id" || fail "docs by name differ from docs by id"

begin "every rule's docs have a Bad and a Good example"
while read -r id; do
	run rules "$id"
	assert_rc 0
	assert_stdout_line "## Bad"
	assert_stdout_line "## Good"
done < <(grep -oE '^RULE\(M[0-9]+' "$repo/rules/rules.def" | cut -c6-)

begin "pgstage rules no-such-rule: exit 2"
run rules no-such-rule
assert_rc 2
assert_stderr_is "pgstage: error: no rule named 'no-such-rule' (pgstage rules lists them)"
assert_stdout_empty

begin "pgstage rules with two names: exit 2"
run rules M101 M102
assert_rc 2
assert_stderr_is "pgstage: error: rules takes at most one rule name"

begin "pgstage --version names the PostgreSQL grammar"
run --version
assert_rc 0
grep -qE '^pgstage [^ ]+ .*PostgreSQL [0-9]+(\.[0-9]+)? grammar' "$out" ||
	fail "no 'PostgreSQL N grammar' in: $(head -n 1 "$out")"

begin "pgstage --help lists the exit codes"
run --help
assert_rc 0
assert_stdout_has "exit codes:"
for code in 0 1 2 3; do
	grep -qE "^  $code  " "$out" || fail "exit code $code not described"
done

begin "pgstage lint --help: usage on stdout, exit 0"
run lint --help
assert_rc 0
grep -q '^usage: pgstage lint' "$out" || fail "no lint usage"
assert_stdout_has "exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or input error,"
assert_stderr_empty

# ---- .pgstage.json ----

config_project() {
	file db/migrations/1_users.sql 'CREATE TABLE users (id bigint PRIMARY KEY, email text);
'
	file db/migrations/2_index.sql 'CREATE INDEX users_email_idx ON users (email);
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
'
	file db/migrations/legacy/0_old.sql 'CREATE INDEX old_idx ON users (id);
'
}

begin "config: found by walking up; include, exclude, disable, severity, fail_on"
config_project
file .pgstage.json '{
  "//": "test project",
  "include": ["db/migrations"],
  "exclude": ["db/migrations/legacy/**"],
  "disable": ["set-not-null-without-check"],
  "severity": {"require-concurrent-index": "error"},
  "fail_on": "error"
}
'
mkdir -p "$work/sub/dir"
last_cmd="pgstage lint (in sub/dir)"
set +e
(cd "$work/sub/dir" && exec "$pgstage" lint --color never) </dev/null >"$out" 2>"$err"
rc=$?
set -e
assert_rc 1
[[ $(grep -c 'require-concurrent-index\]' "$out") == 1 ]] || fail "expected one require-concurrent-index finding"
assert_stdout_has "../../db/migrations/2_index.sql:1:1: error[require-concurrent-index]: CREATE INDEX on users"
assert_stdout_lacks "legacy"
assert_stdout_lacks "set-not-null-without-check"
assert_stderr_empty

begin "config: command-line options win (--fail-on, --pg-version)"
config_project
file .pgstage.json '{"include": ["db/migrations"], "fail_on": "none", "pg_version": 11}
'
run lint --fail-on warning --pg-version 15
assert_rc 1
assert_stdout_has "2_index.sql:1:1: warning[require-concurrent-index]"

begin "config: --config FILE, and --no-config ignores .pgstage.json"
config_project
file .pgstage.json '{"disable": ["require-concurrent-index"]}
'
file other.json '{"severity": {"M101": "info"}}
'
run lint --config other.json --fail-on warning db/migrations/2_index.sql
assert_stdout_has "info[require-concurrent-index]"
run lint db/migrations/2_index.sql
assert_stdout_lacks "require-concurrent-index"
run lint --no-config db/migrations/2_index.sql
assert_stdout_has "warning[require-concurrent-index]"

begin "config: unknown key, with file:line:col"
file .pgstage.json '{
  "pg_version": 15,
  "colour": "always"
}
'
file a.sql 'SELECT 1;'
run lint a.sql
assert_rc 2
assert_stderr_is 'pgstage: error: .pgstage.json:3:3: unknown key "colour" (known: pg_version, tool, layout, include, exclude, disable, severity, fail_on, lock_timeout, statement_timeout, validate_timeout, batch_size, "//" for notes)'

begin "config: wrong types and values, with file:line:col"
file a.sql 'SELECT 1;'
file .pgstage.json '{
  "pg_version": "15"
}'
run lint a.sql
assert_rc 2
assert_stderr_is 'pgstage: error: .pgstage.json:2:3: "pg_version" must be an integer'
file .pgstage.json '{"disable": "M101"}'
run lint a.sql
assert_stderr_is 'pgstage: error: .pgstage.json:1:2: "disable" must be a list of strings'
file .pgstage.json '{
  "severity": {
    "no-such-rule": "error"
  }
}'
run lint a.sql
assert_stderr_is "pgstage: error: .pgstage.json:3:5: no rule named 'no-such-rule' (pgstage rules lists them)"
file .pgstage.json '{"severity": {"M101": "fatal"}}'
run lint a.sql
assert_stderr_is "pgstage: error: .pgstage.json:1:15: the severity of 'M101' must be \"info\", \"warning\" or \"error\""

begin "config: invalid JSON, with file:line:col"
file a.sql 'SELECT 1;'
file .pgstage.json '{
  "tool": "goose",,
}'
run lint a.sql
assert_rc 2
assert_stderr_is "pgstage: error: .pgstage.json:2:19: string or '}' expected near ','"

begin "config: the README's .pgstage.json and pgstage-ignore-file examples are valid"
# the first json block after "### Configuration", and the ignore-file line of "### Suppressions"
awk '/^### Configuration/ { on = 1 } on && /^```$/ { exit } on && seen { print } on && /^```json$/ { seen = 1 }' \
	"$repo/README.md" >"$work/.pgstage.json"
grep -q '"lock_timeout"' "$work/.pgstage.json" || fail "no config example found in README.md"
mkdir -p "$work/db/migrations"
{
	grep -m 1 -- '-- pgstage-ignore-file ' "$repo/README.md" | sed 's/^ *//'
	echo 'SELECT 1;'
} >"$work/db/migrations/1_a.sql"
run lint
assert_stderr_empty
assert_stdout_lacks "invalid-ignore"
assert_stdout_lacks "no rule named"

begin "config: the planner's lock_timeout and statement_timeout come from .pgstage.json"
file .pgstage.json '{"lock_timeout": "3s", "statement_timeout": "10min"}
'
file m.sql 'ALTER TABLE users ADD CONSTRAINT users_email_fk FOREIGN KEY (email) REFERENCES emails (address);
'
run plan m.sql
assert_rc 0
assert_stdout_line "SET LOCAL lock_timeout = '3s';"
assert_stdout_line "SET LOCAL statement_timeout = '10min';"
assert_stdout_lacks "'2s'"

begin "config: VALIDATE stages run under validate_timeout (none by default), backfills in batch_size rows"
file m.sql 'ALTER TABLE users ADD CONSTRAINT users_email_fk FOREIGN KEY (email) REFERENCES emails (address);
'
run plan m.sql
assert_rc 0
assert_stdout_line "SET LOCAL statement_timeout = '5min';"
assert_stdout_line "SET LOCAL statement_timeout = '0';"
file .pgstage.json '{"validate_timeout": "3h", "batch_size": 250}
'
file v.sql 'CREATE TABLE t (id bigint PRIMARY KEY);
ALTER TABLE users ADD CONSTRAINT users_email_fk FOREIGN KEY (email) REFERENCES emails (address);
'
file b.sql 'ALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid();
'
run plan m.sql
assert_rc 0
assert_stdout_line "SET LOCAL statement_timeout = '3h';"
assert_stdout_lacks "SET LOCAL statement_timeout = '0';"
run plan --context v.sql b.sql
assert_rc 0
assert_stdout_has "fill token for existing rows, 250 rows per transaction by primary key"
assert_stdout_has "ORDER BY id LIMIT 250) AS batch"
file .pgstage.json '{"batch_size": 0}'
run plan m.sql
assert_rc 2
assert_stderr_is 'pgstage: error: .pgstage.json:1:2: "batch_size" must be from 1 to 1000000 rows'
file .pgstage.json '{"validate_timeout": "soon"}'
run plan m.sql
assert_rc 2
assert_stderr_is 'pgstage: error: .pgstage.json:1:2: "validate_timeout" must be a duration such as "2s" or "500ms": "soon" has no number'

begin "config: a timeout that is not a PostgreSQL duration is an error, never pasted into SQL"
file .pgstage.json '{
  "lock_timeout": "1s'"'"'; DROP TABLE users; --"
}
'
file m.sql 'CREATE INDEX a_idx ON users (a);
'
run plan m.sql
assert_rc 2
assert_stdout_empty
assert_stderr_is "pgstage: error: .pgstage.json:2:3: \"lock_timeout\" must be a duration such as \"2s\" or \"500ms\": \"1s'; DROP TABLE users; --\" has something other than a unit after the number (units: us, ms, s, min, h, d)"
run plan -o out m.sql
assert_rc 2
[[ ! -e $work/out ]] || fail "out/ was created"
run lint m.sql
assert_rc 2
file .pgstage.json '{"statement_timeout": "5 minutes"}'
run plan m.sql
assert_rc 2
assert_stderr_is "pgstage: error: .pgstage.json:1:2: \"statement_timeout\" must be a duration such as \"2s\" or \"500ms\": \"5 minutes\" has something other than a unit after the number (units: us, ms, s, min, h, d)"
file .pgstage.json '{"lock_timeout": "1500", "statement_timeout": "1 h"}'
file fk.sql 'ALTER TABLE users ADD CONSTRAINT users_email_fk FOREIGN KEY (email) REFERENCES emails (address);
'
run plan fk.sql
assert_rc 0
assert_stdout_line "SET LOCAL lock_timeout = '1500';"
assert_stdout_line "SET LOCAL statement_timeout = '1 h';"

begin "config: errors are one line, control characters escaped, at the key"
file a.sql 'SELECT 1;'
file .pgstage.json '{
  "pg_version": 15,
  "a\nb\u001b[31m": 1
}'
run lint a.sql
assert_rc 2
assert_stderr_is 'pgstage: error: .pgstage.json:3:3: unknown key "a\nb\u001b[31m" (known: pg_version, tool, layout, include, exclude, disable, severity, fail_on, lock_timeout, statement_timeout, validate_timeout, batch_size, "//" for notes)'
printf '{"tool": "goose"}\n\0' >"$work/.pgstage.json"
run lint a.sql
assert_rc 2
assert_stderr_is "pgstage: error: .pgstage.json:2:1: a NUL byte: the configuration must be JSON text"

begin "config: a UTF-8 BOM is accepted, as in SQL files"
file a.sql 'CREATE INDEX a_idx ON users (a);'
printf '\xef\xbb\xbf{"disable": ["require-concurrent-index"]}\n' >"$work/.pgstage.json"
run lint --fail-on error a.sql
assert_rc 0
assert_stderr_empty
assert_stdout_lacks "require-concurrent-index"

# ---- --fix ----

begin "--fix applies safe fixes in place; the fixed file parses and lints clean"
file m.sql 'CREATE INDEX a_idx ON users (a);
CREATE UNIQUE INDEX IF NOT EXISTS b_idx ON users (b);
'
run lint --rule require-concurrent-index --fix m.sql
assert_rc 0
assert_stdout_empty
assert_stderr_is "pgstage: m.sql: fixed 2 findings"
assert_eq "$(cat "$work/m.sql")" 'CREATE INDEX CONCURRENTLY a_idx ON users (a);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS b_idx ON users (b);' "fixed file"
run lint --rule require-concurrent-index m.sql
assert_rc 0
assert_findings 0

begin "--fix --dry-run prints a diff and changes nothing"
file m.sql 'CREATE INDEX a_idx ON users (a);
'
run lint --rule require-concurrent-index --fix --dry-run --fail-on none m.sql
assert_rc 0
assert_stdout_line "-CREATE INDEX a_idx ON users (a);"
assert_stdout_line "+CREATE INDEX CONCURRENTLY a_idx ON users (a);"
assert_stdout_line "--- a/m.sql"
assert_eq "$(cat "$work/m.sql")" 'CREATE INDEX a_idx ON users (a);' "file after --dry-run"

begin "--fix leaves unsafe fixes (inside a transaction) unless --unsafe-fixes"
file t.sql 'BEGIN;
CREATE INDEX a_idx ON users (a);
COMMIT;
'
run lint --rule require-concurrent-index --fix t.sql
assert_rc 1
assert_findings 1
assert_eq "$(sed -n 2p "$work/t.sql")" 'CREATE INDEX a_idx ON users (a);' "unsafe fix not applied"
run lint --rule require-concurrent-index --fix --unsafe-fixes t.sql
assert_eq "$(sed -n 2p "$work/t.sql")" 'CREATE INDEX CONCURRENTLY a_idx ON users (a);' "unsafe fix applied"

begin "--fix keeps CRLF line endings and the file mode"
printf 'CREATE INDEX a_idx ON users (a);\r\n-- done\r\n' >"$work/c.sql"
chmod 640 "$work/c.sql"
run lint --rule require-concurrent-index --fix c.sql
assert_rc 0
assert_eq "$(od -An -c "$work/c.sql" | tr -d ' \n')" "$(printf 'CREATE INDEX CONCURRENTLY a_idx ON users (a);\r\n-- done\r\n' | od -An -c | tr -d ' \n')" "bytes after the fix"
assert_eq "$(stat -c %a "$work/c.sql")" "640" "mode after the fix"

begin "--fix on a symbolic link fixes the file it points to and keeps the link"
file real/m.sql 'CREATE INDEX a_idx ON users (a);
'
chmod 604 "$work/real/m.sql"
mkdir -p "$work/db"
ln -s ../real/m.sql "$work/db/m.sql"
run lint --rule require-concurrent-index --fix db/m.sql
assert_rc 0
assert_stderr_is "pgstage: db/m.sql: fixed 1 finding"
[[ -L $work/db/m.sql ]] || fail "db/m.sql is no longer a symbolic link"
assert_eq "$(readlink "$work/db/m.sql")" "../real/m.sql" "the link"
assert_eq "$(cat "$work/real/m.sql")" 'CREATE INDEX CONCURRENTLY a_idx ON users (a);' "the link's target"
assert_eq "$(stat -c %a "$work/real/m.sql")" "604" "mode of the target"
assert_eq "$(ls -A "$work/db") $(ls -A "$work/real")" "m.sql m.sql" "files beside the link and the target"

begin "--fix that cannot write names the file and leaves it as it was"
file m.sql 'CREATE INDEX a_idx ON users (a);
'
chmod 555 "$work"
run_as=()
if (($(id -u) == 0)); then
	chmod 755 "$tmp"
	run_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	chmod 666 "$work/m.sql"
fi
run lint --rule require-concurrent-index --fix m.sql
run_as=()
chmod 755 "$work"
assert_rc 1
assert_stderr_is "pgstage: error: cannot create m.sql: Permission denied (the fixes are not applied)"
assert_findings 1
assert_eq "$(cat "$work/m.sql")" 'CREATE INDEX a_idx ON users (a);' "the file"

begin "--dry-run and --unsafe-fixes need --fix; explain has no --fix"
file m.sql 'SELECT 1;'
run lint --dry-run m.sql
assert_rc 2
assert_stderr_is "pgstage: error: lint: --dry-run needs --fix"
run explain --fix m.sql
assert_rc 2
assert_stderr_is "pgstage: error: explain: unknown option '--fix' (pgstage explain --help lists them)"

# ---- init ----

begin "init writes a starter config for the detected tool, which lint then reads"
file db/migrations/20240101_a.sql '-- +goose Up
CREATE TABLE users (id bigint PRIMARY KEY, email text);
-- +goose Down
DROP TABLE users;
'
file db/migrations/20240102_b.sql '-- +goose Up
CREATE INDEX users_email_idx ON users (email);
'
run init
assert_rc 0
assert_stdout_line "wrote .pgstage.json (tool: goose, migrations: db/migrations)"
grep -q '"tool": "goose"' "$work/.pgstage.json" || fail "no goose tool in the config"
grep -q '"include": \["db/migrations"\]' "$work/.pgstage.json" || fail "no include"
run lint
assert_rc 1
assert_stdout_has "db/migrations/20240102_b.sql:2:1: warning[require-concurrent-index]"

begin "init on a mix of goose, dbmate and plain files writes auto and says why"
file db/migrations/20240101_a.sql '-- +goose Up
CREATE TABLE users (id bigint PRIMARY KEY, email text);
-- +goose Down
DROP TABLE users;
'
file db/migrations/20240102_b.sql '-- migrate:up
ALTER TABLE users ADD COLUMN name text;

-- migrate:down
DROP INDEX users_email_idx;
'
file db/migrations/20240103_c.sql 'CREATE TABLE t (id bigint PRIMARY KEY);
'
run init
assert_rc 0
assert_stdout_line "wrote .pgstage.json (tool: auto: the files in db/migrations mix plain (1), goose (1), dbmate (1); each is linted by its own conventions, migrations: db/migrations)"
grep -q '"tool": "auto"' "$work/.pgstage.json" || fail "the config does not say auto"
grep -q 'they mix plain (1), goose (1), dbmate (1), so each file follows its own' "$work/.pgstage.json" ||
	fail "the config does not say why"
grep -q '"layout": "auto"' "$work/.pgstage.json" || fail "the layout is not auto"
# dbmate's down part is not linted as up (with "tool": "goose" its DROP INDEX was)
run lint --rule require-concurrent-index-deletion
assert_rc 0
assert_stdout_empty

begin "init on diesel migrations writes diesel"
file migrations/2024-01-01-000000_create_users/up.sql 'CREATE TABLE users (id bigint PRIMARY KEY);
'
file migrations/2024-01-01-000000_create_users/down.sql 'DROP TABLE users;
'
file migrations/2024-01-02-000000_index/up.sql 'CREATE INDEX CONCURRENTLY users_id_idx ON users (id);
'
file migrations/2024-01-02-000000_index/metadata.toml 'run_in_transaction = false
'
run init
assert_rc 0
assert_stdout_line "wrote .pgstage.json (tool: diesel, migrations: migrations)"

begin "init keeps an existing config unless --force"
file .pgstage.json '{}'
run init
assert_rc 2
assert_stderr_is "pgstage: error: init: .pgstage.json exists; --force replaces it"
assert_eq "$(cat "$work/.pgstage.json")" "{}" "config after a refused init"
run init --force
assert_rc 0
grep -q '"//":' "$work/.pgstage.json" || fail "no note in the rewritten config"

# ---- plan -o DIR --layout ----

begin "plan --layout without -o is a usage error"
file m.sql 'CREATE INDEX a_idx ON users (a);
'
run plan --layout goose m.sql
assert_rc 2
assert_stdout_empty
assert_stderr_is "pgstage: error: plan: --layout needs -o DIR (the directory to write the files to)"

begin "plan --layout with an unknown name is a usage error, and nothing is written"
file m.sql 'CREATE INDEX a_idx ON users (a);
'
run plan -o out --layout liquibase m.sql
assert_rc 2
assert_stderr_is "pgstage: error: plan: invalid value 'liquibase' for --layout (expected auto, plain, goose, dbmate, golang-migrate, flyway, diesel or sqlx)"
[[ ! -e $work/out ]] || fail "out/ was created"
# a tool pgstage knows but writes no files for
run plan -o out --layout prisma m.sql
assert_rc 2
assert_stderr_is "pgstage: error: plan: invalid value 'prisma' for --layout (expected auto, plain, goose, dbmate, golang-migrate, flyway, diesel or sqlx)"
[[ ! -e $work/out ]] || fail "out/ was created"

begin "plan -o on a diesel migration writes diesel's layout by itself"
file migrations/2024-01-02-030405_add_idx/up.sql 'CREATE INDEX orders_user_idx ON orders (user_id);
ALTER TABLE orders ADD COLUMN note text;
'
run plan -o out migrations/2024-01-02-030405_add_idx/up.sql
assert_rc 0
assert_stdout_line "out/20240102030405_add_idx_1_create_index/up.sql"
assert_stdout_line "out/20240102030405_add_idx_1_create_index/metadata.toml"
assert_stdout_line "out/20240102030406_add_idx_2_add_column/down.sql"
assert_eq "$(cat "$work/out/20240102030405_add_idx_1_create_index/metadata.toml")" "run_in_transaction = false" "metadata.toml"
[[ ! -e $work/out/20240102030406_add_idx_2_add_column/metadata.toml ]] || fail "a transactional stage has a metadata.toml"

begin "plan -o with --format json is a usage error"
file m.sql 'CREATE INDEX a_idx ON users (a);
'
run plan -o out --format json m.sql
assert_rc 2
assert_stderr_is "pgstage: error: plan: -o writes migration files; --format json prints the plan: give one of them"

begin "-o and --layout belong to plan only (lint's -o is its report file)"
file m.sql 'SELECT 1;
'
run explain -o out m.sql
assert_rc 2
assert_stderr_is "pgstage: error: explain: unknown option '-o' (pgstage explain --help lists them)"
run lint --layout goose m.sql
assert_rc 2
assert_stderr_is "pgstage: error: lint: unknown option '--layout' (pgstage lint --help lists them)"
run explain --layout goose m.sql
assert_rc 2
assert_stderr_is "pgstage: error: explain: unknown option '--layout' (pgstage explain --help lists them)"

begin "plan -o: creates DIR, lists the files written; auto follows the detected tool (goose)"
file db/20240101120000_add_index.sql '-- +goose Up
CREATE TABLE t (id bigint PRIMARY KEY, a int);
CREATE INDEX t_a_idx ON t (a);
-- +goose Down
DROP TABLE t;
'
run plan -o new/plan db/20240101120000_add_index.sql
assert_rc 0
assert_stderr_empty
assert_eq "$(cat "$out")" "new/plan/20240101120000_add_index_1_create_table.sql" "files listed"
grep -qx -- '-- +goose Up' "$work/new/plan/20240101120000_add_index_1_create_table.sql" || fail "not a goose file"
grep -qx 'DROP TABLE IF EXISTS t;' "$work/new/plan/20240101120000_add_index_1_create_table.sql" || fail "no down"

begin "plan -o: the layout comes from .pgstage.json unless --layout is given"
file .pgstage.json '{"layout": "golang-migrate"}
'
file 7_idx.sql 'CREATE INDEX a_idx ON users (a);
'
run plan -o out 7_idx.sql
assert_rc 0
assert_eq "$(cat "$out")" "out/7_idx_1_create_index.up.sql
out/7_idx_1_create_index.down.sql" "files listed"
run plan -o out2 --layout flyway 7_idx.sql
assert_rc 0
assert_eq "$(cat "$out")" "out2/V7__idx_1_create_index.sql
out2/V7__idx_1_create_index.sql.conf" "files listed"
assert_eq "$(cat "$work/out2/V7__idx_1_create_index.sql.conf")" "executeInTransaction=false" "flyway script config"

begin "plan -o never overwrites a file: it names it and writes nothing"
file 7_idx.sql 'CREATE INDEX a_idx ON users (a);
DROP INDEX b_idx;
'
file out/8_idx_2_drop_index.sql 'keep me
'
run plan -o out --layout plain 7_idx.sql
assert_rc 2
assert_stdout_empty
assert_stderr_is "pgstage: error: plan: out/8_idx_2_drop_index.sql exists: pgstage plan never overwrites a file (move it away or choose another -o DIR)"
[[ ! -e $work/out/7_idx_1_create_index.sql ]] || fail "the other file was written"
assert_eq "$(cat "$work/out/8_idx_2_drop_index.sql")" "keep me" "the existing file"

begin "plan -o onto a file, not a directory, names the path"
file m.sql 'CREATE INDEX a_idx ON users (a);
'
file out 'a file
'
run plan -o out m.sql
assert_rc 2
assert_stderr_is "pgstage: error: plan: out is not a directory"

begin "plan -o writes nothing when planning fails"
file m.sql 'CREATE INDEX a_idx ON users (a);
SELEC 1;
'
run plan -o out m.sql
assert_rc 2
[[ ! -e $work/out ]] || fail "out/ was created"

begin "plan -o: notes about statements that stay unsafe are listed and head the first file"
file schema.sql 'CREATE TABLE users (id bigint PRIMARY KEY, a int);
CREATE INDEX users_a_idx ON users ((a + 1));
'
file m.sql 'ALTER TABLE users ALTER COLUMN a TYPE bigint;
'
run plan --context schema.sql -o out m.sql
assert_rc 0
assert_stdout_has "note: m.sql:1: the type change of users.a stays as written: no expand/contract plan because index users_a_idx uses the column in a way pgstage can't rebuild (an expression, WHERE, INCLUDE, an operator class or options); it still rewrites users under ACCESS EXCLUSIVE"
assert_stdout_line "out/1_m_1_alter_column_type.sql"
head -n 1 "$work/out/1_m_1_alter_column_type.sql" | grep -q '^-- note: m.sql:1: the type change' || fail "the note does not head the file"

begin "plan -o: a checkpoint splits the files into phases, and stdout says when to apply the next"
file schema.sql 'CREATE TABLE users (id bigint PRIMARY KEY, a int);
'
file m.sql 'ALTER TABLE users ALTER COLUMN a TYPE bigint;
'
run plan --context schema.sql -o out m.sql
assert_rc 0
assert_stdout_line "out/phase-1/1_m_1_add_column.sql"
assert_stdout_line "out/phase-1/2_m_2_backfill.sql"
assert_stdout_line "checkpoint (stage 3/4): deploy application code that works with users.a as the new type before the swap"
assert_stdout_line "  deploy the application change, then apply out/phase-2/"
assert_stdout_line "out/phase-2/3_m_4_drop.sql"
[[ -f $work/out/phase-2/3_m_4_drop.sql ]] || fail "phase-2 file missing"
assert_eq "$(cd "$work/out" && find . | sort)" ".
./phase-1
./phase-1/1_m_1_add_column.sql
./phase-1/2_m_2_backfill.sql
./phase-2
./phase-2/3_m_4_drop.sql" "out/ after the write (no temporary file left)"

# a plan in two phases: out/phase-1/{1_m_1_add_column,2_m_2_backfill}.sql, out/phase-2/3_m_4_drop.sql
phased_plan_inputs() {
	file schema.sql 'CREATE TABLE users (id bigint PRIMARY KEY, a int);
'
	file m.sql 'ALTER TABLE users ALTER COLUMN a TYPE bigint;
'
}

# tree_of DIR: every entry under $work/DIR with type, mode, size and link target
tree_of() {
	(cd "$work" && find "$1" -printf '%y %m %s %p -> %l\n' | sort)
}

begin "plan -o: a phase-N that is a file fails before anything is written"
phased_plan_inputs
file out/phase-2 'a file
'
before=$(tree_of out)
run plan --context schema.sql -o out m.sql
assert_rc 2
assert_stdout_empty
assert_stderr_is "pgstage: error: plan: out/phase-2 is not a directory"
assert_eq "$(tree_of out)" "$before" "out/ after the failure"

begin "plan -o: a phase-N that is a symbolic link is not written through"
phased_plan_inputs
mkdir -p "$work/out" "$work/elsewhere"
ln -s ../elsewhere "$work/out/phase-2"
before=$(tree_of out)
run plan --context schema.sql -o out m.sql
assert_rc 2
assert_stdout_empty
assert_stderr_is "pgstage: error: plan: out/phase-2 is a symbolic link: pgstage plan writes only into directories of DIR itself (remove it or choose another -o DIR)"
assert_eq "$(tree_of out)" "$before" "out/ after the failure"
assert_eq "$(ls -A "$work/elsewhere")" "" "the link's target"

begin "plan -o: an unwritable phase-N leaves nothing behind (no phase-1 files)"
phased_plan_inputs
mkdir -p "$work/out/phase-2"
chmod 555 "$work/out/phase-2"
chmod 777 "$work/out"
before=$(tree_of out)
run_as=()
if (($(id -u) == 0)); then
	# root writes anywhere: run as nobody, who must reach $work
	chmod 755 "$tmp" "$work"
	run_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
run plan --context schema.sql -o out m.sql
run_as=()
assert_rc 2
assert_stdout_empty
assert_stderr_is "pgstage: error: plan: cannot create out/phase-2/3_m_4_drop.sql: Permission denied"
assert_eq "$(tree_of out)" "$before" "out/ after the failure"

begin "plan -o: a write that fails (a 4 KB file-size limit) leaves nothing behind"
columns=$(for i in $(seq 1 300); do printf '  column_number_%03d int,\n' "$i"; done)
file m.sql "CREATE INDEX a_idx ON users (a);
CREATE TABLE wide (
$columns
  id bigint PRIMARY KEY
);
"
file_limit=4 run plan -o out m.sql
assert_rc 2
assert_stdout_empty
assert_stderr_is "pgstage: error: plan: cannot write out/2_m_2_create_table.sql: File too large"
[[ ! -e $work/out ]] || fail "out/ was left: $(find "$work/out")"
run plan -o out m.sql
assert_rc 0
(($(stat -c %s "$work/out/2_m_2_create_table.sql") > 4096)) || fail "the table's file is not over 4 KB"

begin "a full standard output is an error, not a clean exit"
file m.sql 'CREATE INDEX a_idx ON users (a);
'
set +e
(cd "$work" && exec "$pgstage" plan m.sql) >/dev/full 2>"$err"
rc=$?
set -e
last_cmd="pgstage plan m.sql >/dev/full"
assert_rc 2
assert_stderr_is "pgstage: error: cannot write to standard output: No space left on device"

begin "plan: SET NOT NULL on a table whose only known partition came from the context (found by fuzzing: was an internal error, exit 3)"
file schema.sql 'CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM (1) TO (2);
'
file m.sql 'ALTER TABLE events ALTER COLUMN kind SET NOT NULL;
'
run plan --context schema.sql m.sql
assert_rc 0
assert_stderr_empty
assert_stdout_line "ALTER TABLE events ADD CONSTRAINT events_kind_pgstage_not_null CHECK (kind IS NOT NULL) NOT VALID;"
assert_stdout_line "-- stage 3/3: transactional: SET NOT NULL skips its scan: a validated CHECK proves it (PostgreSQL 12+); the CHECK is then dropped"

begin "lint --output FILE: every format writes to FILE exactly what it prints, and the exit code is the same"
file m.sql 'CREATE INDEX a_idx ON users (a);
SELECT (;
'
for format in text json sarif github gitlab junit gcc; do
	run lint --format "$format" m.sql
	assert_rc 1
	cp "$out" "$work/printed.$format"
	run lint --format "$format" --output "report.$format" m.sql
	assert_rc 1
	assert_stdout_empty
	assert_stderr_empty
	cmp -s "$work/printed.$format" "$work/report.$format" || fail "--format $format: report.$format differs from what lint prints"
done
run lint --rule require-concurrent-index --rule syntax-error --format sarif -o report.sarif m.sql
assert_rc 1
assert_eq "$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["runs"][0]["results"]; print(sorted((x["ruleId"], x["locations"][0]["physicalLocation"]["region"]["startLine"]) for x in r))' "$work/report.sarif")" \
	"[('M000', 2), ('M101', 1)]" "the SARIF results"
file clean.sql 'SELECT 1;
'
run lint --format json --output report.json clean.sql
assert_rc 0
assert_eq "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["diagnostics"])' "$work/report.json")" "[]" "a clean run's report"
run lint --rule require-concurrent-index --rule syntax-error --output - m.sql
assert_rc 1
assert_findings 2

begin "lint --output FILE: a write that fails leaves the earlier report as it was and no temporary file"
file m.sql 'CREATE INDEX a_idx ON users (a);
'
file report.sarif 'the earlier report'
file_limit=4 run lint --format sarif --output report.sarif m.sql
assert_rc 2
assert_stdout_empty
assert_stderr_is "pgstage: error: cannot write report.sarif: File too large (the report is not written)"
assert_eq "$(cat "$work/report.sarif")" "the earlier report" "the earlier report"
assert_eq "$(ls -A "$work")" "$(printf 'm.sql\nreport.sarif')" "files after the failure"
run lint --format sarif --output report.sarif m.sql
assert_rc 1
(($(stat -c %s "$work/report.sarif") > 4096)) || fail "the SARIF report is not over 4 KB"
run lint --output no-such-dir/report.json m.sql
assert_rc 2
assert_stderr_is "pgstage: error: cannot create no-such-dir/report.json: No such file or directory"

begin "lint --output FILE with --diff that fails: no file"
file m.sql 'SELECT 1;
'
run lint --diff main --output report.json m.sql
assert_rc 2
assert_eq "$(ls -A "$work")" "m.sql" "files after the failure"

begin "plan has no --output FILE for reports: -o is its directory of files"
file m.sql 'SELECT 1;
'
run explain --output out.txt m.sql
assert_rc 2
assert_stderr_is "pgstage: error: explain: unknown option '--output' (pgstage explain --help lists them)"

begin "man page: suppression syntax, every config key, exit codes, running and resuming a plan"
file .pgstage.json '{"no_such_key": 1}'
run lint m.sql
assert_rc 2
# the keys config.c accepts, from its own message, each documented
keys=$(sed -n 's/.*(known: \(.*\), "\/\/" for notes).*/\1/p' "$err" | tr -d ' ' | tr ',' ' ')
[[ -n $keys ]] || fail "no key list in: $(cat "$err")"
run --man
assert_rc 0
man_text=$(sed 's/\\-/-/g' "$out")
for section in SUPPRESSIONS CONFIGURATION "EXIT STATUS" "RUNNING A PLAN"; do
	grep -qx ".SH $section" <<<"$man_text" || fail "no $section section"
done
config=$(sed -n '/^.SH CONFIGURATION/,/^.SH /p' <<<"$man_text")
for key in $keys; do
	grep -q "^.B .*\b$key\b" <<<"$config" || fail "config key $key is not in CONFIGURATION"
done
grep -qF -- '.B -- pgstage-ignore RULE[, RULE...]: reason' <<<"$man_text" || fail "no pgstage-ignore syntax"
grep -qF -- '.B -- pgstage-ignore-file RULE[, RULE...]: reason' <<<"$man_text" || fail "no pgstage-ignore-file syntax"
status=$(sed -n '/^.SH EXIT STATUS/,/^.SH /p' <<<"$man_text")
for code in 0 1 2 3 4 5; do
	grep -qx ".B $code" <<<"$status" || fail "exit code $code is not in EXIT STATUS"
done
plan=$(sed -n '/^.SH RUNNING A PLAN/,/^.SH /p' <<<"$man_text")
for word in "psql -v pgstage_phase=N" "--continue" "--run-id" "--dry-run" "--plan FILE" "exit 4"; do
	grep -qF -- "$word" <<<"$plan" || fail "RUNNING A PLAN lacks $word"
done
cmp -s "$out" "$repo/docs/pgstage.1" || fail "docs/pgstage.1 is not what --man prints (make docs)"

finish
if ((skipped > 0)); then
	echo "($skipped skipped)"
fi
echo "cli: $passed passed, $failed failed"
((failed == 0))
