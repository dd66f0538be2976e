#!/bin/sh
# Install the Debian packages the project builds and tests with, when any is
# missing (`fuzz` as the argument adds what make fuzz needs).  Idempotent and silent when everything is present; works as root
# or through sudo.  Called by make before the first build.
set -eu

# clang: make test's lock analysis (make tsa-check) and make fuzz.
# qemu-user: Linux's side of the user programs' differential test.
# libtsan2: gcc 12's ThreadSanitizer runtime (make tsan-test, in make test);
# gcc pulls it in today, named here so make test does not lean on that.
# gnuplot-nox: make bench's plots of how cost grows (build/grow-*.svg).
# make bench-linux fetches Debian's arm64 kernel itself (tools/linux-kernel.sh).
PKGS="make gcc libc6-dev libtsan2 python3 device-tree-compiler clang gnuplot-nox
qemu-system-misc qemu-system-arm qemu-user opensbi
gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf picolibc-riscv64-unknown-elf
gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu picolibc-aarch64-linux-gnu
gdb-multiarch"
# u-boot-qemu: the U-Boot distro-boot checks (make test); fdisk (sfdisk)
# and mtools: SD-card images without root or loop devices (make image).
PKGS="$PKGS u-boot-qemu fdisk mtools"
# `tools/setup.sh fuzz` (make fuzz) also wants clang's libFuzzer runtime.
[ "${1:-}" = fuzz ] && PKGS="$PKGS libclang-rt-14-dev"

# `tools/setup.sh dtbs DIR`: the real boards' device trees, from Debian's
# arm64 Linux kernel package (linux-image-arm64's dependency, the
# versioned linux-image-<abi>-arm64), extracted into DIR.  apt runs with
# its own package lists for arm64 under DIR, so the machine's
# architectures and lists are left alone.  Debian 12 builds no riscv64
# kernel in its main archive, so there is no riscv64 board DTB to fetch.
if [ "${1:-}" = dtbs ]; then
	dir=$(realpath -m "${2:?usage: setup.sh dtbs DIR}")
	apt="-o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o Dir::State::status=/dev/null
	     -o Dir::State::Lists=$dir/apt/lists -o Dir::Cache=$dir/apt/cache -o Debug::NoLocking=1"
	mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial"
	apt-get $apt update -q >/dev/null
	pkg=$(apt-cache $apt depends linux-image-arm64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*-arm64\)$/\1/p' | head -1)
	[ -n "$pkg" ] || { echo "setup: no linux-image-*-arm64 in the arm64 lists" >&2; exit 1; }
	(cd "$dir/apt" && rm -f ./*.deb && apt-get $apt download "$pkg" >/dev/null 2>&1)
	rm -rf "$dir/x" && dpkg-deb -x "$dir"/apt/"$pkg"_*.deb "$dir/x"
	for f in bcm2837-rpi-3-b bcm2837-rpi-3-b-plus bcm2711-rpi-4-b; do
		cp "$dir"/x/usr/lib/linux-image-*/broadcom/$f.dtb "$dir/"
	done
	echo "$pkg" > "$dir/SOURCE"
	rm -rf "$dir/x" "$dir"/apt/*.deb
	exit 0
fi

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
