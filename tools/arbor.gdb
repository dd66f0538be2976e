# gdb helpers for arbor; `make debug` and tools/gdb_check.py load this file
# after setting $arbor_tramp_o (the trampoline page's object file),
# $arbor_phys_elf (a copy of kernel.elf) and $arbor_load_pa (where the
# loader put the image: the board's RAM base plus its text offset).

# Symbols and CFI of the trampoline page at the window holding ADDR.  The
# page runs at every trampoline window's address, where the image's
# symbols say nothing: after a stop in a callback's target, `arbor-tramp
# $ra` (riscv64) or `arbor-tramp $x30` (aarch64) makes `bt` walk through
# the stub into the caller.  The windows are 32 KiB, aligned to 32 KiB.
define arbor-tramp
  eval "add-symbol-file %s -s .text.tramp 0x%lx", $arbor_tramp_o, ((unsigned long)($arg0)) & ~0x7fffUL
end
document arbor-tramp
Load the trampoline page's symbols at the window holding ADDR (a trampoline,
or a return address into the stub): arbor-tramp ADDR.
end

# Symbols at the physical addresses the image runs at before the MMU is
# on (entry code, mm/boot/boot_mmu.c): a breakpoint on such a function
# then gets two locations, the physical one hit first.  A copy of the ELF
# under another name, so gdb keeps the two apart (unwind tables included).
define arbor-phys
  eval "add-symbol-file %s -o 0x%lx", $arbor_phys_elf, $arbor_load_pa - (unsigned long)&__image_start
end
document arbor-phys
Load the kernel's symbols again at its physical load address (pre-MMU code).
end
