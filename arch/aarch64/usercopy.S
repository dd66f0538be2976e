/*
 * The user-copy loop (mm/usercopy.c).  Each load and store that touches
 * user memory has an ex_table entry: when it faults and the fault cannot
 * be resolved, the trap handler resumes at 9f, which returns the number
 * of bytes left.  Doublewords while both pointers are 8-aligned, bytes
 * otherwise.  The accesses are unprivileged (LDTR/STTR, Arm ARM C6.2):
 * they are checked with EL0's permissions, as the user's own would be.
 * Only the user side is unprivileged; the kernel buffer is accessed
 * normally, so each direction has its own loads and stores.
 */
#define EX(insn, fix) \
	.pushsection ex_table, "a"; .balign 8; .quad insn, fix; .popsection

	.cfi_sections .debug_frame
	.text
	.globl arch_copy_from_user, arch_copy_to_user
	.balign 16
	.type	arch_copy_from_user, @function
	.type	arch_copy_to_user, @function
	.type	copy, @function
arch_copy_from_user:		/* x0 = dst, x1 = user src, x2 = n; returns bytes left */
	.cfi_startproc
	mov	x5, #1
	b	copy
arch_copy_to_user:		/* x0 = user dst, x1 = src, x2 = n */
	mov	x5, #2

copy:
	orr	x4, x0, x1
	tst	x4, #7
	b.ne	2f
1:	cmp	x2, #8
	b.lo	2f
	cmp	x5, #1
	b.ne	30f
20:	ldtr	x3, [x1]		/* from user */
21:	str	x3, [x0]
	b	40f
30:	ldr	x3, [x1]		/* to user */
31:	sttr	x3, [x0]
40:	add	x0, x0, #8
	add	x1, x1, #8
	sub	x2, x2, #8
	b	1b
2:	cbz	x2, 9f
	cmp	x5, #1
	b.ne	32f
22:	ldtrb	w3, [x1]
23:	strb	w3, [x0]
	b	41f
32:	ldrb	w3, [x1]
33:	sttrb	w3, [x0]
41:	add	x0, x0, #1
	add	x1, x1, #1
	sub	x2, x2, #1
	b	2b
9:	mov	x0, x2
	ret
	.cfi_endproc
	.size	arch_copy_from_user, . - arch_copy_from_user
	.size	arch_copy_to_user, . - arch_copy_to_user
	.size	copy, . - copy
	EX(20b, 9b)
	EX(21b, 9b)
	EX(22b, 9b)
	EX(23b, 9b)
	EX(30b, 9b)
	EX(31b, 9b)
	EX(32b, 9b)
	EX(33b, 9b)
