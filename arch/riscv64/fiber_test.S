/*
 * For tests/exec/fiber.c: fill every callee-saved register with a
 * pattern, call fn(arg) @rounds times (fn switches fibers), then report
 * which registers lost their pattern.
 *
 * uint64_t fiber_test_regs(void (*fn)(void *), void *arg, uint64_t seed,
 *                          unsigned long rounds);
 * Returns 0, or a mask: bit i for s<i> (i = 0..11), bit 16 + i for fs<i>.
 * Register n of the pattern holds seed + (n + 1) * PATTERN_STEP.
 */
#define PATTERN_STEP 0x0123456789abcdefULL

#define F_RA      0
#define F_S(n)    (8 + (n) * 8)
#define F_FS(n)   (104 + (n) * 8)
#define F_FN      200
#define F_ARG     208
#define F_SEED    216
#define F_ROUNDS  224
#define F_SIZE    240

	/* t0 += step; \reg = t0 */
	.macro	FILL reg
	add	t0, t0, t1
	mv	\reg, t0
	.endm
	.macro	FILLF reg
	add	t0, t0, t1
	fmv.d.x	\reg, t0
	.endm
	/* t0 += step; a0 |= 1 << bit unless \reg == t0 */
	.macro	CHECK reg, bit
	add	t0, t0, t1
	beq	\reg, t0, 1f
	li	t2, 1
	slli	t2, t2, \bit
	or	a0, a0, t2
1:
	.endm
	.macro	CHECKF reg, bit
	fmv.x.d	t3, \reg
	add	t0, t0, t1
	beq	t3, t0, 1f
	li	t2, 1
	slli	t2, t2, \bit
	or	a0, a0, t2
1:
	.endm

	.cfi_sections .debug_frame
	.text
	.balign	4
	.globl	fiber_test_regs
	.type	fiber_test_regs, @function
fiber_test_regs:
	.cfi_startproc
	addi	sp, sp, -F_SIZE
	.cfi_def_cfa_offset F_SIZE
	sd	ra, F_RA(sp)
	.cfi_rel_offset ra, F_RA
	sd	s0, F_S(0)(sp);   sd s1, F_S(1)(sp);   sd s2, F_S(2)(sp)
	sd	s3, F_S(3)(sp);   sd s4, F_S(4)(sp);   sd s5, F_S(5)(sp)
	sd	s6, F_S(6)(sp);   sd s7, F_S(7)(sp);   sd s8, F_S(8)(sp)
	sd	s9, F_S(9)(sp);   sd s10, F_S(10)(sp); sd s11, F_S(11)(sp)
	fsd	fs0, F_FS(0)(sp); fsd fs1, F_FS(1)(sp); fsd fs2, F_FS(2)(sp)
	fsd	fs3, F_FS(3)(sp); fsd fs4, F_FS(4)(sp); fsd fs5, F_FS(5)(sp)
	fsd	fs6, F_FS(6)(sp); fsd fs7, F_FS(7)(sp); fsd fs8, F_FS(8)(sp)
	fsd	fs9, F_FS(9)(sp); fsd fs10, F_FS(10)(sp); fsd fs11, F_FS(11)(sp)
	sd	a0, F_FN(sp)
	sd	a1, F_ARG(sp)
	sd	a2, F_SEED(sp)
	sd	a3, F_ROUNDS(sp)

	li	t1, PATTERN_STEP
	mv	t0, a2
	FILL s0;  FILL s1;  FILL s2;  FILL s3;  FILL s4;  FILL s5
	FILL s6;  FILL s7;  FILL s8;  FILL s9;  FILL s10; FILL s11
	FILLF fs0; FILLF fs1; FILLF fs2; FILLF fs3; FILLF fs4;  FILLF fs5
	FILLF fs6; FILLF fs7; FILLF fs8; FILLF fs9; FILLF fs10; FILLF fs11

2:	ld	a0, F_ARG(sp)
	ld	t0, F_FN(sp)
	jalr	t0
	ld	t0, F_ROUNDS(sp)
	addi	t0, t0, -1
	sd	t0, F_ROUNDS(sp)
	bnez	t0, 2b

	li	a0, 0
	li	t1, PATTERN_STEP
	ld	t0, F_SEED(sp)
	CHECK s0, 0;  CHECK s1, 1;  CHECK s2, 2;   CHECK s3, 3
	CHECK s4, 4;  CHECK s5, 5;  CHECK s6, 6;   CHECK s7, 7
	CHECK s8, 8;  CHECK s9, 9;  CHECK s10, 10; CHECK s11, 11
	CHECKF fs0, 16; CHECKF fs1, 17; CHECKF fs2, 18;  CHECKF fs3, 19
	CHECKF fs4, 20; CHECKF fs5, 21; CHECKF fs6, 22;  CHECKF fs7, 23
	CHECKF fs8, 24; CHECKF fs9, 25; CHECKF fs10, 26; CHECKF fs11, 27

	ld	ra, F_RA(sp)
	ld	s0, F_S(0)(sp);   ld s1, F_S(1)(sp);   ld s2, F_S(2)(sp)
	ld	s3, F_S(3)(sp);   ld s4, F_S(4)(sp);   ld s5, F_S(5)(sp)
	ld	s6, F_S(6)(sp);   ld s7, F_S(7)(sp);   ld s8, F_S(8)(sp)
	ld	s9, F_S(9)(sp);   ld s10, F_S(10)(sp); ld s11, F_S(11)(sp)
	fld	fs0, F_FS(0)(sp); fld fs1, F_FS(1)(sp); fld fs2, F_FS(2)(sp)
	fld	fs3, F_FS(3)(sp); fld fs4, F_FS(4)(sp); fld fs5, F_FS(5)(sp)
	fld	fs6, F_FS(6)(sp); fld fs7, F_FS(7)(sp); fld fs8, F_FS(8)(sp)
	fld	fs9, F_FS(9)(sp); fld fs10, F_FS(10)(sp); fld fs11, F_FS(11)(sp)
	addi	sp, sp, F_SIZE
	.cfi_def_cfa_offset 0
	ret
	.cfi_endproc
	.size	fiber_test_regs, . - fiber_test_regs
