# QEMU "virt" machine, AArch64, with the kernel built for a 39-bit virtual
# address space (3-level tables) instead of 48 bits.
ARCH        := aarch64
AARCH64_LEVELS := 3
MMU_LEVELS  := 3
TEXT_OFFSET := 0x200000
EARLY_UART  := pl011@0x09000000
QEMU        := qemu-system-aarch64
QEMU_MACHINE := -machine virt,gic-version=3 -cpu cortex-a57 \
                -semihosting-config enable=on,target=native
QEMU_TEST   := yes
# Where QEMU's machine starts RAM (make debug: symbols at physical addresses).
QEMU_RAM_BASE := 0x40000000
# The one single-CPU boot of make test.
QEMU_TEST_SMP := 1
