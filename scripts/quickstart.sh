#!/bin/sh
# Install what is missing, build, and start socklife in the foreground with
# its defaults: a pass every 15 s, metrics on http://localhost:9917/metrics.
# Run it as root so that socklife can see every process's sockets.
# Extra arguments go to socklife (e.g. --listen 127.0.0.1:9917).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSOCKLIFE_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
echo "starting socklife $* (default address http://localhost:9917/; Ctrl-C stops it)"
exec build/socklife "$@"
