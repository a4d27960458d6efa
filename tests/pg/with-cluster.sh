#!/usr/bin/env bash
# Run CMD ARGS... against a fresh throwaway PostgreSQL cluster, with
# PGHOST/PGPORT/PGUSER/PGDATABASE exported, and always tear the cluster down.
# Exits with CMD's status. Used by `make check` for integration tests.
set -euo pipefail

if (($# == 0)); then
	echo "usage: $0 CMD [ARGS...]" >&2
	exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Under /tmp rather than $TMPDIR: when root, the server runs as postgres and
# needs every parent traversable, and the socket path must stay short.
dir=$(mktemp -d /tmp/pgstage-pg.XXXXXX)
chmod 755 "$dir"

# shellcheck disable=SC2317  # invoked via trap
cleanup() {
	"$here/cluster.sh" stop "$dir" || true
}
trap cleanup EXIT

child=""
# On INT/TERM pass the signal on to CMD, then exit normally so the EXIT trap
# tears the cluster down.
# shellcheck disable=SC2317  # invoked via trap
on_signal() {
	if [[ -n $child ]]; then
		kill -"$1" "$child" 2>/dev/null || true
	fi
	exit "$2"
}
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

"$here/cluster.sh" start "$dir"
eval "$("$here/cluster.sh" env "$dir")"

# CMD runs in the background so that a signal interrupts `wait` at once
# (bash defers traps until a foreground child exits); the explicit <&0 keeps
# our stdin, which would otherwise be /dev/null for a background job.
"$@" <&0 &
child=$!
status=0
wait "$child" || status=$?
exit "$status"
