/*
 * Page clear and copy for aarch64.  Clearing uses DC ZVA, which zeroes
 * one block of 4 << DCZID_EL0.BS bytes per instruction (Arm ARM D19,
 * DCZID_EL0), unless DCZID_EL0.DZP prohibits it; copying moves 64 bytes
 * per iteration with LDP/STP of q-register pairs.
 */
	.cfi_sections .debug_frame
	.text
	.globl arch_clear_page
	.balign 16
	.type	arch_clear_page, @function
arch_clear_page:			/* x0 = page */
	.cfi_startproc
	mrs	x1, dczid_el0
	tbnz	x1, #4, 2f		/* DZP: DC ZVA prohibited */
	and	w1, w1, #0xf
	mov	x2, #4
	lsl	x2, x2, x1		/* block size in bytes */
	add	x3, x0, #4096
1:	dc	zva, x0
	add	x0, x0, x2
	cmp	x0, x3
	b.ne	1b
	ret
2:	add	x3, x0, #4096
3:	stp	xzr, xzr, [x0]
	stp	xzr, xzr, [x0, #16]
	stp	xzr, xzr, [x0, #32]
	stp	xzr, xzr, [x0, #48]
	add	x0, x0, #64
	cmp	x0, x3
	b.ne	3b
	ret
	.cfi_endproc
	.size	arch_clear_page, . - arch_clear_page

	.globl arch_copy_page
	.balign 16
	.type	arch_copy_page, @function
arch_copy_page:				/* x0 = dst, x1 = src */
	.cfi_startproc
	/* q0-q3 may hold a user thread's state (the kernel runs without
	 * saving it, fp_state.S): kept on the stack around the copy. */
	stp	q0, q1, [sp, #-64]!
	.cfi_adjust_cfa_offset 64
	stp	q2, q3, [sp, #32]
	add	x3, x0, #4096
1:	ldp	q0, q1, [x1]
	ldp	q2, q3, [x1, #32]
	stp	q0, q1, [x0]
	stp	q2, q3, [x0, #32]
	add	x1, x1, #64
	add	x0, x0, #64
	cmp	x0, x3
	b.ne	1b
	ldp	q2, q3, [sp, #32]
	ldp	q0, q1, [sp], #64
	.cfi_adjust_cfa_offset -64
	ret
	.cfi_endproc
	.size	arch_copy_page, . - arch_copy_page
