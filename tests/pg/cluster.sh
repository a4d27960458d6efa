#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for integration tests and for regenerating
# core/pgdata: unix socket only (no TCP), trust auth, no durability.
#
#   cluster.sh start DIR   initdb into DIR/data and start; socket in DIR
#   cluster.sh standby PRIMARY_DIR DIR
#                          pg_basebackup the running cluster PRIMARY_DIR into
#                          DIR/data and start it as a hot standby streaming
#                          from PRIMARY_DIR's socket (application_name
#                          pgstage_standby); socket in DIR; returns once the
#                          primary's pg_stat_replication shows it streaming
#   cluster.sh stop DIR    stop immediately and remove DIR, primary or standby
#                          (idempotent)
#   cluster.sh env DIR     print export lines for PGHOST/PGPORT/PGUSER/PGDATABASE
#
# PostgreSQL refuses to run as root, so when run as root the server runs as
# the unprivileged `postgres` user; DIR and its parents must then be
# traversable by postgres (tests/pg/with-cluster.sh uses a 755 dir in /tmp).
set -euo pipefail

# The socket file is DIR/.s.PGSQL.<port>; with no TCP listener a fixed port
# cannot collide with anything else.
readonly PORT=5432
readonly PGUSER_NAME=postgres
# application_name of a standby (cluster.sh standby) in primary_conninfo,
# hence in the primary's pg_stat_replication.
readonly STANDBY_NAME=pgstage_standby
# Written at start; stop only deletes directories carrying it, so a mistyped
# DIR is never rm -rf'd.
readonly MARKER=.pgstage-cluster

usage() {
	echo "usage: $0 start|stop|env DIR" >&2
	echo "       $0 standby PRIMARY_DIR DIR" >&2
	exit 2
}

die() {
	echo "cluster.sh: $*" >&2
	exit 1
}

# Debian keeps server binaries out of PATH; prefer major 15, the version of
# the libpg_query grammar. PG_BINDIR overrides (scripts/fetch-pg.sh prints
# the bindir of another major version).
find_bindir() {
	if [[ -n ${PG_BINDIR:-} ]]; then
		[[ -x $PG_BINDIR/initdb ]] || die "PG_BINDIR=$PG_BINDIR has no initdb"
		printf '%s\n' "$PG_BINDIR"
		return
	fi
	local cand
	for cand in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
		if [[ -x $cand/initdb && -x $cand/pg_ctl ]]; then
			printf '%s\n' "$cand"
			return
		fi
	done
	die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (run scripts/install-deps.sh)"
}

is_root() {
	((EUID == 0))
}

# Run a server-side command as the user that owns the cluster. Run from DIR
# so that a cwd postgres cannot read (e.g. /root) causes no warnings.
as_owner() {
	if is_root; then
		(cd "$dir" && runuser -u "$PGUSER_NAME" -- "$@")
	else
		(cd "$dir" && "$@")
	fi
}

show_logs() {
	local f
	for f in "$dir/initdb.log" "$dir/basebackup.log" "$dir/server.log" \
		${primary:+"$primary/server.log"}; do
		if [[ -s $f ]]; then
			echo "--- tail of $f ---" >&2
			tail -n 40 "$f" >&2
		fi
	done
}

# Single-quoted postgresql.conf string literal.
conf_quote() {
	printf "'%s'" "${1//\'/\'\'}"
}

# Single-quoted libpq conninfo value.
conninfo_quote() {
	local v=${1//\\/\\\\}
	printf "'%s'" "${v//\'/\\\'}"
}

# A client program from $bindir, else the system's (servers fetched from npm
# by scripts/fetch-pg.sh have no client programs).
client_bin() {
	if [[ -x $bindir/$1 ]]; then
		printf '%s\n' "$bindir/$1"
	else
		command -v "$1" || printf '%s\n' "/usr/lib/postgresql/15/bin/$1"
	fi
}

# Mark DIR as a cluster directory and hand it to the server's user; the
# socket path in it must fit (unix socket paths are limited to 107 bytes).
own_dir() {
	local sock="$dir/.s.PGSQL.$PORT"
	((${#sock} <= 107)) || die "socket path too long (${#sock} > 107 bytes): $sock"
	touch "$dir/$MARKER"

	if is_root; then
		id -u "$PGUSER_NAME" >/dev/null 2>&1 ||
			die "running as root needs the '$PGUSER_NAME' user to run the server"
		chown "$PGUSER_NAME": "$dir" "$dir/$MARKER"
		runuser -u "$PGUSER_NAME" -- test -x "$dir" -a -w "$dir" ||
			die "$dir is not writable by $PGUSER_NAME, or a parent directory is not traversable (chmod 755)"
	fi
}

server_running() {
	[[ -f $dir/data/postmaster.pid ]] &&
		as_owner "$bindir/pg_ctl" status -D "$dir/data" >/dev/null 2>&1
}

cmd_start() {
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd -P)
	own_dir

	if server_running; then
		return 0
	fi

	if [[ ! -f $dir/data/PG_VERSION ]]; then
		if ! as_owner "$bindir/initdb" -D "$dir/data" -A trust --no-sync \
			-U "$PGUSER_NAME" -E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
			show_logs
			die "initdb failed"
		fi
		# Settings go in the config file rather than on the pg_ctl -o
		# command line, which pg_ctl passes through a shell.
		cat >>"$dir/data/postgresql.conf" <<-CONF

			# added by tests/pg/cluster.sh: throwaway test cluster
			listen_addresses = ''
			unix_socket_directories = $(conf_quote "$dir")
			port = $PORT
			fsync = off
			synchronous_commit = off
			full_page_writes = off
		CONF
	fi

	if ! as_owner "$bindir/pg_ctl" start -D "$dir/data" -l "$dir/server.log" \
		-w -t 60 >/dev/null 2>&1; then
		show_logs
		die "server failed to start"
	fi

	# pg_ctl -w already waited; this checks the socket clients will use.
	# Servers fetched from npm (scripts/fetch-pg.sh) have no client programs:
	# the system's pg_isready, like its psql, talks to any version.
	local i isready=$bindir/pg_isready
	[[ -x $isready ]] || isready=$(command -v pg_isready || echo /usr/lib/postgresql/15/bin/pg_isready)
	for ((i = 0; i < 100; i++)); do
		if "$isready" -q -h "$dir" -p "$PORT" -U "$PGUSER_NAME"; then
			return 0
		fi
		sleep 0.1
	done
	show_logs
	die "server did not become ready on $dir"
}

# Create DIR (as cmd_start does) for a standby of the running cluster
# $primary: pg_basebackup over the primary's socket, then start it as a hot
# standby streaming from that socket.
cmd_standby() {
	[[ -e $primary/$MARKER ]] || die "$primary was not created by cluster.sh start"
	primary=$(cd "$primary" && pwd -P)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd -P)
	[[ $dir != "$primary" ]] || die "standby DIR must differ from PRIMARY_DIR"
	own_dir

	local isready psql
	isready=$(client_bin pg_isready)
	psql=$(client_bin psql)
	"$isready" -q -h "$primary" -p "$PORT" -U "$PGUSER_NAME" ||
		die "primary $primary is not running (cluster.sh start it first)"

	if ! server_running; then
		if [[ ! -f $dir/data/PG_VERSION ]]; then
			local basebackup
			basebackup=$(client_bin pg_basebackup)
			local -a opts=(-D "$dir/data" -h "$primary" -p "$PORT" -U "$PGUSER_NAME"
				-R -X stream -c fast)
			if "$basebackup" --help 2>/dev/null | grep -q -- --no-sync; then
				opts+=(--no-sync)
			fi
			rm -rf "$dir/data"
			if ! as_owner "$basebackup" "${opts[@]}" >"$dir/basebackup.log" 2>&1; then
				show_logs
				die "pg_basebackup from $primary failed"
			fi
			# The copied postgresql.conf is the primary's: later lines win.
			cat >>"$dir/data/postgresql.conf" <<-CONF

				# added by tests/pg/cluster.sh standby: streaming standby of $primary
				listen_addresses = ''
				unix_socket_directories = $(conf_quote "$dir")
				hot_standby = on
			CONF
			# postgresql.auto.conf is read last, and -R wrote its own
			# primary_conninfo there: replace it. Rewritten in place, so
			# it keeps its owner.
			local auto=$dir/data/postgresql.auto.conf conninfo kept
			conninfo="host=$(conninfo_quote "$primary") port=$PORT user=$PGUSER_NAME"
			conninfo+=" application_name=$STANDBY_NAME"
			kept=$(grep -v '^[[:space:]]*primary_conninfo[[:space:]=]' "$auto" || true)
			printf '%s\nprimary_conninfo = %s\n' "$kept" "$(conf_quote "$conninfo")" >"$auto"
		fi

		if ! as_owner "$bindir/pg_ctl" start -D "$dir/data" -l "$dir/server.log" \
			-w -t 60 >/dev/null 2>&1; then
			show_logs
			die "standby failed to start"
		fi
	fi

	local i ready=""
	for ((i = 0; i < 100; i++)); do
		if "$isready" -q -h "$dir" -p "$PORT" -U "$PGUSER_NAME"; then
			ready=1
			break
		fi
		sleep 0.1
	done
	[[ -n $ready ]] || {
		show_logs
		die "standby did not become ready on $dir"
	}

	# Streaming as seen from both ends: the primary's walsender (the only
	# view of replay lag) and this standby's walreceiver (so that another
	# standby of the same primary does not count).
	local q_primary="SELECT count(*) FROM pg_stat_replication
		WHERE application_name = '$STANDBY_NAME' AND state = 'streaming'"
	local q_standby="SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'"
	local deadline=$((SECONDS + 30))
	while ((SECONDS < deadline)); do
		if [[ $("$psql" -XAtq -h "$primary" -p "$PORT" -U "$PGUSER_NAME" -d postgres \
			-c "$q_primary" 2>/dev/null) != 0 &&
			$("$psql" -XAtq -h "$dir" -p "$PORT" -U "$PGUSER_NAME" -d postgres \
				-c "$q_standby" 2>/dev/null) == 1 ]]; then
			return 0
		fi
		sleep 0.1
	done
	show_logs
	die "standby $dir is not streaming from $primary after 30 s"
}

cmd_stop() {
	[[ -e $dir ]] || return 0
	dir=$(cd "$dir" && pwd -P)
	if [[ ! -e $dir/$MARKER ]]; then
		# Allow an empty dir (start failed before writing anything).
		rmdir "$dir" 2>/dev/null ||
			die "$dir was not created by cluster.sh start; refusing to remove it"
		return 0
	fi
	if server_running; then
		as_owner "$bindir/pg_ctl" stop -D "$dir/data" -m immediate -w -t 60 \
			>/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
}

cmd_env() {
	dir=$(cd "$dir" && pwd -P)
	printf 'export PGHOST=%q\n' "$dir"
	printf 'export PGPORT=%q\n' "$PORT"
	printf 'export PGUSER=%q\n' "$PGUSER_NAME"
	printf 'export PGDATABASE=%q\n' postgres
}

primary=""
if [[ ${1:-} == standby ]]; then
	(($# == 3)) || usage
	action=$1
	primary=$2
	dir=$3
	[[ -n $primary ]] || usage
else
	(($# == 2)) || usage
	action=$1
	dir=$2
fi
[[ -n $dir ]] || usage

case $action in
start)
	bindir=$(find_bindir)
	cmd_start
	;;
stop)
	bindir=$(find_bindir)
	cmd_stop
	;;
standby)
	bindir=$(find_bindir)
	cmd_standby
	;;
env) cmd_env ;;
*) usage ;;
esac
