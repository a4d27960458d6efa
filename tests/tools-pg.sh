#!/usr/bin/env bash
# The transaction semantics pgstage assumes for each migration tool, checked
# on a real server: each case is a migration laid out as the tool wants it,
# sent to the server the way the tool sends it, and pgstage's
# concurrently-in-transaction finding must agree with the server: a finding
# exactly when PostgreSQL refuses the CREATE INDEX CONCURRENTLY with "cannot
# run inside a transaction block" (the statement shares a transaction with
# others, explicit or implicit), none when the server builds the index.
#
# How each tool sends a file (lint/sections.c cites where each comes from):
#   diesel     up.sql as one query (batch_execute) in BEGIN ... COMMIT, or alone
#              when metadata.toml says run_in_transaction = false (or lacks it)
#   sqlx       the file as one query in BEGIN ... COMMIT, alone when it starts
#              with "-- no-transaction"
#   refinery   the file as one query (batch_execute) in a transaction, alone
#              with a "-- refinery:noTransaction" line
#   drizzle    each "--> statement-breakpoint" part its own query, all inside
#              the migrator's transaction
#   prisma     migration.sql as one query, no transaction of its own
#   sqitch     psql --file with ON_ERROR_STOP: the script's own BEGIN/COMMIT
#
# usage: PGSTAGE=./pgstage tests/pg/with-cluster.sh tests/tools-pg.sh
set -euo pipefail

pgstage=$(cd "$(dirname "${PGSTAGE:-./pgstage}")" && pwd)/$(basename "${PGSTAGE:-./pgstage}")
if [[ -z ${PGHOST:-} ]]; then
	echo "tools-pg: PGHOST is not set; run under tests/pg/with-cluster.sh" >&2
	exit 2
fi
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
psql=${PSQL:-$bindir/psql}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
n_db=0

q() { # q DB ARGS...: psql on DB, stopping at the first error
	local db=$1
	shift
	"$psql" -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"
}

# send DB HOW FILE: run FILE on DB the way HOW says
send() {
	local db=$1 how=$2 file=$3 part
	case $how in
	txn-one-query) q "$db" -1 -c "$(cat "$file")" ;;
	one-query) q "$db" -c "$(cat "$file")" ;;
	txn-breakpoints)
		local args=()
		while IFS= read -r -d '' part; do args+=(-c "$part"); done < <(
			awk 'BEGIN { RS = "--> statement-breakpoint\n" } { printf "%s%c", $0, 0 }' "$file")
		q "$db" -1 "${args[@]}" ;;
	psql-file) q "$db" -f "$file" ;;
	esac
}

# check NAME HOW FILE: pgstage's finding on FILE against the server's answer
check() {
	local name=$1 how=$2 file=$3 refused=false reported=false rc=0
	n_db=$((n_db + 1))
	q postgres -c "CREATE DATABASE tools_$n_db" >/dev/null
	q "tools_$n_db" -c "CREATE TABLE t (id bigint PRIMARY KEY, a int)" >/dev/null
	if ! send "tools_$n_db" "$how" "$file" >"$tmp/log" 2>&1; then
		if grep -q 'cannot run inside a transaction block' "$tmp/log"; then
			refused=true
		else
			echo "FAIL tools-pg: $name: the server failed otherwise: $(head -c 300 "$tmp/log")"
			failed=$((failed + 1))
			return
		fi
	fi
	"$pgstage" lint --no-config --rule concurrently-in-transaction --format gcc "$file" \
		>"$tmp/lint" 2>&1 || rc=$?
	[[ $rc == 1 ]] && reported=true
	if [[ $rc -gt 1 ]]; then
		echo "FAIL tools-pg: $name: pgstage exited $rc: $(cat "$tmp/lint")"
		failed=$((failed + 1))
	elif [[ $refused == "$reported" ]]; then
		passed=$((passed + 1))
	else
		echo "FAIL tools-pg: $name: the server $($refused && echo refused || echo accepted) the" \
			"CREATE INDEX CONCURRENTLY, pgstage $($reported && echo reported || echo did not report) it"
		cat "$tmp/lint"
		failed=$((failed + 1))
	fi
}

both=$'CREATE TABLE u (id int);\nCREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n'
alone=$'CREATE INDEX CONCURRENTLY t_a_idx ON t (a);\n'

# ---- diesel ----
m=$tmp/diesel/migrations
mkdir -p "$m/2024-01-01-000000_txn" "$m/2024-01-02-000000_notxn" "$m/2024-01-03-000000_notxn_alone" \
	"$m/2024-01-04-000000_nokey_alone"
printf '%s' "$alone" >"$m/2024-01-01-000000_txn/up.sql"
check "diesel, in its transaction" txn-one-query "$m/2024-01-01-000000_txn/up.sql"
printf '%s' "$both" >"$m/2024-01-02-000000_notxn/up.sql"
printf 'run_in_transaction = false\n' >"$m/2024-01-02-000000_notxn/metadata.toml"
check "diesel, run_in_transaction = false, two statements" one-query "$m/2024-01-02-000000_notxn/up.sql"
printf '%s' "$alone" >"$m/2024-01-03-000000_notxn_alone/up.sql"
printf 'run_in_transaction = false\n' >"$m/2024-01-03-000000_notxn_alone/metadata.toml"
check "diesel, run_in_transaction = false, alone" one-query "$m/2024-01-03-000000_notxn_alone/up.sql"
printf '%s' "$alone" >"$m/2024-01-04-000000_nokey_alone/up.sql"
printf '# no run_in_transaction: diesel reads false\n' >"$m/2024-01-04-000000_nokey_alone/metadata.toml"
check "diesel, metadata.toml without the key, alone" one-query "$m/2024-01-04-000000_nokey_alone/up.sql"

# ---- sqlx ----
m=$tmp/sqlx/migrations
mkdir -p "$m"
printf '[dependencies]\nsqlx = { version = "0.8", features = ["postgres"] }\n' >"$tmp/sqlx/Cargo.toml"
printf '%s' "$alone" >"$m/1_txn.sql"
check "sqlx, in its transaction" txn-one-query "$m/1_txn.sql"
printf -- '-- no-transaction\n%s' "$alone" >"$m/2_notxn.sql"
check "sqlx, -- no-transaction, alone" one-query "$m/2_notxn.sql"
printf -- '-- no-transaction\n%s' "$both" >"$m/3_notxn.up.sql"
check "sqlx, -- no-transaction, two statements" one-query "$m/3_notxn.up.sql"

# ---- refinery ----
m=$tmp/refinery/migrations
mkdir -p "$m"
printf '[dependencies]\nrefinery = { version = "0.8", features = ["postgres"] }\n' >"$tmp/refinery/Cargo.toml"
printf '%s' "$alone" >"$m/V1__txn.sql"
check "refinery, in its transaction" txn-one-query "$m/V1__txn.sql"
printf -- '-- refinery:noTransaction\n%s' "$alone" >"$m/U2__notxn.sql"
check "refinery, noTransaction, alone (U: unversioned)" one-query "$m/U2__notxn.sql"
printf -- '-- refinery:noTransaction\n%s' "$both" >"$m/V3__notxn.sql"
check "refinery, noTransaction, two statements" one-query "$m/V3__notxn.sql"

# ---- drizzle ----
m=$tmp/drizzle
mkdir -p "$m"
printf 'CREATE TABLE u (id int);\n--> statement-breakpoint\n%s' "$alone" >"$m/0000_first.sql"
check "drizzle, breakpoints in the migrator's transaction" txn-breakpoints "$m/0000_first.sql"

# ---- prisma ----
m=$tmp/prisma/migrations
mkdir -p "$m/20240101000000_alone" "$m/20240102000000_both"
printf '%s' "$alone" >"$m/20240101000000_alone/migration.sql"
check "prisma, alone" one-query "$m/20240101000000_alone/migration.sql"
printf '%s' "$both" >"$m/20240102000000_both/migration.sql"
check "prisma, two statements" one-query "$m/20240102000000_both/migration.sql"

# ---- sqitch ----
m=$tmp/sqitch
mkdir -p "$m/deploy" "$m/revert" "$m/verify"
printf '%%project=app\n\nidx 2024-01-01T00:00:00Z Ann <ann@example.com>\nidx2 2024-01-02T00:00:00Z Ann <ann@example.com>\n' >"$m/sqitch.plan"
printf '%s' "$both" >"$m/deploy/idx.sql"
check "sqitch, psql statement by statement" psql-file "$m/deploy/idx.sql"
printf 'BEGIN;\n%sCOMMIT;\n' "$alone" >"$m/deploy/idx2.sql"
check "sqitch, the script's own BEGIN" psql-file "$m/deploy/idx2.sql"

echo "tools-pg: $passed passed, $failed failed"
((failed == 0))
