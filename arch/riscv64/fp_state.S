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
	fsd	f0, TF_F(0)(t0);   fsd f1, TF_F(1)(t0);   fsd f2, TF_F(2)(t0)
	fsd	f3, TF_F(3)(t0);   fsd f4, TF_F(4)(t0);   fsd f5, TF_F(5)(t0)
	fsd	f6, TF_F(6)(t0);   fsd f7, TF_F(7)(t0);   fsd f8, TF_F(8)(t0)
	fsd	f9, TF_F(9)(t0);   fsd f10, TF_F(10)(t0); fsd f11, TF_F(11)(t0)
	fsd	f12, TF_F(12)(t0); fsd f13, TF_F(13)(t0); fsd f14, TF_F(14)(t0)
	fsd	f15, TF_F(15)(t0); fsd f16, TF_F(16)(t0); fsd f17, TF_F(17)(t0)
	fsd	f18, TF_F(18)(t0); fsd f19, TF_F(19)(t0); fsd f20, TF_F(20)(t0)
	fsd	f21, TF_F(21)(t0); fsd f22, TF_F(22)(t0); fsd f23, TF_F(23)(t0)
	fsd	f24, TF_F(24)(t0); fsd f25, TF_F(25)(t0); fsd f26, TF_F(26)(t0)
	fsd	f27, TF_F(27)(t0); fsd f28, TF_F(28)(t0); fsd f29, TF_F(29)(t0)
	fsd	f30, TF_F(30)(t0); fsd f31, TF_F(31)(t0)
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
	fld	f0, TF_F(0)(sp);   fld f1, TF_F(1)(sp);   fld f2, TF_F(2)(sp)
	fld	f3, TF_F(3)(sp);   fld f4, TF_F(4)(sp);   fld f5, TF_F(5)(sp)
	fld	f6, TF_F(6)(sp);   fld f7, TF_F(7)(sp);   fld f8, TF_F(8)(sp)
	fld	f9, TF_F(9)(sp);   fld f10, TF_F(10)(sp); fld f11, TF_F(11)(sp)
	fld	f12, TF_F(12)(sp); fld f13, TF_F(13)(sp); fld f14, TF_F(14)(sp)
	fld	f15, TF_F(15)(sp); fld f16, TF_F(16)(sp); fld f17, TF_F(17)(sp)
	fld	f18, TF_F(18)(sp); fld f19, TF_F(19)(sp); fld f20, TF_F(20)(sp)
	fld	f21, TF_F(21)(sp); fld f22, TF_F(22)(sp); fld f23, TF_F(23)(sp)
	fld	f24, TF_F(24)(sp); fld f25, TF_F(25)(sp); fld f26, TF_F(26)(sp)
	fld	f27, TF_F(27)(sp); fld f28, TF_F(28)(sp); fld f29, TF_F(29)(sp)
	fld	f30, TF_F(30)(sp); fld f31, TF_F(31)(sp)
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
