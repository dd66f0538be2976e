/* Frame-pointer backtraces with symbol names from the embedded table. */
#ifndef TRAP_BACKTRACE_H
#define TRAP_BACKTRACE_H

#include <stdint.h>

/*
 * Name of the function containing @addr and @addr's offset into it, or
 * NULL when @addr is outside the kernel's text.
 */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset);

/*
 * Walk the frame-pointer chain from @fp and store up to @max return
 * addresses in @pcs (the first being @pc when nonzero).  Stops at a null
 * or misaligned frame pointer or one that leaves the known stacks.
 * Returns how many were stored.
 */
int backtrace_collect(uintptr_t pc, uintptr_t fp, uintptr_t *pcs, int max);

/* Print a backtrace from @pc/@fp, one "#n addr name+off" line per frame. */
void backtrace_print(uintptr_t pc, uintptr_t fp);

/* Backtrace of the caller of this function. */
#define backtrace_here() backtrace_print(0, (uintptr_t)__builtin_frame_address(0))

#endif
