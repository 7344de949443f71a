#!/bin/sh
# Install what socklife needs on Debian 12, skipping what is already there.
#   scripts/deps.sh          build and run
#   scripts/deps.sh --test   also everything the test suite uses
set -eu

runtime="libmnl0 libmicrohttpd12 zlib1g libcap2 libyaml-0-2 libcrypt1 libncursesw6 libtinfo6 libbpf1"
# clang and bpftool build the BPF socket iterator (-DSOCKLIFE_BPF=OFF needs neither).
build="build-essential cmake pkg-config git libmnl-dev libmicrohttpd-dev zlib1g-dev libcap-dev libyaml-dev libcrypt-dev libncurses-dev
	clang libbpf-dev bpftool"
# promtool comes with Debian's prometheus package; ss with iproute2.
test="libcmocka-dev libclang-rt-14-dev iproute2 python3 python3-yaml openssl prometheus valgrind curl chromium
	systemd groff strace dpkg-dev adduser init-system-helpers shellcheck tmux"

want="$runtime $build"
[ "${1:-}" = "--test" ] && want="$want $test"

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "scripts/deps.sh: need root to install:$missing (run it with sudo)" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
