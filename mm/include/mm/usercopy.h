/*
 * Copies between the kernel and the current user address space.  They run
 * in kernel mode with user access opened (riscv64 sstatus.SUM), fault
 * missing pages in through the fault dispatcher like a user access would,
 * and return E_FAULT for an unmapped or forbidden address, or one outside
 * the user half, instead of crashing: the copy loop's loads and stores
 * are listed in an exception table (section "ex_table") that the trap
 * handler consults when a fault cannot be resolved.
 */
#ifndef MM_USERCOPY_H
#define MM_USERCOPY_H

#include <stddef.h>
#include <stdint.h>

/* Copy @n bytes from user @usrc to @dst.  E_OK or E_FAULT (some may have been copied). */
int copy_from_user(void *dst, uintptr_t usrc, size_t n);

/* Copy @n bytes from @src to user @udst.  E_OK or E_FAULT. */
int copy_to_user(uintptr_t udst, const void *src, size_t n);

/*
 * Copy a NUL-terminated string of at most @n bytes (the NUL included)
 * from user @usrc to @dst.  Returns its length (without the NUL), E_FAULT,
 * or E_RANGE when no NUL came within @n bytes (dst then holds n - 1 bytes
 * and a NUL).  @n must be at least 1.
 */
long strncpy_from_user(char *dst, uintptr_t usrc, size_t n);

/* One exception-table entry: a faulting instruction and where to resume. */
struct ex_entry {
	uintptr_t insn;
	uintptr_t fixup;
};

/* The fixup for a fault at @pc, or 0. */
uintptr_t ex_table_fixup(uintptr_t pc);

/*
 * Arch copy loops, one per direction (aarch64 uses unprivileged accesses
 * on the user side): return how many bytes were NOT copied (0 on
 * success); a fault they cannot survive resumes at their fixup, which
 * returns the rest.
 */
size_t arch_copy_from_user(void *dst, const void *usrc, size_t n);
size_t arch_copy_to_user(void *udst, const void *src, size_t n);

#endif
