/*
 * riscv64 entry.  OpenSBI (fw_dynamic) enters here in S-mode on one hart
 * with a0 = hart id and a1 = physical address of the device tree; the MMU
 * is off.  The other harts stay stopped in the firmware (SBI HSM) until the
 * boot CPU starts them at riscv_secondary_entry (below; arch/riscv64/smp.c).
 *
 * The kernel is linked at its virtual address but starts at its physical
 * load address: until boot_mmu_early() has turned the MMU on, everything
 * here is PC-relative.
 *
 * The image starts with the Linux RISC-V boot image header
 * (Documentation/arch/riscv/boot-image-header.rst), so loaders that boot
 * Linux Images (QEMU -kernel, U-Boot booti) boot this one the same way.
 */
#include <arch/cpu.h>

#define SSTATUS_FS_INITIAL (1 << 13)

	.cfi_sections .debug_frame

	.section .text.head, "ax"
	.option push
	.option norvc
	.globl _start
	.type	_start, @function
_start:
	.cfi_startproc
	.cfi_undefined ra             /* the outermost frame: debuggers stop here */
	j	entry                 /* code0 */
	.word	0                 /* code1 */
	.dword	TEXT_OFFSET       /* text_offset from the start of RAM */
	.dword	__image_size      /* effective size, bss included */
	.dword	0                 /* flags: little endian */
	.word	2                 /* header version 0.2 */
	.word	0                 /* res1 */
	.dword	0                 /* res2 */
	.ascii	"RISCV\0\0\0"     /* magic (deprecated) */
	.ascii	"RSC\x05"         /* magic2 */
	.word	0                 /* res3 */
	.option pop

entry:
	csrw	sie, zero
	csrw	sip, zero
	lla	sp, boot_stack_top
	mv	s0, zero              /* end of the frame-pointer chain */
	mv	s1, a0
	mv	s2, a1

	/* Zero .tbss and .bss (aligned to 16 by the linker script). */
	lla	t0, __tbss_start
	lla	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	/* The FPU on: kernel code uses the hard-float ABI. */
	li	t0, SSTATUS_FS_INITIAL
	csrs	sstatus, t0
	fscsr	zero

	/* Page tables, MMU on (still running at the load address, which the
	 * early table maps too); a0 = link address - load address. */
	mv	a0, s2
	call	boot_mmu_early

	/* Jump to the link address; move the stack there too. */
	lla	t0, 1f
	add	t0, t0, a0
	jr	t0
1:	add	sp, sp, a0
	mv	s0, zero
	lla	tp, cpus + CPU_OFF_TLS  /* cpus[0]: picolibc's errno, this_cpu() */

	mv	a0, s1
	mv	a1, s2                /* physical address of the device tree */
	call	kernel_main
3:	wfi
	j	3b
	.cfi_endproc
	.size	_start, . - _start

/*
 * Secondary harts start here (SBI HSM hart_start, arch/riscv64/smp.c) in
 * S-mode with the MMU off: a0 = hart id, a1 = physical address of the
 * hart's struct cpu, whose boot_* fields the boot CPU filled in.  Turn
 * the MMU on with the boot identity table (which also maps the kernel
 * half), jump to the link address, and call smp_secondary_main(cpu).
 */
	.text
	.balign 4
	.globl riscv_secondary_entry
	.type	riscv_secondary_entry, @function
riscv_secondary_entry:
	.cfi_startproc
	.cfi_undefined ra
	csrw	sie, zero
	mv	s1, a1
	ld	sp, CPU_OFF_BOOT_SP(s1)
	mv	s0, zero
	li	t0, SSTATUS_FS_INITIAL
	csrs	sstatus, t0
	fscsr	zero
	ld	a0, CPU_OFF_BOOT_KROOT(s1)
	ld	a1, CPU_OFF_BOOT_IROOT(s1)
	call	arch_mmu_enable
	ld	t1, CPU_OFF_BOOT_VOFF(s1)
	lla	t0, 1f
	add	t0, t0, t1
	jr	t0
1:	add	sp, sp, t1
	add	s1, s1, t1              /* the struct at its link address */
	addi	tp, s1, CPU_OFF_TLS
	mv	s0, zero
	mv	a0, s1
	call	smp_secondary_main
2:	wfi
	j	2b
	.cfi_endproc
	.size	riscv_secondary_entry, . - riscv_secondary_entry

	.section .bss.boot_stack, "aw", @nobits
	.balign 16
	.globl boot_stack_bottom, boot_stack_top
boot_stack_bottom:
	.space	32768
boot_stack_top:
