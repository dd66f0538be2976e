/*
 * riscv64 trap entry (stvec, direct mode).  A kernel-mode trap puts its
 * frame on the current stack; one from user mode on the running process
 * thread's kernel stack (sscratch tells them apart, below).  Saves every
 * integer register, calls riscv_trap(frame), restores and returns with
 * sret.  No FP register is saved: kernel C code does not use them (only
 * the Makefile's FP_SRCS, on kernel fibers), a user thread's stay live
 * until its fiber switches (fp_state.S), and the return to user mode
 * reloads them from the frame when they are not live.
 *
 * Overflow-safe: sscratch holds this CPU's stack limit (the lowest mapped
 * address of the running fiber's stack plus a reserve, kernel/exec/fiber.c; 0
 * on the boot stack); in user mode it holds ~frame instead (the address of
 * the user frame inverted: positive, where kernel addresses and 0 are
 * not), which one more instruction (bgtz) checks.  When sp is below it, saving the frame could fault
 * (an unmapped stack page, or the guard page under the stack), and that
 * trap would overwrite the cause registers of this one before they are
 * saved; the frame then goes on the emergency stack instead.  Fast path
 * cost: three instructions (csrrw, bltu, csrrw).
 */
#include <arch/cpu.h>
#include <arch/trap_frame.h>

#define SSTATUS_SPP      (1 << 8)
#define SSTATUS_SIE_BIT  (1 << 1)

#define SAVE_X(n)    sd x##n, TF_X(n)(sp)
#define LOAD_X(n)    ld x##n, TF_X(n)(sp)

	.cfi_sections .debug_frame
	/* CFI: \reg saved at s0 + \off (DW_CFA_expression, DW_OP_breg8; 0 <= off < 8192). */
	.macro	cfi_at_s0 reg, off
	.cfi_escape 0x10, \reg, 3, 0x78, ((\off) & 0x7f) | 0x80, (\off) >> 7
	.endm

	.text
	.balign 4
	.globl riscv_trap_entry
	.type	riscv_trap_entry, @function
riscv_trap_entry:
	.cfi_startproc
	.cfi_return_column 64                  /* the interrupted pc: not ra, which has its own slot */
	.cfi_signal_frame
	csrrw	t0, sscratch, t0         /* t0 = the stack limit, sscratch = t0 */
	bgtz	t0, trap_from_user       /* in user mode sscratch holds ~tp: positive */
	bltu	sp, t0, trap_low_stack
	csrrw	t0, sscratch, t0
	addi	sp, sp, -TF_SIZE
	SAVE_X(5)
	addi	t0, sp, TF_SIZE
	sd	t0, TF_X(2)(sp)
trap_save:                               /* sp = the frame; x2 and x5 saved */
	SAVE_X(4)
trap_save_tp:                            /* x4 saved too; tp is the kernel's */
	SAVE_X(1);  SAVE_X(3);  SAVE_X(6);  SAVE_X(7)
	SAVE_X(8);  SAVE_X(9);  SAVE_X(10); SAVE_X(11); SAVE_X(12); SAVE_X(13)
	SAVE_X(14); SAVE_X(15); SAVE_X(16); SAVE_X(17); SAVE_X(18); SAVE_X(19)
	SAVE_X(20); SAVE_X(21); SAVE_X(22); SAVE_X(23); SAVE_X(24); SAVE_X(25)
	SAVE_X(26); SAVE_X(27); SAVE_X(28); SAVE_X(29); SAVE_X(30); SAVE_X(31)
	csrr	t0, sepc
	sd	t0, TF_PC(sp)
	csrr	t0, sstatus
	sd	t0, TF_SSTATUS(sp)
	csrr	t0, scause
	sd	t0, TF_SCAUSE(sp)
	csrr	t0, stval
	sd	t0, TF_STVAL(sp)

	/* A frame record so backtraces walk from the handler into the
	 * interrupted code: {fp, ra} = {interrupted s0, interrupted pc}. */
	addi	sp, sp, -16
	ld	t0, TF_PC+16(sp)
	sd	t0, 8(sp)
	sd	s0, 0(sp)
	addi	s0, sp, 16
	/* For debuggers, the caller is the interrupted code: its sp, pc (the
	 * return address column) and registers from the frame at s0. */
	.cfi_escape 0x0f, 4, 0x78, (TF_X(2) & 0x7f) | 0x80, TF_X(2) >> 7, 0x06
	cfi_at_s0 64, TF_PC
	cfi_at_s0 1, TF_X(1)
	.irp	n, 8, 9, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27	/* s0-s11 */
	cfi_at_s0 \n, TF_X(\n)
	.endr
	addi	a0, sp, 16
	call	riscv_trap
	addi	sp, sp, 16
	.globl	riscv_trap_return
riscv_trap_return:                       /* sp = a frame; interrupts masked */
	ld	t0, TF_SSTATUS(sp)
	andi	t0, t0, SSTATUS_SPP
	bnez	t0, 1f
	/* Back to user mode: the kernel's stack limit waits in the struct
	 * cpu (every writer of sscratch in S-mode writes the copy there
	 * too), the next trap from user mode puts its frame where this one
	 * is, and sscratch says "user": ~(this frame), positive, with the
	 * kernel's tp in it. */
	sd	tp, TF_KTP(sp)
	not	t0, sp
	csrw	sscratch, t0
	ld	t0, (CPU_OFF_FP_LIVE - CPU_OFF_TLS)(tp)
	beq	t0, sp, 1f
	jal	t2, fp_user_load         /* its FP state is not in the registers */
1:
	ld	t0, TF_PC(sp)
	csrw	sepc, t0
	ld	t0, TF_SSTATUS(sp)
	csrw	sstatus, t0
	LOAD_X(1);  LOAD_X(3);  LOAD_X(4);  LOAD_X(5);  LOAD_X(6);  LOAD_X(7)
	LOAD_X(8);  LOAD_X(9);  LOAD_X(10); LOAD_X(11); LOAD_X(12); LOAD_X(13)
	LOAD_X(14); LOAD_X(15); LOAD_X(16); LOAD_X(17); LOAD_X(18); LOAD_X(19)
	LOAD_X(20); LOAD_X(21); LOAD_X(22); LOAD_X(23); LOAD_X(24); LOAD_X(25)
	LOAD_X(26); LOAD_X(27); LOAD_X(28); LOAD_X(29); LOAD_X(30); LOAD_X(31)
	LOAD_X(2)
	sret

/*
 * From user mode: t0 = ~(the frame's address), sscratch = the user's t0.
 * No user register is trusted: the frame is where the last return to
 * user mode left (the top of the process thread's kernel stack), and
 * the kernel's tp comes back from the frame, where that return left it.
 */
trap_from_user:
	not	t0, t0
	sd	sp, TF_X(2)(t0)                  /* the user's sp */
	mv	sp, t0
	SAVE_X(4)
	ld	tp, TF_KTP(sp)
	csrr	t0, sscratch
	SAVE_X(5)                        /* t0 is x5: the user's t0 */
	ld	t0, (CPU_OFF_STACK_LIMIT - CPU_OFF_TLS)(tp)
	csrw	sscratch, t0
	csrr	t0, scause
	addi	t0, t0, -8               /* environment call from U-mode */
	bnez	t0, trap_save_tp

/*
 * A system call: only what the C code may change is saved and restored
 * (ra, tp, t0-t6, a0-a7, sp, sepc, sstatus; a0 comes back as the result
 * of trap_syscall()).  The kernel never writes gp, and a fiber switch
 * inside the call keeps it with the thread (fiber_switch.S), so gp is the
 * user's throughout.  s1-s11 keep the user's
 * values through trap_syscall() by the calling convention (a fiber switch
 * inside restores them too), and s0 comes back from the frame record; so
 * they go into the frame only for clone, whose child starts from a copy
 * of the frame.  A system call's frame holds no scause or stval either.  trap_syscall() returns here only to
 * go back to user mode.
 */
	SAVE_X(1);  SAVE_X(6);  SAVE_X(7)
	SAVE_X(10); SAVE_X(11); SAVE_X(12); SAVE_X(13); SAVE_X(14); SAVE_X(15)
	SAVE_X(16); SAVE_X(17); SAVE_X(28); SAVE_X(29); SAVE_X(30); SAVE_X(31)
	csrr	t1, sepc
	addi	t1, t1, 4                /* resume past the ecall (no compressed form) */
	sd	t1, TF_PC(sp)
	csrr	t0, sstatus
	sd	t0, TF_SSTATUS(sp)
	li	t0, 220                  /* clone */
	beq	a7, t0, ecall_clone
ecall_call:                              /* t1 = sepc */
	addi	sp, sp, -16              /* a frame record, as for any trap */
	sd	t1, 8(sp)
	sd	s0, 0(sp)
	addi	s0, sp, 16
	addi	a0, sp, 16
	call	trap_syscall             /* a0 = the result, kept in the register */
	ld	s0, 0(sp)                /* the user's s0, from the record */
	addi	sp, sp, 16
	sd	tp, TF_KTP(sp)
	not	t0, sp
	csrw	sscratch, t0
	ld	t0, (CPU_OFF_FP_LIVE - CPU_OFF_TLS)(tp)
	beq	t0, sp, 2f
	jal	t2, fp_user_load
2:	ld	t0, TF_PC(sp)
	csrw	sepc, t0
	ld	t0, TF_SSTATUS(sp)
	csrw	sstatus, t0
	LOAD_X(1);  LOAD_X(4);  LOAD_X(5);  LOAD_X(6);  LOAD_X(7)
	LOAD_X(11); LOAD_X(12); LOAD_X(13); LOAD_X(14); LOAD_X(15)
	LOAD_X(16); LOAD_X(17); LOAD_X(28); LOAD_X(29); LOAD_X(30); LOAD_X(31)
	LOAD_X(2)
	sret
ecall_clone:
	SAVE_X(3)
	SAVE_X(8);  SAVE_X(9);  SAVE_X(18); SAVE_X(19); SAVE_X(20); SAVE_X(21)
	SAVE_X(22); SAVE_X(23); SAVE_X(24); SAVE_X(25); SAVE_X(26); SAVE_X(27)
	j	ecall_call

/*
 * Enter user mode through the frame at a0 (arch_user_enter()): the
 * frame lies at the top of the thread's kernel stack, where every later
 * trap from user mode saves its own.
 */
	.globl	arch_user_enter
arch_user_enter:
	csrc	sstatus, SSTATUS_SIE_BIT
	mv	sp, a0
	j	riscv_trap_return

/*
 * sp is below the stack limit: t0 = the limit, sscratch = the interrupted
 * t0.  Save the frame on this CPU's emergency stack (its top is in the
 * struct cpu that tp finds), or, when this trap nests in one being
 * handled there (sp already on it), below the current sp.  Then put the
 * limit back into sscratch from its copy in the struct cpu.
 */
trap_low_stack:
	ld	t0, (CPU_OFF_TRAP_STACK_TOP - CPU_OFF_TLS)(tp)
	bgtu	sp, t0, 1f
	sub	t0, t0, sp               /* how far below the top: on it when < the size */
	srli	t0, t0, CPU_TRAP_STACK_SHIFT
	bnez	t0, 1f
	mv	t0, sp
	j	2f
1:	ld	t0, (CPU_OFF_TRAP_STACK_TOP - CPU_OFF_TLS)(tp)
2:	addi	t0, t0, -TF_SIZE
	sd	sp, TF_X(2)(t0)
	mv	sp, t0
	csrr	t0, sscratch
	SAVE_X(5)
	ld	t0, (CPU_OFF_STACK_LIMIT - CPU_OFF_TLS)(tp)
	csrw	sscratch, t0
	j	trap_save
	.cfi_endproc
	.size	riscv_trap_entry, . - riscv_trap_entry
