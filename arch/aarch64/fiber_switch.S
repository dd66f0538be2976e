/*
 * aarch64 fiber switch and calls on another stack (see arch_fiber_switch()
 * and arch_stack_call() in arch/arch.h).
 *
 * Only what AAPCS64 says a callee must preserve is saved: x19-x29, x30
 * (the return address), sp and the low 64 bits of v8-v15, d8-d15 (AAPCS64
 * 6.1.1 and 6.1.2); everything else is dead across the call that
 * switches.  The saved registers go on the outgoing stack, so a fiber's
 * whole saved context is one stack pointer.
 *
 * A process thread's user FP/SIMD state, live in the registers while
 * the kernel serves its traps, is stored into its user frame first
 * (arch_fp_flush(), fp_state.S); its return to EL0 loads it back.
 *
 * The switch also installs the incoming fiber's stack limit in this CPU's
 * struct cpu (TPIDR_EL1 points at it, <arch/cpu.h>), where the exception
 * vectors compare sp against it (vectors.S).
 *
 * Unwinding.  A fiber's link (the frame record at the top of its stack,
 * and the caller's sp in the word below it) describes the code that last
 * switched into it.  arch_fiber_entry's CFI reads it, so a debugger walks
 * from a fiber into that code as the frame-pointer walk does (GCC's CFI
 * for AArch64 computes a caller's frame from sp, hence the saved sp); it
 * and arch_stack_call are marked as signal frames, because the frames
 * beyond them lie on another stack, at any address (gdb refuses a caller
 * frame below its callee otherwise: "previous frame inner to this
 * frame").  An empty link holds arch_fiber_origin as its return address,
 * a routine whose CFI says there is no caller: the chain ends there.
 * DWARF register numbers: x29 29, x30 30, sp 31; DW_OP_breg29 is 0x8d.
 */
#include <arch/cpu.h>

	.cfi_sections .debug_frame	/* with the C code's CFI: not loaded, for debuggers */

#define SW_X(n)     (((n) - 19) * 8)    /* x19..x30 at 0..88 */
#define SW_D(n)     (96 + ((n) - 8) * 8)   /* d8..d15 at 96..152 */
#define SW_SIZE     160
#define LINK_SIZE   32                  /* {0, sp} then the record {x29, x30} */

	.text
	.balign	4
	.globl	arch_fiber_switch
	.type	arch_fiber_switch, @function
arch_fiber_switch:
	.cfi_startproc
	/* The incoming fiber's link: a frame record of our caller, and its sp. */
	stp	x29, x30, [x3]
	mov	x9, sp
	str	x9, [x3, #-8]

	sub	sp, sp, #SW_SIZE
	.cfi_adjust_cfa_offset SW_SIZE
	stp	x19, x20, [sp, #SW_X(19)]
	stp	x21, x22, [sp, #SW_X(21)]
	stp	x23, x24, [sp, #SW_X(23)]
	stp	x25, x26, [sp, #SW_X(25)]
	stp	x27, x28, [sp, #SW_X(27)]
	stp	x29, x30, [sp, #SW_X(29)]
	.cfi_rel_offset x29, SW_X(29)
	.cfi_rel_offset x30, SW_X(30)
	stp	d8, d9, [sp, #SW_D(8)]
	stp	d10, d11, [sp, #SW_D(10)]
	stp	d12, d13, [sp, #SW_D(12)]
	stp	d14, d15, [sp, #SW_D(14)]
	bl	arch_fp_flush			/* a user thread's FP state, into its frame */
	mov	x9, sp
	str	x9, [x0]

	/* From here the registers are the other fiber's, saved the same way
	 * on its stack: the same rules describe its caller. */
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
	.cfi_adjust_cfa_offset -SW_SIZE
	.cfi_restore x29
	.cfi_restore x30

	mrs	x9, tpidr_el1
	str	x2, [x9, #CPU_OFF_STACK_LIMIT]
	ret
	.cfi_endproc
	.size	arch_fiber_switch, . - arch_fiber_switch

	.globl	arch_set_stack_limit
	.type	arch_set_stack_limit, @function
arch_set_stack_limit:
	.cfi_startproc
	mrs	x9, tpidr_el1
	str	x0, [x9, #CPU_OFF_STACK_LIMIT]
	ret
	.cfi_endproc
	.size	arch_set_stack_limit, . - arch_set_stack_limit

/*
 * x0 = top of a fresh stack, x1 = start function.  The saved frame makes
 * the first switch return into arch_fiber_entry with x29 = top - 16 (the
 * link record, where the frame chain ends) and x19 = start.  The link
 * starts empty: {0, arch_fiber_origin}, sp 0.
 */
	.globl	arch_fiber_stack_init
	.type	arch_fiber_stack_init, @function
arch_fiber_stack_init:
	.cfi_startproc
	sub	x2, x0, #(LINK_SIZE + SW_SIZE)
	mov	x3, x2
1:	stp	xzr, xzr, [x3], #16
	cmp	x3, x0
	b.lo	1b
	adrp	x3, arch_fiber_origin_ra
	add	x3, x3, :lo12:arch_fiber_origin_ra
	str	x3, [x0, #-8]
	adrp	x3, arch_fiber_entry
	add	x3, x3, :lo12:arch_fiber_entry
	sub	x4, x0, #16
	stp	x4, x3, [x2, #SW_X(29)]
	str	x1, [x2, #SW_X(19)]
	mov	x0, x2
	ret
	.cfi_endproc
	.size	arch_fiber_stack_init, . - arch_fiber_stack_init

/*
 * A fiber's first instruction.  start() never returns.  Its caller, to an
 * unwinder, is what the link names: CFA = the saved sp at x29 - 8, x29
 * at x29, x30 at x29 + 8 (x29 = the link record here).
 */
	.type	arch_fiber_entry, @function
arch_fiber_entry:
	.cfi_startproc
	.cfi_signal_frame
	.cfi_escape 0x0f, 3, 0x8d, 0x78, 0x06		/* DW_CFA_def_cfa_expression: *(x29 - 8) */
	.cfi_escape 0x10, 29, 2, 0x8d, 0x00		/* DW_CFA_expression x29: x29 */
	.cfi_escape 0x10, 30, 2, 0x8d, 0x08		/* DW_CFA_expression x30: x29 + 8 */
	blr	x19
	brk	#0
	.cfi_endproc
	.size	arch_fiber_entry, . - arch_fiber_entry

/*
 * Where every empty link "returns": never run, its CFI says the return
 * address is undefined, which ends a debugger's walk (the frame-pointer
 * walk stops on it too, kernel/trap/backtrace.c).
 */
	.globl	arch_fiber_origin
	.type	arch_fiber_origin, @function
arch_fiber_origin:
	.cfi_startproc
	.cfi_undefined x30
	brk	#0
	.globl	arch_fiber_origin_ra
arch_fiber_origin_ra:
	brk	#0
	.cfi_endproc
	.size	arch_fiber_origin, . - arch_fiber_origin

/*
 * intptr_t arch_stack_call_system(fn x0, arg x1): on this CPU's system
 * stack, unless sp is on it already (then fn is tail-called here).
 */
	.globl	arch_stack_call_system
	.type	arch_stack_call_system, @function
arch_stack_call_system:
	.cfi_startproc
	mrs	x10, tpidr_el1
	ldp	x2, x3, [x10, #CPU_OFF_SYS_STACK_TOP]
	cbz	x2, 1f
	mov	x9, sp
	sub	x9, x2, x9
	cmp	x9, #CPU_SYS_STACK_SIZE
	b.hs	arch_stack_call
	mov	x9, x0				/* on it already: a plain (tail) call */
	mov	x0, x1
	br	x9
1:	b	kstack_no_system_stack
	.cfi_endproc
	.size	arch_stack_call_system, . - arch_stack_call_system

/*
 * intptr_t arch_stack_call(fn x0, arg x1, top x2, limit x3): fn(arg) on
 * the stack below x2.  Its top 32 bytes: the record {x29, x30} of our
 * caller at top - 16 (x29 points at it during the call), the caller's
 * stack limit at top - 32 and its sp at top - 24.
 */
	.globl	arch_stack_call
	.type	arch_stack_call, @function
arch_stack_call:
	.cfi_startproc
	.cfi_signal_frame
	stp	x29, x30, [x2, #-16]
	mov	x9, sp
	mrs	x10, tpidr_el1
	ldr	x11, [x10, #CPU_OFF_STACK_LIMIT]
	stp	x11, x9, [x2, #-32]
	sub	x29, x2, #16
	.cfi_escape 0x0f, 3, 0x8d, 0x78, 0x06		/* CFA: *(x29 - 8), the caller's sp */
	.cfi_escape 0x10, 29, 2, 0x8d, 0x00		/* x29: at x29 */
	.cfi_escape 0x10, 30, 2, 0x8d, 0x08		/* x30: at x29 + 8 */
	sub	sp, x2, #32
	str	x3, [x10, #CPU_OFF_STACK_LIMIT]
	mov	x9, x0
	mov	x0, x1
	blr	x9
	mrs	x10, tpidr_el1
	ldp	x11, x9, [x29, #-16]
	str	x11, [x10, #CPU_OFF_STACK_LIMIT]
	mov	sp, x9
	.cfi_def_cfa sp, 0
	ldp	x29, x30, [x29]
	.cfi_restore x29
	.cfi_restore x30
	ret
	.cfi_endproc
	.size	arch_stack_call, . - arch_stack_call
