#!/bin/sh
# Install what the benchmark needs, build, and run it (as root: it makes
# throwaway network namespaces).  Arguments go to tests/bench/bench.py, e.g.
#   sudo scripts/bench.sh --sockets 50000 --procs 50 --soak 200
#   sudo scripts/bench.sh --sweep        # the socket sources on a node's shape
# It takes about 20 minutes at the default 200,000 sockets; it prints numbers
# and asserts nothing.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
if [ "$(id -u)" -ne 0 ]; then
	echo "scripts/bench.sh: run it as root (it makes network namespaces)" >&2
	exit 1
fi
missing=""
for p in wrk prometheus-node-exporter curl iproute2 python3; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
	# The package starts node_exporter as a service where systemd runs; the
	# benchmark starts its own.
fi
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DSOCKLIFE_TESTS=OFF >/dev/null
cmake --build build-bench -j "$(nproc)" >/dev/null
exec python3 tests/bench/bench.py --build build-bench "$@"
