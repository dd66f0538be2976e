/*
 * riscv64 process entry.  Linux starts a static program with sp at argc,
 * followed by argv[], NULL, envp[], NULL, then the auxiliary vector
 * (psABI, "Process initialization"); a0 may hold a termination function
 * for a dynamic linker, meaningless for a static program.  __ustart()
 * (user/lib/ustart.c) reads that block and never returns.
 */
	.section .text.start, "ax"
	.globl	_start
	.type	_start, @function
_start:
	mv	a0, sp
	li	ra, 0		/* the end of every backtrace */
	li	s0, 0
	andi	sp, sp, -16
	call	__ustart
1:	j	1b
	.size	_start, . - _start
