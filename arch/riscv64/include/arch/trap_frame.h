/* The register frame riscv64 trap entry saves (arch/riscv64/trap_entry.S). */
#ifndef ARCH_TRAP_FRAME_H
#define ARCH_TRAP_FRAME_H

/* Byte offsets, shared with the assembly. */
#define TF_PC       0            /* sepc, in the slot of x0 */
#define TF_X(n)     ((n) * 8)    /* x1..x31 */
#define TF_SSTATUS  (32 * 8)
#define TF_SCAUSE   (33 * 8)
#define TF_STVAL    (34 * 8)
#define TF_FCSR     (35 * 8)
#define TF_F(i)     ((36 + (i)) * 8)   /* f0..f31 */
#define TF_KTP      (68 * 8)           /* the kernel's tp (frames from user mode) */
#define TF_SIZE     (70 * 8)           /* multiple of 16 */

#ifndef __ASSEMBLY__
#include <stdint.h>

struct trap_frame {
	uint64_t x[32];        /* x[0] holds sepc; x[2] the sp before the trap */
	uint64_t sstatus;
	uint64_t scause;
	uint64_t stval;
	/* The user's FP state (frames from user mode only), valid while it is
	 * not live in the registers (struct cpu's fp_live, fp_state.S):
	 * trap entry saves no FP register. */
	uint64_t fcsr;
	uint64_t f[32];
	/* The kernel's tp, written by the return to user mode: trap entry
	 * from user mode finds it here (sscratch points at the frame). */
	uint64_t ktp;
	uint64_t pad;
};

_Static_assert(sizeof(struct trap_frame) == TF_SIZE, "trap frame layout");

/* The system call in a frame from user mode (<arch/user.h>): number in
 * a7, arguments in a0-a5 (x10-x15), the result in a0. */
static inline unsigned long arch_syscall_nr(const struct trap_frame *tf)
{
	return tf->x[17];
}

static inline const unsigned long *arch_syscall_args(const struct trap_frame *tf)
{
	return (const unsigned long *)&tf->x[10];
}

/* Trap entry moved the pc past the ecall already (trap_entry.S). */
static inline void arch_syscall_return(struct trap_frame *tf, unsigned long result)
{
	tf->x[10] = result;
}
#endif

#endif
