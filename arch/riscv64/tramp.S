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
 * Stub register use (LP64D): t0 = the pair, t1 = the target; both are
 * caller-saved temporaries no argument uses.  It keeps a 32-byte frame:
 * a7 (the caller's 8th integer argument) at 0(sp), where the target finds
 * its 9th argument, and a frame record {s0, ra} at 16(sp), s0 pointing
 * above it, so frame-pointer walks and debuggers (its CFI) go from the
 * target through the stub into the caller.  It shifts a0..a6 to a1..a7
 * and loads the context into a0.  fa0-fa7, the callee-saved registers
 * and the results (a0/a1, fa0/fa1) are not touched.
 *
 * The page runs at every window's address, where debuggers find no
 * symbols: tools/gdb_check.py (and docs/testing.md's recipe) loads the
 * image's symbols again at a window's offset.
 */
#include <arch/tramp.h>

	.cfi_sections .debug_frame	/* with the C code's CFI: not loaded, for debuggers */

	.option	norvc			/* fixed 4-byte instructions: slots are 16 bytes */
	.section .text.tramp, "ax"
	.balign	4096
	.globl	tramp_page
tramp_page:
	.type	tramp_stub, @function
tramp_stub:
	.cfi_startproc
	addi	sp, sp, -32
	.cfi_def_cfa_offset 32
	sd	ra, 24(sp)
	sd	s0, 16(sp)
	.cfi_offset ra, -8
	.cfi_offset s0, -16
	addi	s0, sp, 32
	.cfi_def_cfa s0, 0
	sd	a7, 0(sp)		/* 8th caller argument -> 9th, on the stack */
	ld	t1, 0(t0)		/* target */
	mv	a7, a6
	mv	a6, a5
	mv	a5, a4
	mv	a4, a3
	mv	a3, a2
	mv	a2, a1
	mv	a1, a0
	ld	a0, 8(t0)		/* context */
	jalr	t1
	ld	ra, 24(sp)
	.cfi_restore ra
	ld	s0, 16(sp)
	.cfi_def_cfa sp, 32
	.cfi_restore s0
	addi	sp, sp, 32
	.cfi_def_cfa_offset 0
	ret
	.cfi_endproc
	.size	tramp_stub, . - tramp_stub
	.if	(. - tramp_page) > TRAMP_STUB_SIZE
	.error	"tramp_stub does not fit in TRAMP_STUB_SIZE"
	.endif
	.balign	TRAMP_STUB_SIZE, 0	/* zero words are illegal instructions */

	.globl	tramp_slots
	.type	tramp_slots, @function
tramp_slots:
	.cfi_startproc			/* nothing saved: the caller's frame as it was */
	.rept	TRAMP_PER_WINDOW
	auipc	t0, TRAMP_HOT_OFFSET >> 12	/* t0 = this slot + 4 KiB */
	j	tramp_stub
	.word	0, 0
	.endr
	.cfi_endproc
	.size	tramp_slots, . - tramp_slots
	/* The link checks that the page is exactly one page (kernel.ld.S). */
