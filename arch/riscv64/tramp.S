/*
 * The FFI trampoline page (kernel/exec/tramp.h; layout in arch/include/arch/tramp.h): one page of the
 * image, mapped again read+execute as the first page of every trampoline
 * window.  Position independent: it runs at every window's address.
 *
 * A trampoline (16 bytes) computes "own PC + 4 KiB", the address of its
 * {target, context} pair in the window's hot RW page, and jumps to the
 * shared stub.  The stub then needs no masking on the call path: the
 * window's power-of-two alignment is what lets lookups and the dead
 * handler go back from an address to its window (tramp.c).
 *
 * Stub register use (LP64D): t0 = the pair, then the context; t1 = the
 * target.  Both are caller-saved temporaries no argument uses.  It shifts
 * a0..a6 to a1..a7, stores a7 (the caller's 8th integer argument) at 0(sp)
 * where the target finds its 9th argument, and keeps ra at 8(sp): a
 * 16-byte frame, so sp stays 16-aligned.  fa0-fa7, the callee-saved
 * registers and the results (a0/a1, fa0/fa1) are not touched.
 */
#include <arch/tramp.h>

	.option	norvc			/* fixed 4-byte instructions: slots are 16 bytes */
	.section .text.tramp, "ax"
	.balign	4096
	.globl	tramp_page
tramp_page:
tramp_stub:
	ld	t1, 0(t0)		/* target */
	ld	t0, 8(t0)		/* context */
	addi	sp, sp, -16
	sd	a7, 0(sp)		/* 8th caller argument -> 9th, on the stack */
	sd	ra, 8(sp)
	mv	a7, a6
	mv	a6, a5
	mv	a5, a4
	mv	a4, a3
	mv	a3, a2
	mv	a2, a1
	mv	a1, a0
	mv	a0, t0
	jalr	t1
	ld	ra, 8(sp)
	addi	sp, sp, 16
	ret
	.if	(. - tramp_page) > TRAMP_STUB_SIZE
	.error	"tramp_stub does not fit in TRAMP_STUB_SIZE"
	.endif
	.balign	TRAMP_STUB_SIZE, 0	/* zero words are illegal instructions */

	.globl	tramp_slots
tramp_slots:
	.rept	TRAMP_PER_WINDOW
	auipc	t0, TRAMP_HOT_OFFSET >> 12	/* t0 = this slot + 4 KiB */
	j	tramp_stub
	.word	0, 0
	.endr
	/* The link checks that the page is exactly one page (kernel.ld.S). */
