# SiFive HiFive Unleashed (FU540-C000), as QEMU's sifive_u models it:
# hart 0 is an E51 monitor core without an MMU, harts 1-4 are U54s.
# OpenSBI (fw_dynamic, Debian's generic platform) picks the boot hart among
# the U54s; the kernel leaves the E51 alone (its cpu node has no mmu-type).
ARCH        := riscv64
TEXT_OFFSET := 0x200000
EARLY_UART  := sifive@0x10010000
QEMU        := qemu-system-riscv64
# No power-off device on this board: semihosting lets the kernel end QEMU
# (arch/riscv64/arch.c).
QEMU_MACHINE := -machine sifive_u -bios /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin \
                -semihosting-config enable=on,target=native
QEMU_TEST   := yes
# Every CPU: the E51 and four U54s.
QEMU_TEST_SMP := 5
# The checks for a real board (fixed CPUs and memory); the E51 is not usable.
BOOT_CHECKS := real
BOOT_CPUS   := 4
# Five harts under QEMU on a shared 2-core machine: give the run time.
TEST_TIMEOUT := 480
