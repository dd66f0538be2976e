/*
 * aarch64 FP/SIMD state of user threads (see "FP/SIMD state" in
 * docs/architecture.md).  Trap entry saves no FP/SIMD register: the
 * kernel's C code is built with -mgeneral-regs-only, so a process
 * thread's q0-q31, FPSR and FPCR stay live in the registers while the
 * kernel serves its trap.  They are saved into the thread's user frame
 * (the frame at the top of its kernel stack) only when something else is
 * about to use the registers: a fiber switch, or kernel code that uses FP
 * on purpose (arch_fp_flush()).  The return to EL0 loads them back when
 * the registers no longer hold them (vectors.S, to_user).
 */
#include <arch/cpu.h>
#include <arch/trap_frame.h>

/* \op (stp, ldp) every q-register pair at \base (q0 first). */
	.macro	q_pairs op, base
	\op	q0, q1, [\base, #0x000]
	\op	q2, q3, [\base, #0x020]
	\op	q4, q5, [\base, #0x040]
	\op	q6, q7, [\base, #0x060]
	\op	q8, q9, [\base, #0x080]
	\op	q10, q11, [\base, #0x0a0]
	\op	q12, q13, [\base, #0x0c0]
	\op	q14, q15, [\base, #0x0e0]
	\op	q16, q17, [\base, #0x100]
	\op	q18, q19, [\base, #0x120]
	\op	q20, q21, [\base, #0x140]
	\op	q22, q23, [\base, #0x160]
	\op	q24, q25, [\base, #0x180]
	\op	q26, q27, [\base, #0x1a0]
	\op	q28, q29, [\base, #0x1c0]
	\op	q30, q31, [\base, #0x1e0]
	.endm

	.text
	.balign	4
/*
 * void arch_fp_flush(void): when this CPU's registers hold a user frame's
 * FP/SIMD state (struct cpu's fp_live), store it into that frame and
 * forget it.  Clobbers x9 and x10 only (arch_fiber_switch relies on it).
 */
	.globl	arch_fp_flush
	.type	arch_fp_flush, @function
arch_fp_flush:
	.cfi_startproc
	mrs	x9, tpidr_el1
	ldr	x10, [x9, #CPU_OFF_FP_LIVE]
	cbz	x10, 1f
	str	xzr, [x9, #CPU_OFF_FP_LIVE]
	mrs	x9, fpsr
	str	x9, [x10, #TF_FPSR]
	mrs	x9, fpcr
	str	x9, [x10, #TF_FPCR]
	add	x10, x10, #TF_Q(0)
	q_pairs	stp, x10
1:	ret
	.cfi_endproc
	.size	arch_fp_flush, . - arch_fp_flush

/*
 * Load the FP/SIMD state of the user frame at sp into the registers and
 * record it as live (struct cpu's fp_live = sp), then go on returning to
 * EL0 at fp_user_loaded.  Entered from to_user with x1 = this CPU's
 * struct cpu; x0 and x1 are free (reloaded from the frame after).
 */
	.globl	fp_user_load
	.type	fp_user_load, @function
fp_user_load:
	mov	x0, sp
	str	x0, [x1, #CPU_OFF_FP_LIVE]
	ldp	x0, x1, [sp, #TF_FPSR]
	msr	fpsr, x0
	msr	fpcr, x1
	add	x0, sp, #TF_Q(0)
	q_pairs	ldp, x0
	b	fp_user_loaded
	.size	fp_user_load, . - fp_user_load
