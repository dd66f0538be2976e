/*
 * aarch64 entry, per the Linux arm64 boot protocol
 * (Documentation/arch/arm64/booting.rst): x0 = physical address of the
 * device tree, MMU off, entered at EL2 or non-secure EL1 on the boot CPU;
 * the other CPUs wait in the firmware (PSCI CPU_ON starts them, later).
 *
 * The image starts with the arm64 Image header so QEMU -kernel and U-Boot
 * booti load it like a Linux Image.
 */
#include <arch/cpu.h>
#include <arch/trap_frame.h>

#define HCR_RW          (1 << 31)          /* EL1 is AArch64 */
#define SCTLR_EL1_RES1  0x30d00800         /* RES1 bits of ARMv8.0 */
#define SPSR_EL1H_MASKED 0x3c5             /* EL1h, D A I F masked */
#define CPACR_FPEN      (3 << 20)          /* no FP/SIMD traps at EL1/EL0 */

	.section .text.head, "ax"
	.globl _start
_start:
	b	entry                    /* code0 */
	.word	0                    /* code1 */
	.quad	TEXT_OFFSET          /* image load offset from 2 MiB-aligned base */
	.quad	__image_size         /* effective image size, bss included */
	.quad	0xa                  /* flags: LE, 4K pages, placement anywhere */
	.quad	0, 0, 0              /* res2-res4 */
	.ascii	"ARM\x64"            /* magic */
	.word	0                    /* res5 (no PE/COFF header) */

entry:
	mov	x19, x0                  /* keep the device tree pointer */
	mrs	x1, CurrentEL
	lsr	x1, x1, #2
	cmp	x1, #2
	b.eq	from_el2
	cmp	x1, #1
	b.eq	at_el1
	/* EL3 is not a boot state the protocol allows. */
1:	wfe
	b	1b

from_el2:
	/* Hand EL1 a clean, non-trapping environment and drop to it. */
	mov	x1, #HCR_RW
	msr	hcr_el2, x1
	mrs	x1, cnthctl_el2
	orr	x1, x1, #3               /* EL1PCTEN | EL1PCEN: timers at EL1 */
	msr	cnthctl_el2, x1
	msr	cntvoff_el2, xzr
	mov	x1, #0x33ff              /* CPTR_EL2: no FP/SIMD traps */
	msr	cptr_el2, x1
	msr	hstr_el2, xzr
	msr	vttbr_el2, xzr
	mrs	x1, midr_el1             /* what EL1 reads as its IDs */
	msr	vpidr_el2, x1
	mrs	x1, mpidr_el1
	msr	vmpidr_el2, x1
	ldr	x1, =SCTLR_EL1_RES1
	msr	sctlr_el1, x1
	mov	x1, #SPSR_EL1H_MASKED
	msr	spsr_el2, x1
	adr	x1, at_el1
	msr	elr_el2, x1
	eret

at_el1:
	msr	daifset, #0xf
	ldr	x1, =SCTLR_EL1_RES1      /* MMU and caches off until set up */
	msr	sctlr_el1, x1
	mov	x1, #CPACR_FPEN
	msr	cpacr_el1, x1
	isb
	adrp	x1, boot_stack_top
	add	x1, x1, :lo12:boot_stack_top
	mov	sp, x1
	mov	x29, xzr                 /* end of the frame-pointer chain */
	mov	x30, xzr

	/* Zero .tbss and .bss with plain aligned stores: with the MMU off
	 * memory is Device memory, where DC ZVA and unaligned accesses fault.
	 * Everything up to boot_mmu_early() is PC-relative: the image is
	 * linked at its virtual address and runs at its load address here. */
	adrp	x1, __tbss_start
	add	x1, x1, :lo12:__tbss_start
	adrp	x2, __bss_end
	add	x2, x2, :lo12:__bss_end
2:	cmp	x1, x2
	b.hs	3f
	str	xzr, [x1], #8
	b	2b
3:
	/* Page tables, MMU on (still at the load address, which the early
	 * identity table maps); x0 = link address - load address. */
	mov	x0, x19
	bl	boot_mmu_early

	/* Jump to the link address; move the stack there too. */
	adr	x1, 4f
	add	x1, x1, x0
	br	x1
4:	mov	x1, sp
	add	sp, x1, x0
	mov	x29, xzr
	mov	x30, xzr
	adrp	x0, cpus                 /* cpus[0]: this_cpu() */
	add	x0, x0, :lo12:cpus
	msr	tpidr_el1, x0
	add	x0, x0, #CPU_OFF_TLS
	bl	_set_tls                 /* picolibc's thread-local errno */

	mrs	x2, mpidr_el1            /* the CPU's id: Aff3..Aff0 */
	and	x0, x2, #0xffffff
	lsr	x2, x2, #32
	and	x2, x2, #0xff
	orr	x0, x0, x2, lsl #32
	mov	x1, x19                  /* physical address of the device tree */
	bl	kernel_main
5:	wfi
	b	5b

	.section .bss.boot_stack, "aw", %nobits
	.balign 16
	.globl boot_stack_bottom, boot_stack_top
boot_stack_bottom:
	.space	32768
boot_stack_top:
