#!/bin/sh
# Run one libFuzzer target for a bounded time, seeded from the kept corpus.
#   run-fuzzer.sh TARGET CORPUS_DIR SECONDS
set -eu
target=$1 corpus=$2 seconds=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The first directory receives new inputs; the kept corpus is only read.
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
	-print_final_stats=1 "$scratch" "$corpus"
