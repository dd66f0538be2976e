/*
 * riscv64 fiber switch (see arch_fiber_switch() in arch/arch.h).
 *
 * Only what the calling convention says a callee must preserve is saved:
 * ra, sp, s0-s11 and fs0-fs11 (RISC-V psABI, "Integer Register Convention"
 * and "Floating-point Register Convention"); everything else is dead
 * across the call that switches.  The saved registers go on the outgoing
 * stack, so a fiber's whole saved context is one stack pointer.
 *
 * The switch also installs the incoming fiber's stack limit in sscratch,
 * where trap entry compares sp against it (trap_entry.S), and in this
 * CPU's struct cpu (found from tp, <arch/cpu.h>), the copy trap entry
 * restores sscratch from after it borrowed the register.
 */
#include <arch/cpu.h>

#define SW_RA       0
#define SW_S(n)     (8 + (n) * 8)       /* s0..s11 */
#define SW_FS(n)    (104 + (n) * 8)     /* fs0..fs11 */
#define SW_SIZE     208                 /* 25 registers, rounded to 16 */

	.text
	.balign 4
	.globl	arch_fiber_switch
arch_fiber_switch:
	/* The incoming fiber's link: a frame record of our caller. */
	sd	s0, 0(a3)
	sd	ra, 8(a3)

	addi	sp, sp, -SW_SIZE
	sd	ra, SW_RA(sp)
	sd	s0, SW_S(0)(sp);   sd s1, SW_S(1)(sp);   sd s2, SW_S(2)(sp)
	sd	s3, SW_S(3)(sp);   sd s4, SW_S(4)(sp);   sd s5, SW_S(5)(sp)
	sd	s6, SW_S(6)(sp);   sd s7, SW_S(7)(sp);   sd s8, SW_S(8)(sp)
	sd	s9, SW_S(9)(sp);   sd s10, SW_S(10)(sp); sd s11, SW_S(11)(sp)
	fsd	fs0, SW_FS(0)(sp); fsd fs1, SW_FS(1)(sp); fsd fs2, SW_FS(2)(sp)
	fsd	fs3, SW_FS(3)(sp); fsd fs4, SW_FS(4)(sp); fsd fs5, SW_FS(5)(sp)
	fsd	fs6, SW_FS(6)(sp); fsd fs7, SW_FS(7)(sp); fsd fs8, SW_FS(8)(sp)
	fsd	fs9, SW_FS(9)(sp); fsd fs10, SW_FS(10)(sp); fsd fs11, SW_FS(11)(sp)
	sd	sp, 0(a0)

	mv	sp, a1
	ld	ra, SW_RA(sp)
	ld	s0, SW_S(0)(sp);   ld s1, SW_S(1)(sp);   ld s2, SW_S(2)(sp)
	ld	s3, SW_S(3)(sp);   ld s4, SW_S(4)(sp);   ld s5, SW_S(5)(sp)
	ld	s6, SW_S(6)(sp);   ld s7, SW_S(7)(sp);   ld s8, SW_S(8)(sp)
	ld	s9, SW_S(9)(sp);   ld s10, SW_S(10)(sp); ld s11, SW_S(11)(sp)
	fld	fs0, SW_FS(0)(sp); fld fs1, SW_FS(1)(sp); fld fs2, SW_FS(2)(sp)
	fld	fs3, SW_FS(3)(sp); fld fs4, SW_FS(4)(sp); fld fs5, SW_FS(5)(sp)
	fld	fs6, SW_FS(6)(sp); fld fs7, SW_FS(7)(sp); fld fs8, SW_FS(8)(sp)
	fld	fs9, SW_FS(9)(sp); fld fs10, SW_FS(10)(sp); fld fs11, SW_FS(11)(sp)
	addi	sp, sp, SW_SIZE

	csrw	sscratch, a2
	sd	a2, (CPU_OFF_STACK_LIMIT - CPU_OFF_TLS)(tp)
	ret

	.globl	arch_set_stack_limit
arch_set_stack_limit:
	csrw	sscratch, a0
	sd	a0, (CPU_OFF_STACK_LIMIT - CPU_OFF_TLS)(tp)
	ret

/*
 * a0 = top of a fresh stack, a1 = start function.  The saved frame makes
 * the first switch "return" into arch_fiber_entry with s0 = top (so the
 * frame chain reaches the link record at top - 16) and s1 = start.
 */
	.globl	arch_fiber_stack_init
arch_fiber_stack_init:
	sd	zero, -16(a0)
	sd	zero, -8(a0)
	addi	t0, a0, -(16 + SW_SIZE)
	mv	t1, t0
1:	sd	zero, 0(t1)
	addi	t1, t1, 8
	bltu	t1, a0, 1b
	lla	t1, arch_fiber_entry
	sd	t1, SW_RA(t0)
	sd	a0, SW_S(0)(t0)
	sd	a1, SW_S(1)(t0)
	mv	a0, t0
	ret

/* A fiber's first instruction.  start() never returns. */
arch_fiber_entry:
	jalr	s1
	ebreak
