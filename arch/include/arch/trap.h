/*
 * Arch-neutral view of a trap: what the arch's trap handler hands up.
 * The arch decodes its cause registers into a trap_info and passes both
 * to trap_dispatch().  The functions below are implemented by the kernel
 * (kernel/trap/trap.c), not by the arch: they are declared here, at the
 * boundary, so the arch calls up through this header and never includes
 * a kernel/ header.
 */
#ifndef ARCH_TRAP_H
#define ARCH_TRAP_H

#include <stdint.h>

struct trap_frame;

enum trap_kind {
	TRAP_BREAKPOINT,
	TRAP_ILLEGAL,        /* undefined / illegal instruction */
	TRAP_PAGE_FAULT,     /* translation or permission fault */
	TRAP_ALIGNMENT,
	TRAP_ACCESS,         /* bus error, PMP/external abort */
	TRAP_SYSCALL,
	TRAP_INTERRUPT,
	TRAP_OTHER,
};

enum trap_access { ACCESS_NONE, ACCESS_READ, ACCESS_WRITE, ACCESS_EXEC };

struct trap_info {
	enum trap_kind kind;
	enum trap_access access;
	const char *desc;     /* the cause in words, from the arch */
	uintptr_t pc;         /* where it happened */
	uintptr_t addr;       /* faulting address (stval / FAR), if any */
	uint64_t cause;       /* raw cause (scause / ESR) for reports */
};

/*
 * Called by the arch handler for every trap it does not handle itself.
 * Returns when the trap was handled (the frame may have been changed to
 * resume elsewhere).  An unexpected trap in kernel mode is reported and
 * either ends the running self-test case or stops the machine with a
 * failure status; from user mode (arch_frame_from_user()), system calls
 * and faults go to the process code, which may end the process instead
 * of returning.
 */
void trap_dispatch(struct trap_frame *tf, const struct trap_info *ti);

/*
 * What trap_dispatch() does for a trap from user mode, called by the
 * arch handler directly when it knows the trap came from there: a fault
 * the dispatcher resolves (the process goes back to user mode), or the
 * end of the process with the signal Linux would send it.
 */
void trap_user(struct trap_frame *tf, const struct trap_info *ti);

/*
 * Called by the arch handler after it handled an interrupt (a tick, an
 * IPI) taken in user mode, just before returning there: the kernel may
 * run other fibers first (preemption of user programs).
 */
void trap_user_irq(struct trap_frame *tf);

/*
 * Called by trap entry for a system call from user mode (riscv64 ecall
 * from U-mode, aarch64 SVC from EL0), first thing, before any decoding:
 * the frame holds the call (<arch/user.h>), its pc already past the
 * calling instruction.  Returns the result, which trap entry puts into
 * the result register on the way back to user mode.  The fast path of
 * every system call; it may end the process instead of returning.
 */
long trap_syscall(struct trap_frame *tf);

/*
 * Arm a one-shot catcher for the next trap of @kind: when it comes, it is
 * recorded and execution resumes after the trapping instruction (after an
 * execute fault, at the caller's return address: the target itself could
 * not be fetched).  For tests of the trap path and probes.  trap_caught() returns 1 and fills @out when the
 * armed trap happened (and disarms), 0 otherwise.
 */
void trap_expect(enum trap_kind kind);
int trap_caught(struct trap_info *out);

const char *trap_kind_str(enum trap_kind kind);

#endif
