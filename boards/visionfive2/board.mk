# StarFive VisionFive 2 (JH7110: an S7 monitor core without an MMU and
# four U74s).  Its U-Boot and OpenSBI live in the board's SPI flash; U-Boot's
# distro boot finds extlinux/extlinux.conf on the SD card that
# `make image` builds and boots the kernel with the board's device tree.
# QEMU does not model the board (docs/boards.md).
ARCH        := riscv64
# OpenSBI sits at the start of RAM (0x40000000); U-Boot's booti places the
# image 2 MiB above a 2 MiB-aligned base, as its header asks.
TEXT_OFFSET := 0x200000
# The DesignWare APB UART0 (snps,dw-apb-uart): 32-bit registers, 4 bytes apart.
EARLY_UART  := dw-apb-uart@0x10000000
EARLY_UART_REG_SHIFT := 2
EARLY_UART_REG_IO_WIDTH := 4
IMAGE_KIND  := sdcard
QEMU        :=
QEMU_MACHINE :=
QEMU_TEST   := no
