#!/usr/bin/env bash
# Ensure the Debian packages pgstage needs to build and test are installed.
# Fast path: when everything is already installed, print nothing and exit 0
# without touching apt (this runs in CI and before every fresh build).
set -euo pipefail

# --build-only: just what building ./pgstage needs (for CI actions that only lint)
packages=(gcc make libpg-query-dev libprotobuf-c-dev libjansson-dev libpq-dev)
build_only=false
if [[ ${1:-} == --build-only ]]; then
	build_only=true
else
	packages+=(clang pkg-config libcmocka-dev postgresql git diffutils python3)
	# libFuzzer and the sanitizer runtimes for the fuzz targets (make check runs
	# them): libclang_rt.fuzzer comes from libclang-rt-14-dev on Debian 12, which
	# this package of the same llvm-defaults as "clang" depends on
	packages+=(libclang-rt-dev)
fi

missing=()
for pkg in "${packages[@]}"; do
	# dpkg-query fails (and prints to stderr) for packages it has never seen;
	# that just means "not installed".
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	if [[ $status != "install ok installed" ]]; then
		missing+=("$pkg")
	fi
done

if ((${#missing[@]} > 0)); then
	sudo_cmd=()
	if ((EUID != 0)); then
		if command -v sudo >/dev/null 2>&1; then
			sudo_cmd=(sudo)
		else
			echo "install-deps: missing packages: ${missing[*]}" >&2
			echo "install-deps: not root and sudo is not available; install them as root" >&2
			exit 1
		fi
	fi
	echo "install-deps: installing: ${missing[*]}" >&2
	"${sudo_cmd[@]}" apt-get update -qq
	"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The integration tests need the server binaries, which Debian keeps outside
# PATH under /usr/lib/postgresql/<major>/bin; pg_config --bindir would point at
# the client-side libpq-dev layout, so look for initdb directly (prefer 15, the
# major version of the libpg_query grammar).
if $build_only; then
	exit 0
fi
initdb=""
for cand in /usr/lib/postgresql/15/bin/initdb /usr/lib/postgresql/*/bin/initdb; do
	if [[ -x $cand ]]; then
		initdb=$cand
		break
	fi
done
if [[ -z $initdb ]]; then
	echo "install-deps: no initdb found under /usr/lib/postgresql/*/bin; is the postgresql server package installed?" >&2
	exit 1
fi
# tests/integration/test_plan_proof.c runs plan scripts through psql; the
# server package depends on its client (postgresql-client-<major>), which puts
# psql next to initdb.
if [[ ! -x ${initdb%/initdb}/psql ]] && ! command -v psql >/dev/null 2>&1; then
	echo "install-deps: no psql next to $initdb or on PATH; install postgresql-client" >&2
	exit 1
fi
