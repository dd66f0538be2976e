/*
 * riscv64 FP state of user threads (see "FP/SIMD state" in
 * docs/architecture.md).  Trap entry saves no FP register: the kernel's
 * C code uses none, so a process thread's f0-f31 and fcsr stay live in
 * the registers while the kernel serves its trap.  They are stored into
 * the thread's user frame only when something else is about to use the
 * registers (a fiber switch, arch_fp_flush()), and only when sstatus.FS
 * says Dirty: the privileged spec's FS field (Off, Initial, Clean, Dirty;
 * RISC-V Privileged Architecture, "Extension Context Status in mstatus")
 * tracks whether they changed since they were last loaded or stored, so
 * a program that has not written an FP register since costs no store.
 * The return to user mode loads them back from the frame when they are
 * not live, and marks them Clean.
 */
#include <arch/cpu.h>
#include <arch/trap_frame.h>

#define SSTATUS_FS_SHIFT 13
#define FS_DIRTY         3
#define FS_CLEAN         2

/* \op (fsd, fld) f0-f31 at their places in the frame at \base. */
	.macro	f_regs op, base
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	\op	f\n, TF_F(\n)(\base)
	.endr
	.endm

	.text
	.balign 4
/*
 * void arch_fp_flush(void): when this CPU's registers hold a user frame's
 * FP state (struct cpu's fp_live) and it is Dirty, store it into that
 * frame and make it Clean; forget it either way.  Clobbers t0-t2 only
 * (arch_fiber_switch relies on it).
 */
	.globl	arch_fp_flush
	.type	arch_fp_flush, @function
arch_fp_flush:
	.cfi_startproc
	ld	t0, (CPU_OFF_FP_LIVE - CPU_OFF_TLS)(tp)
	beqz	t0, 1f
	sd	zero, (CPU_OFF_FP_LIVE - CPU_OFF_TLS)(tp)
	csrr	t1, sstatus
	srli	t1, t1, SSTATUS_FS_SHIFT
	andi	t1, t1, 3
	li	t2, FS_DIRTY
	bne	t1, t2, 1f               /* Initial or Clean: the frame holds them */
	f_regs	fsd, t0
	frcsr	t1
	sd	t1, TF_FCSR(t0)
	li	t1, (FS_DIRTY ^ FS_CLEAN) << SSTATUS_FS_SHIFT
	csrc	sstatus, t1              /* Dirty -> Clean */
1:	ret
	.cfi_endproc
	.size	arch_fp_flush, . - arch_fp_flush

/*
 * Load the FP state of the user frame at sp into the registers, record it
 * as live (struct cpu's fp_live = sp) and Clean (in the sstatus the
 * return restores).  Called from the returns to user mode (trap_entry.S)
 * with `jal t2`; t0-t2 are free there (reloaded from the frame after).
 */
	.globl	fp_user_load
	.type	fp_user_load, @function
fp_user_load:
	sd	sp, (CPU_OFF_FP_LIVE - CPU_OFF_TLS)(tp)
	f_regs	fld, sp
	ld	t0, TF_FCSR(sp)
	fscsr	t0
	ld	t0, TF_SSTATUS(sp)
	li	t1, 3 << SSTATUS_FS_SHIFT
	or	t0, t0, t1
	li	t1, (FS_DIRTY ^ FS_CLEAN) << SSTATUS_FS_SHIFT
	xor	t0, t0, t1               /* FS = Clean */
	sd	t0, TF_SSTATUS(sp)
	jr	t2
	.size	fp_user_load, . - fp_user_load
