/* The register frame aarch64 exception entry saves (arch/aarch64/vectors.S). */
#ifndef ARCH_TRAP_FRAME_H
#define ARCH_TRAP_FRAME_H

#define TF_X(n)    ((n) * 8)     /* x0..x30 */
#define TF_SP      (31 * 8)
#define TF_ELR     (32 * 8)
#define TF_SPSR    (33 * 8)
#define TF_ESR     (34 * 8)
#define TF_FAR     (35 * 8)
#define TF_FPSR    (36 * 8)
#define TF_FPCR    (37 * 8)
#define TF_TPIDR0  (38 * 8)              /* the user's TPIDR_EL0 (traps from EL0) */
#define TF_Q(n)    (40 * 8 + (n) * 16)   /* q0..q31 */
#define TF_SIZE    (40 * 8 + 32 * 16)    /* multiple of 16 */

#ifndef __ASSEMBLY__
#include <stdint.h>

struct trap_frame {
	uint64_t x[31];
	uint64_t sp;
	uint64_t elr;
	uint64_t spsr;
	uint64_t esr;
	uint64_t far;
	/* The user's FP/SIMD state (frames from EL0 only), valid while it is
	 * not live in the registers (struct cpu's fp_live, fp_state.S):
	 * trap entry saves no FP register. */
	uint64_t fpsr;
	uint64_t fpcr;
	uint64_t tpidr_el0;  /* from EL0 only: the user's thread pointer */
	uint64_t pad;
	__uint128_t q[32];
};

_Static_assert(sizeof(struct trap_frame) == TF_SIZE, "trap frame layout");

/* The system call in a frame from EL0 (<arch/user.h>): number in x8,
 * arguments in x0-x5, the result in x0; ELR_EL1 already points after
 * the SVC. */
static inline unsigned long arch_syscall_nr(const struct trap_frame *tf)
{
	return tf->x[8];
}

static inline const unsigned long *arch_syscall_args(const struct trap_frame *tf)
{
	return (const unsigned long *)&tf->x[0];
}

static inline void arch_syscall_return(struct trap_frame *tf, unsigned long result)
{
	tf->x[0] = result;
}
#endif

#endif
