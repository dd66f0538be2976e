# QEMU "virt" machine, 64-bit RISC-V, booted by OpenSBI (fw_dynamic) in S-mode.
ARCH        := riscv64
# OpenSBI occupies the first 2 MiB; the kernel is loaded right above it.
TEXT_OFFSET := 0x200000
# Console until the device tree names one (stdout-path).
EARLY_UART  := ns16550a@0x10000000
QEMU        := qemu-system-riscv64
QEMU_MACHINE := -machine virt -bios /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
# Booted by `make test`.
QEMU_TEST   := yes
# Where QEMU's machine starts RAM (make debug: symbols at physical addresses).
QEMU_RAM_BASE := 0x80000000
