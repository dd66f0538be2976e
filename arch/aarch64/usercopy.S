/*
 * The user-copy loop (mm/usercopy.c).  Each load and store that touches
 * user memory has an ex_table entry: when it faults and the fault cannot
 * be resolved, the trap handler resumes at 9f, which returns the number
 * of bytes left.  Doublewords while both pointers are 8-aligned, bytes
 * otherwise.
 */
#define EX(insn, fix) \
	.pushsection ex_table, "a"; .balign 8; .quad insn, fix; .popsection

	.text
	.globl arch_copy_user
	.balign 16
arch_copy_user:			/* x0 = dst, x1 = src, x2 = n; returns bytes left */
	orr	x4, x0, x1
	tst	x4, #7
	b.ne	2f
1:	cmp	x2, #8
	b.lo	2f
10:	ldr	x3, [x1], #8
11:	str	x3, [x0], #8
	sub	x2, x2, #8
	b	1b
2:	cbz	x2, 9f
12:	ldrb	w3, [x1], #1
13:	strb	w3, [x0], #1
	sub	x2, x2, #1
	b	2b
9:	mov	x0, x2
	ret
	EX(10b, 9b)
	EX(11b, 9b)
	EX(12b, 9b)
	EX(13b, 9b)
