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
	stp	q0, q1, [x10, #0x000]
	stp	q2, q3, [x10, #0x020]
	stp	q4, q5, [x10, #0x040]
	stp	q6, q7, [x10, #0x060]
	stp	q8, q9, [x10, #0x080]
	stp	q10, q11, [x10, #0x0a0]
	stp	q12, q13, [x10, #0x0c0]
	stp	q14, q15, [x10, #0x0e0]
	stp	q16, q17, [x10, #0x100]
	stp	q18, q19, [x10, #0x120]
	stp	q20, q21, [x10, #0x140]
	stp	q22, q23, [x10, #0x160]
	stp	q24, q25, [x10, #0x180]
	stp	q26, q27, [x10, #0x1a0]
	stp	q28, q29, [x10, #0x1c0]
	stp	q30, q31, [x10, #0x1e0]
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
	ldp	q0, q1, [x0, #0x000]
	ldp	q2, q3, [x0, #0x020]
	ldp	q4, q5, [x0, #0x040]
	ldp	q6, q7, [x0, #0x060]
	ldp	q8, q9, [x0, #0x080]
	ldp	q10, q11, [x0, #0x0a0]
	ldp	q12, q13, [x0, #0x0c0]
	ldp	q14, q15, [x0, #0x0e0]
	ldp	q16, q17, [x0, #0x100]
	ldp	q18, q19, [x0, #0x120]
	ldp	q20, q21, [x0, #0x140]
	ldp	q22, q23, [x0, #0x160]
	ldp	q24, q25, [x0, #0x180]
	ldp	q26, q27, [x0, #0x1a0]
	ldp	q28, q29, [x0, #0x1c0]
	ldp	q30, q31, [x0, #0x1e0]
	b	fp_user_loaded
	.size	fp_user_load, . - fp_user_load
