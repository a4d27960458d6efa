#!/usr/bin/env bash
# Test of `cluster.sh standby`: a primary and a streaming standby in fresh
# throwaway dirs; a row written on the primary shows on the standby, and
# with replay paused on the standby the primary sees its replay fall behind
# (pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) grows after a write)
# while the WAL still reaches it. Both clusters are always torn down.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cluster=$here/cluster.sh

# Under /tmp, 755: when root the servers run as postgres (see with-cluster.sh).
pdir=$(mktemp -d /tmp/pgstage-pri.XXXXXX)
sdir=$(mktemp -d /tmp/pgstage-sby.XXXXXX)
chmod 755 "$pdir" "$sdir"

# shellcheck disable=SC2317  # invoked via trap
cleanup() {
	"$cluster" stop "$sdir" || true
	"$cluster" stop "$pdir" || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
	echo "test-standby: FAIL: $*" >&2
	exit 1
}

# psql DIR SQL: one unaligned, tuples-only result.
q() {
	psql -XAtq -v ON_ERROR_STOP=1 -h "$1" -p 5432 -U postgres -d postgres -c "$2"
}

"$cluster" start "$pdir"
"$cluster" standby "$pdir" "$sdir"

[[ $(q "$sdir" "SELECT pg_is_in_recovery()") == t ]] || fail "standby is not in recovery"
[[ $(q "$pdir" "SELECT count(*) FROM pg_stat_replication
	WHERE application_name = 'pgstage_standby' AND state = 'streaming'") == 1 ]] ||
	fail "primary shows no streaming pgstage_standby"

# 1. A row written on the primary is replayed on the standby within 10 s.
q "$pdir" "CREATE TABLE standby_probe (id int PRIMARY KEY, note text);
	INSERT INTO standby_probe VALUES (1, 'from primary')" >/dev/null
seen=""
for ((i = 0; i < 100; i++)); do
	if [[ $(q "$sdir" "SELECT note FROM standby_probe WHERE id = 1" 2>/dev/null) == "from primary" ]]; then
		seen=1
		break
	fi
	sleep 0.1
done
[[ -n $seen ]] || fail "row written on the primary not visible on the standby after 10 s"

# 2. Replay paused: WAL still arrives (flush_lsn reaches the write) but
#    replay_lsn stays behind, so the primary's replay byte lag grows.
q "$sdir" "SELECT pg_wal_replay_pause()" >/dev/null
for ((i = 0; i < 100; i++)); do
	[[ $(q "$sdir" "SELECT pg_get_wal_replay_pause_state()") == paused ]] && break
	sleep 0.1
done
[[ $(q "$sdir" "SELECT pg_get_wal_replay_pause_state()") == paused ]] ||
	fail "standby replay did not pause"
lag_sql="SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication
	WHERE application_name = 'pgstage_standby'"
before=$(q "$pdir" "$lag_sql")
q "$pdir" "INSERT INTO standby_probe SELECT g, repeat('x', 200) FROM generate_series(2, 5001) g" >/dev/null
target=$(q "$pdir" "SELECT pg_current_wal_lsn()")
received=""
for ((i = 0; i < 100; i++)); do
	if [[ $(q "$pdir" "SELECT flush_lsn >= '$target' FROM pg_stat_replication
		WHERE application_name = 'pgstage_standby'") == t ]]; then
		received=1
		break
	fi
	sleep 0.1
done
[[ -n $received ]] || fail "standby did not receive the write within 10 s"
after=$(q "$pdir" "$lag_sql")
((after > before)) || fail "replay byte lag did not grow while paused (before $before, after $after)"
[[ $(q "$sdir" "SELECT count(*) FROM standby_probe") == 1 ]] ||
	fail "paused standby replayed the write anyway"

# 3. Resumed, the lag drains.
q "$sdir" "SELECT pg_wal_replay_resume()" >/dev/null
for ((i = 0; i < 100; i++)); do
	if [[ $(q "$sdir" "SELECT count(*) FROM standby_probe") == 5001 ]]; then
		echo "test-standby: ok (replay byte lag $before -> $after while paused)"
		exit 0
	fi
	sleep 0.1
done
fail "standby did not catch up within 10 s of pg_wal_replay_resume()"
