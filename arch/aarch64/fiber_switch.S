/*
 * aarch64 fiber switch (see arch_fiber_switch() in arch/arch.h).
 *
 * Only what AAPCS64 says a callee must preserve is saved: x19-x29, x30
 * (the return address), sp and the low 64 bits of v8-v15, d8-d15 (AAPCS64
 * 6.1.1 and 6.1.2); everything else is dead across the call that
 * switches.  The saved registers go on the outgoing stack, so a fiber's
 * whole saved context is one stack pointer.
 *
 * The switch also installs the incoming fiber's stack limit in this CPU's
 * struct cpu (TPIDR_EL1 points at it, <arch/cpu.h>), where the exception
 * vectors compare sp against it (vectors.S).
 */
#include <arch/cpu.h>

#define SW_X(n)     (((n) - 19) * 8)    /* x19..x30 at 0..88 */
#define SW_D(n)     (96 + ((n) - 8) * 8)   /* d8..d15 at 96..152 */
#define SW_SIZE     160

	.text
	.balign	4
	.globl	arch_fiber_switch
arch_fiber_switch:
	/* The incoming fiber's link: a frame record of our caller. */
	stp	x29, x30, [x3]

	sub	sp, sp, #SW_SIZE
	stp	x19, x20, [sp, #SW_X(19)]
	stp	x21, x22, [sp, #SW_X(21)]
	stp	x23, x24, [sp, #SW_X(23)]
	stp	x25, x26, [sp, #SW_X(25)]
	stp	x27, x28, [sp, #SW_X(27)]
	stp	x29, x30, [sp, #SW_X(29)]
	stp	d8, d9, [sp, #SW_D(8)]
	stp	d10, d11, [sp, #SW_D(10)]
	stp	d12, d13, [sp, #SW_D(12)]
	stp	d14, d15, [sp, #SW_D(14)]
	mov	x9, sp
	str	x9, [x0]

	mov	sp, x1
	ldp	x19, x20, [sp, #SW_X(19)]
	ldp	x21, x22, [sp, #SW_X(21)]
	ldp	x23, x24, [sp, #SW_X(23)]
	ldp	x25, x26, [sp, #SW_X(25)]
	ldp	x27, x28, [sp, #SW_X(27)]
	ldp	x29, x30, [sp, #SW_X(29)]
	ldp	d8, d9, [sp, #SW_D(8)]
	ldp	d10, d11, [sp, #SW_D(10)]
	ldp	d12, d13, [sp, #SW_D(12)]
	ldp	d14, d15, [sp, #SW_D(14)]
	add	sp, sp, #SW_SIZE

	mrs	x9, tpidr_el1
	str	x2, [x9, #CPU_OFF_STACK_LIMIT]
	ret

	.globl	arch_set_stack_limit
arch_set_stack_limit:
	mrs	x9, tpidr_el1
	str	x0, [x9, #CPU_OFF_STACK_LIMIT]
	ret

/*
 * x0 = top of a fresh stack, x1 = start function.  The saved frame makes
 * the first switch return into arch_fiber_entry with x29 = top - 16 (the
 * link record, where the frame chain ends) and x19 = start.
 */
	.globl	arch_fiber_stack_init
arch_fiber_stack_init:
	stp	xzr, xzr, [x0, #-16]
	sub	x2, x0, #(16 + SW_SIZE)
	mov	x3, x2
1:	stp	xzr, xzr, [x3], #16
	cmp	x3, x0
	b.lo	1b
	adrp	x3, arch_fiber_entry
	add	x3, x3, :lo12:arch_fiber_entry
	sub	x4, x0, #16
	stp	x4, x3, [x2, #SW_X(29)]
	str	x1, [x2, #SW_X(19)]
	mov	x0, x2
	ret

/* A fiber's first instruction.  start() never returns. */
arch_fiber_entry:
	blr	x19
	brk	#0
