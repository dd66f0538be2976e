/*
 * For tests/exec/fiber.c: fill every callee-saved register with a
 * pattern, call fn(arg) @rounds times (fn switches fibers), then report
 * which registers lost their pattern.
 *
 * uint64_t fiber_test_regs(void (*fn)(void *), void *arg, uint64_t seed,
 *                          unsigned long rounds);
 * Returns 0, or a mask: bit n - 19 for x<n> (x19..x29), bit 16 + n - 8
 * for d<n> (d8..d15).  Register n of the pattern holds
 * seed + (n + 1) * PATTERN_STEP, in the order above.
 */
#define PATTERN_STEP 0x0123456789abcdef

#define F_X(n)    (((n) - 19) * 8)      /* x19..x30 */
#define F_D(n)    (96 + ((n) - 8) * 8)  /* d8..d15 */
#define F_FN      160
#define F_ARG     168
#define F_SEED    176
#define F_ROUNDS  184
#define F_SIZE    192

	/* x10 += step; \reg = x10 */
	.macro	FILL reg
	add	x10, x10, x9
	mov	\reg, x10
	.endm
	.macro	FILLF reg
	add	x10, x10, x9
	fmov	\reg, x10
	.endm
	/* x10 += step; x0 |= 1 << bit unless \reg == x10 */
	.macro	CHECK reg, bit
	add	x10, x10, x9
	cmp	\reg, x10
	b.eq	1f
	orr	x0, x0, #(1 << \bit)
1:
	.endm
	.macro	CHECKF reg, bit
	fmov	x11, \reg
	add	x10, x10, x9
	cmp	x11, x10
	b.eq	1f
	orr	x0, x0, #(1 << \bit)
1:
	.endm

	.cfi_sections .debug_frame
	.text
	.balign	4
	.globl	fiber_test_regs
	.type	fiber_test_regs, @function
fiber_test_regs:
	.cfi_startproc
	sub	sp, sp, #F_SIZE
	.cfi_def_cfa_offset F_SIZE
	stp	x19, x20, [sp, #F_X(19)]
	stp	x21, x22, [sp, #F_X(21)]
	stp	x23, x24, [sp, #F_X(23)]
	stp	x25, x26, [sp, #F_X(25)]
	stp	x27, x28, [sp, #F_X(27)]
	stp	x29, x30, [sp, #F_X(29)]
	.cfi_rel_offset x29, F_X(29)
	.cfi_rel_offset x30, F_X(30)
	stp	d8, d9, [sp, #F_D(8)]
	stp	d10, d11, [sp, #F_D(10)]
	stp	d12, d13, [sp, #F_D(12)]
	stp	d14, d15, [sp, #F_D(14)]
	stp	x0, x1, [sp, #F_FN]
	stp	x2, x3, [sp, #F_SEED]

	ldr	x9, =PATTERN_STEP
	mov	x10, x2
	FILL x19; FILL x20; FILL x21; FILL x22; FILL x23; FILL x24
	FILL x25; FILL x26; FILL x27; FILL x28; FILL x29
	FILLF d8; FILLF d9; FILLF d10; FILLF d11
	FILLF d12; FILLF d13; FILLF d14; FILLF d15

2:	ldp	x9, x0, [sp, #F_FN]
	blr	x9
	ldr	x9, [sp, #F_ROUNDS]
	subs	x9, x9, #1
	str	x9, [sp, #F_ROUNDS]
	b.ne	2b

	mov	x0, #0
	ldr	x9, =PATTERN_STEP
	ldr	x10, [sp, #F_SEED]
	CHECK x19, 0; CHECK x20, 1; CHECK x21, 2; CHECK x22, 3
	CHECK x23, 4; CHECK x24, 5; CHECK x25, 6; CHECK x26, 7
	CHECK x27, 8; CHECK x28, 9; CHECK x29, 10
	CHECKF d8, 16;  CHECKF d9, 17;  CHECKF d10, 18; CHECKF d11, 19
	CHECKF d12, 20; CHECKF d13, 21; CHECKF d14, 22; CHECKF d15, 23

	ldp	x19, x20, [sp, #F_X(19)]
	ldp	x21, x22, [sp, #F_X(21)]
	ldp	x23, x24, [sp, #F_X(23)]
	ldp	x25, x26, [sp, #F_X(25)]
	ldp	x27, x28, [sp, #F_X(27)]
	ldp	x29, x30, [sp, #F_X(29)]
	ldp	d8, d9, [sp, #F_D(8)]
	ldp	d10, d11, [sp, #F_D(10)]
	ldp	d12, d13, [sp, #F_D(12)]
	ldp	d14, d15, [sp, #F_D(14)]
	add	sp, sp, #F_SIZE
	.cfi_def_cfa_offset 0
	ret
	.cfi_endproc
	.size	fiber_test_regs, . - fiber_test_regs
	.ltorg
