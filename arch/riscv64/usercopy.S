/*
 * The user-copy loop (mm/usercopy.c).  Each load and store that touches
 * user memory has an ex_table entry: when it faults and the fault cannot
 * be resolved, the trap handler resumes at 9f, which returns the number
 * of bytes left.  Doublewords while both pointers are 8-aligned, bytes
 * otherwise.
 */
#define EX(insn, fix) \
	.pushsection ex_table, "a"; .balign 8; .dword insn, fix; .popsection

	.cfi_sections .debug_frame
	.text
	.globl arch_copy_from_user, arch_copy_to_user
	.balign 4
	.type	arch_copy_from_user, @function
	.type	arch_copy_to_user, @function
arch_copy_from_user:		/* a0 = dst, a1 = src, a2 = n; returns bytes left */
	.cfi_startproc
arch_copy_to_user:		/* one loop: sstatus.SUM opens user pages both ways */
	or	t1, a0, a1
	andi	t1, t1, 7
	bnez	t1, 2f
1:	li	t1, 8
	bltu	a2, t1, 2f
10:	ld	t0, 0(a1)
11:	sd	t0, 0(a0)
	addi	a0, a0, 8
	addi	a1, a1, 8
	addi	a2, a2, -8
	j	1b
2:	beqz	a2, 3f
12:	lbu	t0, 0(a1)
13:	sb	t0, 0(a0)
	addi	a0, a0, 1
	addi	a1, a1, 1
	addi	a2, a2, -1
	j	2b
3:
9:	mv	a0, a2
	ret
	.cfi_endproc
	.size	arch_copy_from_user, . - arch_copy_from_user
	.size	arch_copy_to_user, . - arch_copy_to_user
	EX(10b, 9b)
	EX(11b, 9b)
	EX(12b, 9b)
	EX(13b, 9b)
