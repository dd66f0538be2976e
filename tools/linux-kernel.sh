#!/bin/sh
# Fetch Debian 12's arm64 Linux kernel for make bench-linux into
# build/linux/ (never committed): the archive's ordinary tools with a
# private apt state under build/linux/apt (so the machine's own apt
# configuration and package lists are left alone), the same sources
# as the machine's apt (/etc/apt/sources.list{,.d}):
#   apt-get update   (arm64 package lists only)
#   apt-get download linux-image-<version>-arm64  (what linux-image-arm64 depends on)
#   dpkg-deb -x      -> build/linux/vmlinuz, build/linux/config
# Idempotent: does nothing when build/linux/vmlinuz is there.
set -eu

OUT=${1:-build/linux}
[ -f "$OUT/vmlinuz" ] && exit 0
mkdir -p "$OUT/apt/lists/partial" "$OUT/apt/cache/archives/partial" "$OUT/pkg"
OUT=$(cd "$OUT" && pwd)
: > "$OUT/apt/status"
cat > "$OUT/apt/apt.conf" <<CONF
Dir::State "$OUT/apt";
Dir::State::Lists "$OUT/apt/lists";
Dir::State::status "$OUT/apt/status";
Dir::Cache "$OUT/apt/cache";
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
Acquire::Languages "none";
APT::Sandbox::User "root";
CONF
export APT_CONFIG="$OUT/apt/apt.conf"
echo "linux-kernel: apt-get update (arm64 lists, in $OUT/apt)" >&2
apt-get update -q >/dev/null
pkg=$(apt-cache depends linux-image-arm64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*-arm64\)$/\1/p' | head -1)
[ -n "$pkg" ] || { echo "linux-kernel: no linux-image-*-arm64 behind linux-image-arm64" >&2; exit 1; }
echo "linux-kernel: apt-get download $pkg" >&2
(cd "$OUT/pkg" && apt-get download -q "$pkg" >/dev/null)
dpkg-deb -x "$OUT/pkg/${pkg}"_*.deb "$OUT/pkg/x"
cp "$OUT/pkg/x/boot/config-"* "$OUT/config"
echo "$pkg $(dpkg-deb -f "$OUT/pkg/${pkg}"_*.deb Version)" > "$OUT/version"
cp "$OUT/pkg/x/boot/vmlinuz-"* "$OUT/vmlinuz"
rm -rf "$OUT/pkg/x"
