#!/bin/sh
# Install what is missing, build with -Werror, and run every test: unit and
# integration, then both again against an AddressSanitizer + UBSan build.
# Integration tests need root (network namespaces); without it ctest shows
# them as skipped.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh --test
jobs="$(nproc)"

echo "== build (warnings are errors)"
cmake -S . -B build -DSOCKLIFE_WERROR=ON >/dev/null
cmake --build build -j "$jobs" >/dev/null
echo "== tests"
(cd build && ctest -j "$jobs" --output-on-failure)

echo "== build with ASan + UBSan"
cmake -S . -B build-asan -DSOCKLIFE_WERROR=ON -DSOCKLIFE_SANITIZE=ON \
	-DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j "$jobs" >/dev/null
echo "== tests under ASan + UBSan"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest -j "$jobs" --output-on-failure)
echo "== libFuzzer targets (clang), a few seconds each from the kept corpus"
CC=clang cmake -S . -B build-fuzz -DSOCKLIFE_FUZZ=ON -DSOCKLIFE_TESTS=OFF \
	-DSOCKLIFE_WERROR=ON >/dev/null
cmake --build build-fuzz -j "$jobs" >/dev/null
(cd build-fuzz && ctest -j "$jobs" -L fuzz --output-on-failure)
echo "== all tests passed"
