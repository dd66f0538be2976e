# Raspberry Pi 3 Model B (BCM2837, four Cortex-A53), as QEMU's raspi3b
# models it: RAM at 0, the kernel loaded at 0x80000 and entered at EL2 as
# the Pi firmware does, the secondaries parked in a spin table at 0xd8..0xf0,
# the BCM2836 per-core interrupt controller, no PSCI.  The device tree is
# the real board's, from Debian's arm64 Linux package (tools/setup.sh dtbs).
ARCH        := aarch64
TEXT_OFFSET := 0x80000
# The PL011 (uart0): the device tree's stdout-path names the mini UART,
# which the kernel has no driver for, so the console stays here.
EARLY_UART  := pl011@0x3f201000
BOARD_DTB   := bcm2837-rpi-3-b.dtb
QEMU        := qemu-system-aarch64
# No PSCI to power off with: semihosting ends QEMU (arch/aarch64/arch.c).
QEMU_MACHINE := -machine raspi3b -dtb $(DTB_DIR)/$(BOARD_DTB) \
                -semihosting-config enable=on,target=native
# The machine has 1 GiB and four CPUs, no other choice.
MEM         := 1G
QEMU_TEST   := yes
QEMU_TEST_SMP := 4
BOOT_CHECKS := real
BOOT_CPUS   := 4
