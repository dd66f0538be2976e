#!/bin/sh
# Images to flash, built with Debian tools only (sfdisk from fdisk, mtools),
# without root or loop devices.
#
#   mkimage.sh sdcard OUT.img IMAGE "BOOTARGS"
#       An SD-card image for U-Boot's distro boot: an MBR with one
#       bootable FAT16 partition (type 0x0e, LBA) from 1 MiB, holding IMAGE as
#       /Image and /extlinux/extlinux.conf, which boots it with BOOTARGS
#       and the device tree U-Boot already has (no fdt line).  U-Boot's
#       distro boot scans the bootable partitions of each disk for
#       /extlinux/extlinux.conf (and /boot/extlinux/extlinux.conf).
#
#   mkimage.sh rpi OUTDIR IMAGE
#       The two files for a Raspberry Pi boot partition: kernel8.img and
#       config.txt (which names kernel8.img, 64-bit mode, the load address
#       the Image header's text offset gives, and the PL011 on GPIO 14/15).
set -eu

FAT_MIB=32

sdcard() {
	out=$1 image=$2 args=$3
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	cat > "$tmp/extlinux.conf" <<EOC
# arbor: U-Boot distro boot (extlinux)
default arbor
timeout 10
label arbor
	menu label arbor
	kernel /Image
	append $args
EOC
	# The FAT partition alone, then placed 1 MiB into the disk.
	truncate -s ${FAT_MIB}M "$tmp/fat.img"
	mformat -i "$tmp/fat.img" -N 6172626f -v ARBOR ::
	mmd -i "$tmp/fat.img" ::/extlinux
	mcopy -i "$tmp/fat.img" "$image" ::/Image
	mcopy -i "$tmp/fat.img" "$tmp/extlinux.conf" ::/extlinux/extlinux.conf
	rm -f "$out"
	truncate -s $((FAT_MIB + 1))M "$out"
	printf 'label: dos\nlabel-id: 0x6172626f\nstart=2048, size=%d, type=e, bootable\n' $((FAT_MIB * 2048)) |
		sfdisk -q "$out"
	dd if="$tmp/fat.img" of="$out" bs=1M seek=1 conv=notrunc status=none
}

rpi() {
	out=$1 image=$2
	mkdir -p "$out"
	cp "$image" "$out/kernel8.img"
	# The arm64 Image header's text_offset: little-endian, bytes 8-15.
	toff=$(od -An -t u8 -j 8 -N 8 "$image" | tr -d ' ')
	cat > "$out/config.txt" <<EOC
# arbor on a Raspberry Pi 4: copy this file and kernel8.img onto the
# boot (FAT) partition of a Raspberry Pi OS card, over the ones there.
arm_64bit=1
kernel=kernel8.img
# Where the kernel's Image header asks to be: its text offset.
kernel_address=$(printf '0x%x' "$toff")
# The PL011 (uart0) on GPIO 14/15 at 115200 baud; Bluetooth gives it up.
enable_uart=1
dtoverlay=disable-bt
EOC
}

case "${1:-}" in
sdcard) [ $# -eq 4 ] || { echo "usage: $0 sdcard OUT.img IMAGE BOOTARGS" >&2; exit 2; }
	sdcard "$2" "$3" "$4" ;;
rpi)	[ $# -eq 3 ] || { echo "usage: $0 rpi OUTDIR IMAGE" >&2; exit 2; }
	rpi "$2" "$3" ;;
*)	echo "usage: $0 sdcard OUT.img IMAGE BOOTARGS | rpi OUTDIR IMAGE" >&2; exit 2 ;;
esac
