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
# The U-Boot distro-boot check (make uboot-test, in make test): Debian's
# u-boot-qemu for S-mode, after OpenSBI, boots the SD-card image
# (tools/mkimage.sh) from a virtio disk.
UBOOT_MACHINE := -machine virt -bios /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin \
                 -kernel /usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin
# The suites that concern the boot path (CPUs through SBI HSM, the device
# tree U-Boot passes, console, memory and tables, traps): every suite of
# this kernel runs in its own boot-test, and riscv64 under QEMU is the
# slowest run of make test (about a minute for all of them).
UBOOT_KTEST := smp,fdt,console,mem_boot,memmap,mmu,page,trap
