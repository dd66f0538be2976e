/*
 * The FFI trampoline page (kernel/exec/tramp.h; layout in arch/include/arch/tramp.h): one page of the
 * image, mapped again read+execute as the first page of every trampoline
 * window.  Position independent: it runs at every window's address.
 *
 * A trampoline (16 bytes) computes "own PC + 4 KiB", the address of its
 * {target, context} pair in the window's hot RW page, and branches to the
 * shared stub.  The stub then needs no masking on the call path: the
 * window's power-of-two alignment is what lets lookups and the dead
 * handler go back from an address to its window (tramp.c).
 *
 * Stub register use (AAPCS64): x16/x17 (IP0/IP1, free for veneers at any
 * call) hold the target and the context.  It keeps a 32-byte frame: a
 * frame record {x29, x30} at its top, x29 pointing at it, so frame-pointer
 * walks and debuggers (its CFI) go from the target through the stub into
 * the caller, and x7 (the caller's 8th integer argument) at [sp], the
 * target's 9th argument.  x0..x6 shift to x1..x7.  v0-v7, x8 (indirect
 * result), the callee-saved registers and the results (x0/x1, v0-v3) are
 * not touched.
 *
 * The page runs at every window's address, where debuggers find no
 * symbols: tools/gdb_check.py (and docs/testing.md's recipe) loads the
 * image's symbols again at a window's offset.
 */
#include <arch/tramp.h>

	.cfi_sections .debug_frame	/* with the C code's CFI: not loaded, for debuggers */

	.section .text.tramp, "ax"
	.balign	4096
	.globl	tramp_page
tramp_page:
	.type	tramp_stub, @function
tramp_stub:
	.cfi_startproc
	stp	x29, x30, [sp, #-16]!
	.cfi_def_cfa_offset 16
	.cfi_offset x29, -16
	.cfi_offset x30, -8
	mov	x29, sp
	str	x7, [sp, #-16]!		/* 8th caller argument -> 9th, on the stack */
	.cfi_def_cfa_offset 32
	ldp	x16, x17, [x16]		/* target, context */
	mov	x7, x6
	mov	x6, x5
	mov	x5, x4
	mov	x4, x3
	mov	x3, x2
	mov	x2, x1
	mov	x1, x0
	mov	x0, x17
	blr	x16
	ldp	x29, x30, [sp, #16]
	.cfi_restore x29
	.cfi_restore x30
	add	sp, sp, #32
	.cfi_def_cfa_offset 0
	ret
	.cfi_endproc
	.size	tramp_stub, . - tramp_stub
	.if	(. - tramp_page) > TRAMP_STUB_SIZE
	.error	"tramp_stub does not fit in TRAMP_STUB_SIZE"
	.endif
	.balign	TRAMP_STUB_SIZE, 0	/* zero words are undefined instructions */

	.globl	tramp_slots
	.type	tramp_slots, @function
tramp_slots:
	.cfi_startproc			/* nothing saved: the caller's frame as it was */
	.rept	TRAMP_PER_WINDOW
	adr	x16, . + TRAMP_HOT_OFFSET	/* x16 = this slot + 4 KiB */
	b	tramp_stub
	.word	0, 0
	.endr
	.cfi_endproc
	.size	tramp_slots, . - tramp_slots
	/* The link checks that the page is exactly one page (kernel.ld.S). */
