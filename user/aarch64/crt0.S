/*
 * arm64 process entry.  Linux starts a static program with sp at argc,
 * followed by argv[], NULL, envp[], NULL, then the auxiliary vector;
 * x0 may hold a termination function for a dynamic linker, meaningless
 * for a static program.  __ustart() (user/lib/ustart.c) reads that block
 * and never returns.
 */
	.section .text.start, "ax"
	.globl	_start
	.type	_start, %function
_start:
	mov	x0, sp
	mov	x29, #0		/* the end of every backtrace */
	mov	x30, #0
	bl	__ustart
1:	b	1b
	.size	_start, . - _start
