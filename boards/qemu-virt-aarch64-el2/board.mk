# QEMU "virt" machine, AArch64 (Cortex-A57) with virtualization on, so the
# kernel is entered at EL2 and must drop to EL1 itself.
ARCH        := aarch64
TEXT_OFFSET := 0x200000
EARLY_UART  := pl011@0x09000000
QEMU        := qemu-system-aarch64
QEMU_MACHINE := -machine virt,gic-version=3,virtualization=on -cpu cortex-a57 \
                -semihosting-config enable=on,target=native
QEMU_TEST   := yes
# Where QEMU's machine starts RAM (make debug: symbols at physical addresses).
QEMU_RAM_BASE := 0x40000000
