# Raspberry Pi 4 Model B (BCM2711, four Cortex-A72, GIC-400).  QEMU 7.2
# does not model it: `make image` gives kernel8.img and config.txt for the
# Pi firmware, which loads the kernel at 0x80000, enters it at EL2 with the
# device tree (memory filled in) in x0, and parks the secondaries in a spin
# table (docs/boards.md).
ARCH        := aarch64
TEXT_OFFSET := 0x80000
# The PL011 (uart0) in low-peripheral mode, on GPIO 14/15 with config.txt's
# dtoverlay=disable-bt.
EARLY_UART  := pl011@0xfe201000
IMAGE_KIND  := rpi
QEMU        :=
QEMU_MACHINE :=
QEMU_TEST   := no
