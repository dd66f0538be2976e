/*
 * Page clear and copy for riscv64: 64 bytes per loop iteration with
 * unrolled doubleword stores (and loads).  Zicboz's cbo.zero would clear
 * a cache block per instruction, but no hart this runs on has it yet.
 */
	.cfi_sections .debug_frame
	.text
	.globl arch_clear_page
	.balign 4
	.type	arch_clear_page, @function
arch_clear_page:			/* a0 = page */
	.cfi_startproc
	li	t0, 4096
	add	t0, a0, t0
1:	sd	zero, 0(a0)
	sd	zero, 8(a0)
	sd	zero, 16(a0)
	sd	zero, 24(a0)
	sd	zero, 32(a0)
	sd	zero, 40(a0)
	sd	zero, 48(a0)
	sd	zero, 56(a0)
	sd	zero, 64(a0)
	sd	zero, 72(a0)
	sd	zero, 80(a0)
	sd	zero, 88(a0)
	sd	zero, 96(a0)
	sd	zero, 104(a0)
	sd	zero, 112(a0)
	sd	zero, 120(a0)
	addi	a0, a0, 128
	bne	a0, t0, 1b
	ret
	.cfi_endproc
	.size	arch_clear_page, . - arch_clear_page

	.globl arch_copy_page
	.balign 4
	.type	arch_copy_page, @function
arch_copy_page:				/* a0 = dst, a1 = src */
	.cfi_startproc
	li	t0, 4096
	add	t0, a0, t0
1:	ld	a2, 0(a1)
	ld	a3, 8(a1)
	ld	a4, 16(a1)
	ld	a5, 24(a1)
	ld	a6, 32(a1)
	ld	a7, 40(a1)
	ld	t1, 48(a1)
	ld	t2, 56(a1)
	sd	a2, 0(a0)
	sd	a3, 8(a0)
	sd	a4, 16(a0)
	sd	a5, 24(a0)
	sd	a6, 32(a0)
	sd	a7, 40(a0)
	sd	t1, 48(a0)
	sd	t2, 56(a0)
	addi	a1, a1, 64
	addi	a0, a0, 64
	bne	a0, t0, 1b
	ret
	.cfi_endproc
	.size	arch_copy_page, . - arch_copy_page
