/*
 * riscv64 fiber switch and calls on another stack (see arch_fiber_switch()
 * and arch_stack_call() in arch/arch.h).
 *
 * Only what the calling convention says a callee must preserve is saved:
 * ra, sp, s0-s11 and fs0-fs11 (RISC-V psABI, "Integer Register Convention"
 * and "Floating-point Register Convention"); everything else is dead
 * across the call that switches.  And gp: the kernel never uses it, so
 * in a process thread's system call it is still the program's, which the
 * system-call path (trap_entry.S) leaves to this switch to keep: another
 * process's return to user mode on this CPU loads its own.  The saved registers go on the outgoing
 * stack, so a fiber's whole saved context is one stack pointer.
 *
 * A process thread's user FP state, live in the registers while the
 * kernel serves its traps, is stored into its user frame first
 * (arch_fp_flush(), fp_state.S); its return to user mode loads it back.
 *
 * The switch also installs the incoming fiber's stack limit in sscratch,
 * where trap entry compares sp against it (trap_entry.S), and in this
 * CPU's struct cpu (found from tp, <arch/cpu.h>), the copy trap entry
 * restores sscratch from after it borrowed the register.
 *
 * Unwinding.  A fiber's link (the two words at the top of its stack, and
 * the caller's sp in the word below them) describes the code that last
 * switched into it.  arch_fiber_entry's CFI reads it, so a debugger walks
 * from a fiber into that code as the frame-pointer walk does; it and
 * arch_stack_call are marked as signal frames, because the frames beyond
 * them lie on another stack, at any address (gdb refuses a caller frame
 * below its callee otherwise: "previous frame inner to this frame").  An
 * empty link holds arch_fiber_origin as its return address, a routine
 * whose CFI says there is no caller: the chain ends there, cleanly.
 * DWARF register numbers: ra 1, sp 2, s0 8; DW_OP_breg8 is 0x78.
 */
#include <arch/cpu.h>

	.cfi_sections .debug_frame	/* with the C code's CFI: not loaded, for debuggers */

#define SW_RA       0
#define SW_S(n)     (8 + (n) * 8)       /* s0..s11 */
#define SW_FS(n)    (104 + (n) * 8)     /* fs0..fs11 */
#define SW_GP       200
#define SW_SIZE     208                 /* 26 registers */
#define LINK_SIZE   32                  /* {sp, 0} then the record {s0, ra} */

	.text
	.balign 4
	.globl	arch_fiber_switch
	.type	arch_fiber_switch, @function
arch_fiber_switch:
	.cfi_startproc
	/* The incoming fiber's link: a frame record of our caller, and its sp. */
	sd	s0, 0(a3)
	sd	ra, 8(a3)
	sd	sp, -8(a3)

	addi	sp, sp, -SW_SIZE
	.cfi_adjust_cfa_offset SW_SIZE
	sd	ra, SW_RA(sp)
	.cfi_rel_offset ra, SW_RA
	sd	gp, SW_GP(sp)
	sd	s0, SW_S(0)(sp);   sd s1, SW_S(1)(sp);   sd s2, SW_S(2)(sp)
	.cfi_rel_offset s0, SW_S(0)
	sd	s3, SW_S(3)(sp);   sd s4, SW_S(4)(sp);   sd s5, SW_S(5)(sp)
	sd	s6, SW_S(6)(sp);   sd s7, SW_S(7)(sp);   sd s8, SW_S(8)(sp)
	sd	s9, SW_S(9)(sp);   sd s10, SW_S(10)(sp); sd s11, SW_S(11)(sp)
	fsd	fs0, SW_FS(0)(sp); fsd fs1, SW_FS(1)(sp); fsd fs2, SW_FS(2)(sp)
	fsd	fs3, SW_FS(3)(sp); fsd fs4, SW_FS(4)(sp); fsd fs5, SW_FS(5)(sp)
	fsd	fs6, SW_FS(6)(sp); fsd fs7, SW_FS(7)(sp); fsd fs8, SW_FS(8)(sp)
	fsd	fs9, SW_FS(9)(sp); fsd fs10, SW_FS(10)(sp); fsd fs11, SW_FS(11)(sp)
	call	arch_fp_flush			/* a user thread's FP state, into its frame */
	sd	sp, 0(a0)

	/* From here the registers are the other fiber's, saved the same way
	 * on its stack: the same rules describe its caller. */
	mv	sp, a1
	ld	ra, SW_RA(sp)
	ld	gp, SW_GP(sp)
	ld	s0, SW_S(0)(sp);   ld s1, SW_S(1)(sp);   ld s2, SW_S(2)(sp)
	ld	s3, SW_S(3)(sp);   ld s4, SW_S(4)(sp);   ld s5, SW_S(5)(sp)
	ld	s6, SW_S(6)(sp);   ld s7, SW_S(7)(sp);   ld s8, SW_S(8)(sp)
	ld	s9, SW_S(9)(sp);   ld s10, SW_S(10)(sp); ld s11, SW_S(11)(sp)
	fld	fs0, SW_FS(0)(sp); fld fs1, SW_FS(1)(sp); fld fs2, SW_FS(2)(sp)
	fld	fs3, SW_FS(3)(sp); fld fs4, SW_FS(4)(sp); fld fs5, SW_FS(5)(sp)
	fld	fs6, SW_FS(6)(sp); fld fs7, SW_FS(7)(sp); fld fs8, SW_FS(8)(sp)
	fld	fs9, SW_FS(9)(sp); fld fs10, SW_FS(10)(sp); fld fs11, SW_FS(11)(sp)
	addi	sp, sp, SW_SIZE
	.cfi_adjust_cfa_offset -SW_SIZE
	.cfi_restore ra
	.cfi_restore s0

	csrw	sscratch, a2
	sd	a2, (CPU_OFF_STACK_LIMIT - CPU_OFF_TLS)(tp)
	ret
	.cfi_endproc
	.size	arch_fiber_switch, . - arch_fiber_switch

	.globl	arch_set_stack_limit
	.type	arch_set_stack_limit, @function
arch_set_stack_limit:
	.cfi_startproc
	csrw	sscratch, a0
	sd	a0, (CPU_OFF_STACK_LIMIT - CPU_OFF_TLS)(tp)
	ret
	.cfi_endproc
	.size	arch_set_stack_limit, . - arch_set_stack_limit

/*
 * a0 = top of a fresh stack, a1 = start function.  The saved frame makes
 * the first switch "return" into arch_fiber_entry with s0 = top (so the
 * frame chain reaches the link record at top - 16) and s1 = start.  The
 * link starts empty: {0, arch_fiber_origin}, sp 0.
 */
	.globl	arch_fiber_stack_init
	.type	arch_fiber_stack_init, @function
arch_fiber_stack_init:
	.cfi_startproc
	addi	t0, a0, -(LINK_SIZE + SW_SIZE)
	mv	t1, t0
1:	sd	zero, 0(t1)
	addi	t1, t1, 8
	bltu	t1, a0, 1b
	lla	t1, arch_fiber_origin_ra
	sd	t1, -8(a0)
	lla	t1, arch_fiber_entry
	sd	t1, SW_RA(t0)
	sd	a0, SW_S(0)(t0)
	sd	a1, SW_S(1)(t0)
	mv	a0, t0
	ret
	.cfi_endproc
	.size	arch_fiber_stack_init, . - arch_fiber_stack_init

/*
 * A fiber's first instruction.  start() never returns.  Its caller, to an
 * unwinder, is what the link names: CFA = the saved sp at s0 - 24, ra at
 * s0 - 8, s0 at s0 - 16 (s0 = the top of the stack here).
 */
	.type	arch_fiber_entry, @function
arch_fiber_entry:
	.cfi_startproc
	.cfi_signal_frame
	.cfi_escape 0x0f, 3, 0x78, 0x68, 0x06		/* DW_CFA_def_cfa_expression: *(s0 - 24) */
	.cfi_escape 0x10, 1, 2, 0x78, 0x78		/* DW_CFA_expression ra: s0 - 8 */
	.cfi_escape 0x10, 8, 2, 0x78, 0x70		/* DW_CFA_expression s0: s0 - 16 */
	jalr	s1
	ebreak
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
	.cfi_undefined ra
	ebreak
	.globl	arch_fiber_origin_ra
arch_fiber_origin_ra:
	ebreak
	.cfi_endproc
	.size	arch_fiber_origin, . - arch_fiber_origin

/*
 * intptr_t arch_stack_call_system(fn a0, arg a1): on this CPU's system
 * stack, unless sp is on it already (then fn is tail-called here).
 */
	.globl	arch_stack_call_system
	.type	arch_stack_call_system, @function
arch_stack_call_system:
	.cfi_startproc
	ld	a2, (CPU_OFF_SYS_STACK_TOP - CPU_OFF_TLS)(tp)
	beqz	a2, 1f
	sub	t0, a2, sp
	li	t1, CPU_SYS_STACK_SIZE
	ld	a3, (CPU_OFF_SYS_STACK_LIMIT - CPU_OFF_TLS)(tp)
	bgeu	t0, t1, arch_stack_call
	mv	t1, a0				/* on it already: a plain (tail) call */
	mv	a0, a1
	jr	t1
1:	tail	kstack_no_system_stack
	.cfi_endproc
	.size	arch_stack_call_system, . - arch_stack_call_system

/*
 * intptr_t arch_stack_call(fn a0, arg a1, top a2, limit a3): fn(arg) on
 * the stack below a2.  Its top 32 bytes: the record {s0, ra} of our
 * caller at top - 16 (s0 = top during the call, as a frame pointer),
 * the caller's sp at top - 24 and its stack limit at top - 32.
 */
	.globl	arch_stack_call
	.type	arch_stack_call, @function
arch_stack_call:
	.cfi_startproc
	.cfi_signal_frame
	sd	s0, -16(a2)
	sd	ra, -8(a2)
	sd	sp, -24(a2)
	ld	t0, (CPU_OFF_STACK_LIMIT - CPU_OFF_TLS)(tp)
	sd	t0, -32(a2)
	mv	s0, a2
	.cfi_escape 0x0f, 3, 0x78, 0x68, 0x06		/* CFA: *(s0 - 24), the caller's sp */
	.cfi_escape 0x10, 1, 2, 0x78, 0x78		/* ra: at s0 - 8 */
	.cfi_escape 0x10, 8, 2, 0x78, 0x70		/* s0: at s0 - 16 */
	addi	sp, a2, -32
	/* The copy in struct cpu first: a trap on the low-stack path puts it
	 * back into sscratch (trap_entry.S). */
	sd	a3, (CPU_OFF_STACK_LIMIT - CPU_OFF_TLS)(tp)
	csrw	sscratch, a3
	mv	t1, a0
	mv	a0, a1
	jalr	t1
	ld	t0, -32(s0)
	sd	t0, (CPU_OFF_STACK_LIMIT - CPU_OFF_TLS)(tp)
	csrw	sscratch, t0
	ld	ra, -8(s0)
	.cfi_restore ra
	ld	sp, -24(s0)
	.cfi_def_cfa sp, 0
	ld	s0, -16(s0)
	.cfi_restore s0
	ret
	.cfi_endproc
	.size	arch_stack_call, . - arch_stack_call
