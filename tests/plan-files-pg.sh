#!/usr/bin/env bash
# `pgstage plan -o DIR --layout L` on a real server: the files of every layout,
# applied the way their tool applies them, reach the same schema as the
# migration as written (ORIGINAL) and as the one-script plan run through psql;
# plain files (psql scripts) run a second time change nothing; the down
# migrations (goose, dbmate, golang-migrate) bring the schema back to where it
# started. A step without an inverse makes its down migration fail with a
# message naming it.
#
# How each tool sends a file is reproduced with psql:
#   plain           psql -f FILE
#   goose           the Up (or Down) part split as goose splits it (at lines ending
#                   in ";", StatementBegin/End kept whole), each statement its own
#                   query, all in one transaction unless "-- +goose NO TRANSACTION"
#   dbmate          the migrate:up (or down) block as one query, in a transaction
#                   unless the marker says transaction:false
#   golang-migrate  the whole file as one query (psql -c)
#   flyway          psql -1 -f FILE, or psql -f FILE when FILE.conf says
#                   executeInTransaction=false
#   diesel          DIR/up.sql (down.sql) as one query (batch_execute), inside
#                   BEGIN ... COMMIT unless DIR/metadata.toml says
#                   run_in_transaction = false (psql -1 -c, or psql -c)
#   sqlx            FILE.up.sql (.down.sql) as one query, inside BEGIN ... COMMIT
#                   unless its first line is "-- no-transaction"
#
# usage: PGSTAGE=./pgstage tests/pg/with-cluster.sh tests/plan-files-pg.sh
set -euo pipefail

pgstage=$(cd "$(dirname "${PGSTAGE:-./pgstage}")" && pwd)/$(basename "${PGSTAGE:-./pgstage}")
if [[ -z ${PGHOST:-} ]]; then
	echo "plan-files-pg: PGHOST is not set; run under tests/pg/with-cluster.sh" >&2
	exit 2
fi
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
psql=${PSQL:-$bindir/psql}
pg_dump=${PG_DUMP:-$bindir/pg_dump}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() {
	echo "FAIL plan-files-pg: $*"
	failed=$((failed + 1))
}

q() { # q DB ARGS...: psql on DB, stopping at the first error
	local db=$1
	shift
	"$psql" -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"
}

n_db=0
fresh_db() { # a new database holding the schema and rows the migration starts from
	n_db=$((n_db + 1))
	db=planfiles_$n_db
	q postgres -c "CREATE DATABASE $db" >/dev/null
	q "$db" -f "$tmp/schema.sql" >/dev/null
	q "$db" -c "INSERT INTO users (id, email) SELECT g, 'u' || g FROM generate_series(1, 2500) g" \
		-c "INSERT INTO orders (id, user_id, total) SELECT g, g % 2500 + 1, g FROM generate_series(1, 300) g" >/dev/null
}

schema_of() { # the schema of database $1, without pg_dump's comments
	# (\restrict lines carry a random key)
	"$pg_dump" --schema-only --no-owner -d "$1" | grep -v -e '^--' -e '^$' -e '^\\\(un\)\?restrict '
}

# ---- the migration, its context and the one-script plan ----
cat >"$tmp/schema.sql" <<'SQL'
CREATE TABLE users (id bigint PRIMARY KEY, email text);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total numeric);
CREATE INDEX orders_old_idx ON orders (total);
SQL
mkdir -p "$tmp/in"
cat >"$tmp/in/0042_add_token.sql" <<'SQL'
CREATE INDEX orders_user_idx ON orders (user_id);
ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE users ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();
CREATE TABLE "Audit Log" (id bigint PRIMARY KEY, "Note" text);
CREATE INDEX audit_note_idx ON "Audit Log" ("Note");
SQL
cd "$tmp/in"
fresh_db
base_db=$db
schema_of "$base_db" >"$tmp/base.schema"
fresh_db
q "$db" -f 0042_add_token.sql >/dev/null
schema_of "$db" >"$tmp/original.schema"
"$pgstage" plan --no-config --context ../schema.sql 0042_add_token.sql >"$tmp/plan.sql"
fresh_db
script_db=$db
q "$script_db" -f "$tmp/plan.sql" >/dev/null
schema_of "$script_db" >"$tmp/script.schema"
cmp -s "$tmp/base.schema" "$tmp/script.schema" && bad "the one-script plan changed nothing" || ok
if cmp -s "$tmp/original.schema" "$tmp/script.schema"; then ok; else
	bad "the one-script plan reaches another schema than the migration as written"
	diff -u "$tmp/original.schema" "$tmp/script.schema" | head -n 20 || true
fi

# ---- how each tool runs one file ----
goose_statements() { # FILE up|down: the statements of that part, NUL-terminated
	awk -v want="$2" '
	/^-- \+goose Up$/ { dir = "up"; next }
	/^-- \+goose Down$/ { dir = "down"; next }
	/^-- \+goose NO TRANSACTION$/ { next }
	/^-- \+goose StatementBegin$/ { block = 1; next }
	/^-- \+goose StatementEnd$/ { block = 0; if (dir == want) printf "%s%c", buf, 0; buf = ""; next }
	dir != want { next }
	buf == "" && ($0 ~ /^[ \t]*--/ || $0 == "") { next }
	{ buf = buf $0 "\n"; if (!block && $0 ~ /;[ \t]*$/) { printf "%s%c", buf, 0; buf = "" } }
	' "$1"
}

run_goose() { # DB FILE up|down
	local stmts=() args=() s
	mapfile -d '' stmts < <(goose_statements "$2" "$3")
	((${#stmts[@]} > 0)) || return 0
	if grep -qx -- '-- +goose NO TRANSACTION' "$2"; then
		for s in "${stmts[@]}"; do q "$1" -c "$s" || return 1; done
	else
		for s in "${stmts[@]}"; do args+=(-c "$s"); done
		q "$1" -1 "${args[@]}"
	fi
}

run_dbmate() { # DB FILE up|down
	local marker block
	marker=$(grep -m1 "^-- migrate:$3" "$2")
	block=$(awk -v want="migrate:$3" '/^-- migrate:(up|down)/ { on = ($2 == want) } on' "$2")
	if [[ $marker == *transaction:false* ]]; then
		q "$1" -c "$block"
	else
		q "$1" -1 -c "$block"
	fi
}

run_file() { # LAYOUT DB FILE up|down
	case $1 in
	plain) q "$2" -f "$3" ;;
	goose) run_goose "$2" "$3" "$4" ;;
	dbmate) run_dbmate "$2" "$3" "$4" ;;
	golang-migrate) q "$2" -c "$(cat "$3")" ;;
	flyway) if [[ -e $3.conf ]]; then q "$2" -f "$3"; else q "$2" -1 -f "$3"; fi ;;
	diesel)
		# the migration directory's metadata.toml decides for up.sql and down.sql
		if grep -qx 'run_in_transaction = false' "$(dirname "$3")/metadata.toml" 2>/dev/null; then
			q "$2" -c "$(cat "$3")"
		else
			q "$2" -1 -c "$(cat "$3")"
		fi ;;
	sqlx)
		if [[ $(head -c 17 "$3") == "-- no-transaction" ]]; then
			q "$2" -c "$(cat "$3")"
		else
			q "$2" -1 -c "$(cat "$3")"
		fi ;;
	esac
}

up_files() { # LAYOUT DIR: the files the tool applies going up, in order
	case $1 in
	golang-migrate | sqlx) ls "$2" | grep '\.up\.sql$' ;;
	flyway) ls "$2" | grep '^V.*\.sql$' ;;
	diesel) ls "$2" | sed 's|$|/up.sql|' ;;
	*) ls "$2" ;;
	esac | LC_ALL=C sort
}

for layout in plain goose dbmate golang-migrate flyway diesel sqlx; do
	out=$tmp/out-$layout
	"$pgstage" plan --no-config --context ../schema.sql -o "$out" --layout "$layout" \
		0042_add_token.sql >/dev/null || { bad "$layout: plan -o failed"; continue; }
	fresh_db
	applied=true
	while IFS= read -r f; do
		run_file "$layout" "$db" "$out/$f" up >"$tmp/log" 2>&1 || {
			bad "$layout: $f failed: $(head -c 400 "$tmp/log")"
			applied=false
			break
		}
	done < <(up_files "$layout" "$out")
	$applied || continue
	schema_of "$db" >"$tmp/$layout.schema"
	for reference in original script; do
		if cmp -s "$tmp/$reference.schema" "$tmp/$layout.schema"; then ok; else
			bad "$layout: the files reach another schema than the $reference"
			diff -u "$tmp/$reference.schema" "$tmp/$layout.schema" | head -n 20 || true
		fi
	done
	nulls=$(q "$db" -Atc "SELECT count(*) FROM users WHERE token IS NULL")
	[[ $nulls == 0 ]] && ok || bad "$layout: $nulls rows were not backfilled"
	if [[ $layout == plain ]]; then
		# psql scripts, each skipped when done: running them all again changes nothing
		before=$(q "$db" -Atc "SELECT md5(string_agg(u::text, ',' ORDER BY id)) FROM users u")
		while IFS= read -r f; do
			run_file plain "$db" "$out/$f" up >"$tmp/log" 2>&1 ||
				bad "plain: $f run again failed: $(head -c 400 "$tmp/log")"
		done < <(up_files plain "$out")
		after=$(q "$db" -Atc "SELECT md5(string_agg(u::text, ',' ORDER BY id)) FROM users u")
		if [[ $before == "$after" ]] && schema_of "$db" | cmp -s "$tmp/plain.schema" -; then
			ok
		else
			bad "plain: the files run again changed the database"
		fi
	fi
	[[ $layout == plain || $layout == flyway ]] && continue
	# down, newest first: back to the schema the migration started from
	while IFS= read -r f; do
		[[ $layout == golang-migrate || $layout == sqlx ]] && f=${f%.up.sql}.down.sql
		[[ $layout == diesel ]] && f=${f%/up.sql}/down.sql
		run_file "$layout" "$db" "$out/$f" down >"$tmp/log" 2>&1 || {
			bad "$layout: down $f failed: $(head -c 400 "$tmp/log")"
			applied=false
			break
		}
	done < <(up_files "$layout" "$out" | LC_ALL=C sort -r)
	$applied || continue
	if schema_of "$db" | cmp -s "$tmp/base.schema" -; then ok; else
		bad "$layout: the down migrations do not lead back to the schema before"
		schema_of "$db" | diff -u "$tmp/base.schema" - | head -n 20 || true
	fi
done

# ---- a step without an inverse: its down fails and says which ----
printf 'DROP INDEX orders_old_idx;\n' >drop.sql
"$pgstage" plan --no-config --context ../schema.sql -o "$tmp/drop" --layout golang-migrate \
	drop.sql >/dev/null
fresh_db
q "$db" -c "$(cat "$tmp"/drop/1_drop_1_drop_index.up.sql)" >/dev/null
if q "$db" -c "$(cat "$tmp"/drop/1_drop_1_drop_index.down.sql)" >"$tmp/log" 2>&1; then
	bad "the down of DROP INDEX succeeded without doing anything"
else
	grep -q 'ERROR:  pgstage: no down migration for DROP INDEX CONCURRENTLY IF EXISTS orders_old_idx (drop.sql:1)' "$tmp/log" &&
		ok || bad "the failing down does not name the statement: $(cat "$tmp/log")"
fi

echo "plan-files-pg: $passed passed, $failed failed"
((failed == 0))
