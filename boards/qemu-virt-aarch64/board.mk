# QEMU "virt" machine, AArch64 (Cortex-A57), kernel entered at EL1 directly
# by QEMU's Linux loader; QEMU provides PSCI;
# semihosting lets a failed self-test run end QEMU with a non-zero status.
ARCH        := aarch64
TEXT_OFFSET := 0x200000
EARLY_UART  := pl011@0x09000000
QEMU        := qemu-system-aarch64
QEMU_MACHINE := -machine virt,gic-version=3 -cpu cortex-a57 \
                -semihosting-config enable=on,target=native
QEMU_TEST   := yes
# Where QEMU's machine starts RAM (make debug: symbols at physical addresses).
QEMU_RAM_BASE := 0x40000000
# The U-Boot distro-boot check (make uboot-test, in make test): Debian's
# u-boot-qemu boots the SD-card image (tools/mkimage.sh) from a virtio
# disk, on a GICv2 this time, so the GICv2 driver runs every suite too.
UBOOT_MACHINE := -machine virt,gic-version=2 -cpu cortex-a57 \
                 -semihosting-config enable=on,target=native \
                 -bios /usr/lib/u-boot/qemu_arm64/u-boot.bin
