/*
 * User mode (U-mode on riscv64, EL0 on aarch64): entering it, and the
 * registers of a system call.
 *
 * A process thread is a kernel fiber.  It enters user mode once, through
 * a trap frame it built near the top of its kernel stack; from then on
 * every trap from user mode saves its frame at that same place (the
 * arch keeps where on each return: riscv64 in sscratch, aarch64 in SP_EL1),
 * is handled on that stack, and returns to user mode by restoring it.
 * Traps from user mode reach trap_dispatch() like the kernel's, with
 * arch_frame_from_user() true, except system calls, which the arch hands
 * straight to trap_syscall(); the kernel's hooks for them are in
 * <arch/trap.h>.
 *
 * System calls follow Linux's generic ABI, the same on both arches
 * (asm-generic/unistd.h numbers; riscv64: number in a7, arguments in
 * a0-a5, result in a0, `ecall`; arm64: x8, x0-x5, x0, `svc #0`).
 */
#ifndef ARCH_USER_H
#define ARCH_USER_H

#include <stdint.h>
#include <arch/trap_frame.h>

struct trap_frame;

/*
 * Fill @tf so that entering user mode through it starts at @pc with the
 * stack pointer @sp, every other register zero, interrupts enabled and
 * floating point usable.
 */
void arch_user_frame_init(struct trap_frame *tf, uintptr_t pc, uintptr_t sp);

/*
 * Enter user mode through @tf (interrupts are masked first).  @tf must
 * lie at the top of the running fiber's stack, with nothing of the
 * caller's above it that it still needs: the caller's frames are
 * abandoned.  Never returns.
 */
void arch_user_enter(struct trap_frame *tf) __attribute__((noreturn));

/*
 * A process thread's FP/SIMD registers are not saved by trap entry: they
 * stay live while the kernel serves its trap (kernel C code does not use
 * them) and are stored into its user frame at the next fiber switch.
 * arch_fp_flush() stores them now, when this CPU's registers hold a user
 * frame's state: call it before kernel code uses FP registers on a
 * process thread, or before reading or copying a user frame's FP state
 * (fork copies the frame).  The return to user mode loads them back.
 * Interrupts must be masked or the caller on the thread that owns them.
 */
void arch_fp_flush(void);

/*
 * The system call in a frame from user mode, inline in <arch/trap_frame.h>:
 *   unsigned long arch_syscall_nr(tf)              its number
 *   const unsigned long *arch_syscall_args(tf)     its arguments 0-5, in place
 *   void arch_syscall_return(tf, result)           store the result (a fork
 *                                                  child's: the pc is past the
 *                                                  call already)
 */

#endif
