/*
 * aarch64 exception vectors (VBAR_EL1; Arm ARM D1.10.2): 16 entries of
 * 0x80 bytes.  Kernel-mode exceptions taken on SP_EL1 and exceptions from
 * EL0 (AArch64) are handled; any other group is reported as unexpected.
 * From EL0 the frame goes on the process thread's kernel stack (SP_EL1,
 * which the return to EL0 leaves at its top) and also holds SP_EL0 and
 * TPIDR_EL0, the user's (TPIDR_EL0 is also the kernel's TLS pointer,
 * picolibc's: entry from EL0 puts the kernel's back).  Entry saves the
 * integer state, calls aarch64_trap(frame, kind) and restores.  No FP/SIMD
 * register is saved: kernel C code does not touch them (-mgeneral-regs-only),
 * a user thread's stay live until its fiber switches (fp_state.S), and the
 * return to EL0 reloads them from the frame when they are not live.
 *
 * Overflow-safe: this CPU's struct cpu (TPIDR_EL1 points at it,
 * <arch/cpu.h>) holds its stack limit (the lowest mapped address of the
 * running fiber's stack plus a reserve, kernel/exec/fiber.c; 0 on a boot
 * stack).  When sp is below it, saving the frame could fault (an unmapped
 * stack page, or the guard page under the stack), and that trap would
 * overwrite the cause registers of this one before they are saved; the
 * frame then goes on this CPU's emergency stack instead.  SP_EL0, unused
 * while the kernel runs on SP_EL1, holds x0 during the check.  Fast path
 * cost: six instructions at entry (msr, mrs, ldr, cmp, b.lo, mrs) and one
 * at exit (sp is reloaded from the frame).
 */
#include <arch/cpu.h>
#include <arch/trap_frame.h>

	.cfi_sections .debug_frame
	/* CFI: \reg saved at x29 + \off (DW_CFA_expression, DW_OP_breg29; 0 <= off < 8192). */
	.macro	cfi_at_x29 reg, off
	.cfi_escape 0x10, \reg, 3, 0x8d, ((\off) & 0x7f) | 0x80, (\off) >> 7
	.endm

	/* For debuggers, once x29 points at the frame record below a frame:
	 * the caller is the interrupted code, its sp and pc in the frame. */
	.macro	cfi_caller_in_frame
	.cfi_escape 0x0f, 4, 0x8d, ((16 + TF_SP) & 0x7f) | 0x80, (16 + TF_SP) >> 7, 0x06
	cfi_at_x29 32, 16 + TF_ELR
	cfi_at_x29 30, 16 + TF_X(30)
	.endm

	/* \op (stp, ldp) x2-x17, the caller-saved registers past x0, x1. */
	.macro	x2_x17 op
	\op	x2, x3, [sp, #TF_X(2)]
	\op	x4, x5, [sp, #TF_X(4)]
	\op	x6, x7, [sp, #TF_X(6)]
	\op	x8, x9, [sp, #TF_X(8)]
	\op	x10, x11, [sp, #TF_X(10)]
	\op	x12, x13, [sp, #TF_X(12)]
	\op	x14, x15, [sp, #TF_X(14)]
	\op	x16, x17, [sp, #TF_X(16)]
	.endm

	/* From EL0: x30, SP_EL0 and TPIDR_EL0 into the frame, and the
	 * kernel's TLS pointer into TPIDR_EL0 (clobbers x2). */
	.macro	save_el0_sp_tls
	mrs	x2, sp_el0
	stp	x30, x2, [sp, #TF_X(30)]          /* x30, the user's sp */
	mrs	x2, tpidr_el0
	str	x2, [sp, #TF_TPIDR0]
	mrs	x2, tpidr_el1                     /* the kernel's TLS pointer back */
	ldr	x2, [x2, #CPU_OFF_KERNEL_TP]
	msr	tpidr_el0, x2
	.endm

	.macro	ventry kind
	.balign	0x80
	msr	sp_el0, x0
	mrs	x0, tpidr_el1
	ldr	x0, [x0, #CPU_OFF_STACK_LIMIT]
	cmp	sp, x0
	b.lo	1f
	mrs	x0, sp_el0
	sub	sp, sp, #TF_SIZE
	stp	x0, x1, [sp, #TF_X(0)]
	mov	x1, #\kind
	b	trap_common
1:	mrs	x0, tpidr_el1
	str	x1, [x0, #CPU_OFF_SCRATCH]
	mov	x1, #\kind
	b	trap_low_stack
	.endm

	/* From EL0, SP_EL1 is the top of the process thread's kernel stack
	 * (set by the return to EL0), SP_EL0 the user's: no check. */
	.macro	ventry_lower kind
	.balign	0x80
	sub	sp, sp, #TF_SIZE
	stp	x0, x1, [sp, #TF_X(0)]
	mov	x1, #\kind
	b	trap_common_user
	.endm

	/* The same for synchronous exceptions from EL0, except that a system
	 * call (ESR_EL1.EC = SVC64) takes the short path, el0_svc. */
	.macro	ventry_lower_sync
	.balign	0x80
	sub	sp, sp, #TF_SIZE
	stp	x0, x1, [sp, #TF_X(0)]
	mrs	x0, esr_el1
	lsr	x1, x0, #26
	cmp	x1, #0x15
	b.eq	el0_svc
	mov	x1, #0x20
	b	trap_common_user
	.endm

	.text
	.balign	0x800
	.globl	aarch64_vectors
	.type	aarch64_vectors, @function
aarch64_vectors:
	/* Current EL with SP_EL0: 0 sync, 1 irq, 2 fiq, 3 serror */
	ventry 0x10; ventry 0x11; ventry 0x12; ventry 0x13
	/* Current EL with SP_ELx */
	ventry 0x00; ventry 0x01; ventry 0x02; ventry 0x03
	/* Lower EL, AArch64 */
	ventry_lower_sync; ventry_lower 0x21; ventry_lower 0x22; ventry_lower 0x23
	/* Lower EL, AArch32 */
	ventry_lower 0x30; ventry_lower 0x31; ventry_lower 0x32; ventry_lower 0x33

	.size	aarch64_vectors, . - aarch64_vectors

	.type	trap_common_user, @function
trap_common_user:                        /* the same, from EL0 */
	stp	x2, x3, [sp, #TF_X(2)]
	save_el0_sp_tls
	b	trap_save
	.size	trap_common_user, . - trap_common_user

	.type	trap_common, @function
trap_common:                             /* sp = the frame; x0, x1 saved; x1 = kind */
	.cfi_startproc
	.cfi_return_column 32                  /* the interrupted pc (DWARF's PC): x30 has its own slot */
	.cfi_signal_frame
	stp	x2, x3, [sp, #TF_X(2)]
	add	x2, sp, #TF_SIZE
	stp	x30, x2, [sp, #TF_X(30)]          /* x30, sp */
trap_save:                               /* x0-x3, x30 and sp saved */
	stp	x4, x5, [sp, #TF_X(4)]
	stp	x6, x7, [sp, #TF_X(6)]
	stp	x8, x9, [sp, #TF_X(8)]
	stp	x10, x11, [sp, #TF_X(10)]
	stp	x12, x13, [sp, #TF_X(12)]
	stp	x14, x15, [sp, #TF_X(14)]
	stp	x16, x17, [sp, #TF_X(16)]
	stp	x18, x19, [sp, #TF_X(18)]
	stp	x20, x21, [sp, #TF_X(20)]
	stp	x22, x23, [sp, #TF_X(22)]
	stp	x24, x25, [sp, #TF_X(24)]
	stp	x26, x27, [sp, #TF_X(26)]
	stp	x28, x29, [sp, #TF_X(28)]
	mrs	x2, elr_el1
	mrs	x3, spsr_el1
	stp	x2, x3, [sp, #TF_ELR]
	mrs	x2, esr_el1
	mrs	x3, far_el1
	stp	x2, x3, [sp, #TF_ESR]

	/* A frame record {interrupted fp, interrupted pc}, so a backtrace
	 * from the handler continues into the interrupted code. */
	ldr	x2, [sp, #TF_ELR]
	stp	x29, x2, [sp, #-16]!
	mov	x29, sp
	/* For debuggers, the caller is the interrupted code: its sp, pc and
	 * registers from the frame at x29 + 16 (DWARF numbers = x numbers). */
	cfi_caller_in_frame
	.irp	n, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29
	cfi_at_x29 \n, 16 + TF_X(\n)
	.endr
	add	x0, sp, #16
	bl	aarch64_trap
	add	sp, sp, #16
	.globl	aarch64_trap_return
aarch64_trap_return:                     /* sp = a frame; interrupts masked */
	ldp	x2, x3, [sp, #TF_ELR]
	msr	elr_el1, x2
	msr	spsr_el1, x3
	x2_x17	ldp
	ldp	x18, x19, [sp, #TF_X(18)]
	ldp	x20, x21, [sp, #TF_X(20)]
	ldp	x22, x23, [sp, #TF_X(22)]
	ldp	x24, x25, [sp, #TF_X(24)]
	ldp	x26, x27, [sp, #TF_X(26)]
	ldp	x28, x29, [sp, #TF_X(28)]
	ldr	x0, [sp, #TF_SPSR]
	tst	x0, #0xf
	b.eq	to_user                           /* M[3:0] = 0: EL0t */
	ldp	x30, x0, [sp, #TF_X(30)]          /* x30, the interrupted sp */
	mov	x1, sp
	mov	sp, x0                            /* the frame may be on another stack */
	ldp	x0, x1, [x1, #TF_X(0)]            /* below sp now: exceptions are masked */
	eret
	.cfi_endproc
	.size	trap_common, . - trap_common

/*
 * A system call from EL0: x0 and x1 saved, x0 = ESR_EL1.  Only what the
 * C code may change is saved and restored: x0-x18, x30, SP_EL0,
 * TPIDR_EL0, ELR_EL1 and SPSR_EL1.  x19-x28 keep the user's values
 * through trap_syscall() by AAPCS64 (a fiber switch inside restores
 * them too), and x29 comes back from the frame record; so they go into
 * the frame only for clone, whose child starts from a copy of the frame.
 * A system call's frame holds no ESR or FAR either.  trap_syscall()
 * returns here only to go back to EL0.
 */
	.type	el0_svc, @function
el0_svc:
	.cfi_startproc
	.cfi_return_column 32
	.cfi_signal_frame
	x2_x17	stp
	stp	x18, x19, [sp, #TF_X(18)]
	save_el0_sp_tls
	mrs	x2, elr_el1
	mrs	x3, spsr_el1
	stp	x2, x3, [sp, #TF_ELR]
	cmp	x8, #220                          /* clone */
	b.eq	el0_svc_clone
el0_svc_call:                            /* x2 = ELR_EL1 */
	stp	x29, x2, [sp, #-16]!              /* a frame record, as in trap_common */
	mov	x29, sp
	cfi_caller_in_frame
	add	x0, sp, #16
	bl	trap_syscall
	ldr	x29, [sp], #16                    /* the user's fp, from the record */
	str	x0, [sp, #TF_X(0)]                /* the result */
	ldp	x2, x3, [sp, #TF_ELR]
	msr	elr_el1, x2
	msr	spsr_el1, x3
	x2_x17	ldp
	ldr	x18, [sp, #TF_X(18)]
	b	to_user
el0_svc_clone:
	stp	x20, x21, [sp, #TF_X(20)]
	stp	x22, x23, [sp, #TF_X(22)]
	stp	x24, x25, [sp, #TF_X(24)]
	stp	x26, x27, [sp, #TF_X(26)]
	stp	x28, x29, [sp, #TF_X(28)]
	b	el0_svc_call
	.cfi_endproc
	.size	el0_svc, . - el0_svc

/* Back to EL0: the next trap from it puts its frame where this one is. */
	.type	to_user, @function
to_user:
	mrs	x1, tpidr_el1
	ldr	x0, [x1, #CPU_OFF_FP_LIVE]
	cmp	sp, x0
	b.ne	fp_user_load                      /* its FP state is not in the registers */
	.globl	fp_user_loaded
fp_user_loaded:
	ldp	x30, x0, [sp, #TF_X(30)]          /* x30, the user's sp */
	msr	sp_el0, x0
	ldr	x0, [sp, #TF_TPIDR0]
	msr	tpidr_el0, x0
	ldp	x0, x1, [sp, #TF_X(0)]
	add	sp, sp, #TF_SIZE
	eret
	.size	to_user, . - to_user

/*
 * Enter EL0 through the frame at x0 (arch_user_enter()): the frame lies
 * at the top of the thread's kernel stack, where every later trap from
 * EL0 saves its own.
 */
	.globl	arch_user_enter
	.type	arch_user_enter, @function
arch_user_enter:
	msr	daifset, #2
	mov	sp, x0
	b	aarch64_trap_return
	.size	arch_user_enter, . - arch_user_enter

/*
 * sp is below the stack limit: x0 = this CPU's struct cpu, x1 = the
 * vector's kind, SP_EL0 = the interrupted x0, the interrupted x1 in the
 * struct's first scratch slot.  Save the frame on this CPU's emergency
 * stack, or, when this trap nests in one being handled there (sp already
 * on it), below the current sp.
 */
	.type	trap_low_stack, @function
trap_low_stack:
	.cfi_startproc
	.cfi_return_column 32
	.cfi_signal_frame
	str	x2, [x0, #CPU_OFF_SCRATCH + 8]
	ldr	x2, [x0, #CPU_OFF_TRAP_STACK_TOP]
	cmp	sp, x2
	b.hi	2f                                /* above it: use its top */
	sub	x2, x2, #CPU_TRAP_STACK_SIZE
	cmp	sp, x2
	ldr	x2, [x0, #CPU_OFF_TRAP_STACK_TOP]
	b.ls	2f                                /* at or below its bottom: use its top */
	mov	x2, sp                            /* on it: nest below sp */
2:	sub	x2, x2, #TF_SIZE
	str	x3, [x2, #TF_X(3)]
	ldr	x3, [x0, #CPU_OFF_SCRATCH + 8]
	str	x3, [x2, #TF_X(2)]
	mov	x3, sp
	stp	x30, x3, [x2, #TF_X(30)]          /* x30, the interrupted sp */
	mov	sp, x2
	mrs	x2, sp_el0
	ldr	x3, [x0, #CPU_OFF_SCRATCH]
	stp	x2, x3, [sp, #TF_X(0)]
	b	trap_save
	.cfi_endproc
	.size	trap_low_stack, . - trap_low_stack
