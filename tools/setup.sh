#!/bin/sh
# Install the Debian packages the project builds and tests with, when any is
# missing (`fuzz` as the argument adds what make fuzz needs).  Idempotent and silent when everything is present; works as root
# or through sudo.  Called by make before the first build.
set -eu

# clang: make test's lock analysis (make tsa-check) and make fuzz.
# libtsan2: gcc 12's ThreadSanitizer runtime (make tsan-test, in make test);
# gcc pulls it in today, named here so make test does not lean on that.
# gnuplot-nox: make bench's plots of how cost grows (build/grow-*.svg).
# make bench-linux fetches Debian's arm64 kernel itself (tools/linux-kernel.sh).
PKGS="make gcc libc6-dev libtsan2 python3 device-tree-compiler clang gnuplot-nox
qemu-system-misc qemu-system-arm opensbi
gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf picolibc-riscv64-unknown-elf
gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu picolibc-aarch64-linux-gnu
gdb-multiarch"
# `tools/setup.sh fuzz` (make fuzz) also wants clang's libFuzzer runtime.
[ "${1:-}" = fuzz ] && PKGS="$PKGS libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "setup: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	echo "setup: need root or sudo to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists when they are empty or a first install fails.
if ! $SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null; then
	$SUDO apt-get update -q >/dev/null
	$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
