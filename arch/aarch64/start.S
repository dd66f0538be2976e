/*
 * aarch64 entry, per the Linux arm64 boot protocol
 * (Documentation/arch/arm64/booting.rst): x0 = physical address of the
 * device tree, MMU off, entered at EL2 or non-secure EL1 on the boot CPU;
 * the other CPUs wait in the firmware until the boot CPU starts them
 * (aarch64_secondary_entry below, arch/aarch64/smp.c).
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

	.cfi_sections .debug_frame

	.section .text.head, "ax"
	.globl _start
	.type	_start, @function
_start:
	.cfi_startproc
	.cfi_undefined x30           /* the outermost frame: debuggers stop here */
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
	bl	to_el1
	b	at_el1

/*
 * Return to the caller at EL1h, everything masked: from EL2 after handing
 * EL1 a clean, non-trapping environment; from EL1 at once.  EL3 is not a
 * boot state the protocol allows: stop there.  Clobbers x1.
 */
to_el1:
	mrs	x1, CurrentEL
	lsr	x1, x1, #2
	cmp	x1, #1
	b.eq	2f
	cmp	x1, #2
	b.eq	1f
3:	wfe
	b	3b
1:	mov	x1, #HCR_RW
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
	msr	elr_el2, x30
	eret
2:	ret

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
	mrs	x0, tpidr_el0            /* kept for trap entry from EL0 */
	mrs	x1, tpidr_el1
	str	x0, [x1, #CPU_OFF_KERNEL_TP]

	mrs	x2, mpidr_el1            /* the CPU's id: Aff3..Aff0 */
	and	x0, x2, #0xffffff
	lsr	x2, x2, #32
	and	x2, x2, #0xff
	orr	x0, x0, x2, lsl #32
	mov	x1, x19                  /* physical address of the device tree */
	bl	kernel_main
5:	wfi
	b	5b
	.cfi_endproc
	.size	_start, . - _start

/*
 * Secondary CPUs start here with the MMU off, at EL2 or EL1: from PSCI
 * CPU_ON with x0 = the physical address of the CPU's struct cpu (the
 * context id, arch/aarch64/smp.c), or from a spin table at
 * aarch64_spin_entry, which finds the struct by MPIDR_EL1 first.  Turn
 * the MMU on with the kernel table and the boot identity table (the
 * struct's boot_* fields, cleaned to memory by the boot CPU), jump to the
 * link address, and call smp_secondary_main(cpu).
 */
	.text
	.balign	4
	.globl	aarch64_spin_entry
	.type	aarch64_spin_entry, @function
aarch64_spin_entry:
	.cfi_startproc
	.cfi_undefined x30
	mrs	x2, mpidr_el1
	and	x1, x2, #0xffffff
	lsr	x2, x2, #32
	and	x2, x2, #0xff
	orr	x1, x1, x2, lsl #32
	adrp	x0, cpus
	add	x0, x0, :lo12:cpus
	mov	x2, #CPU_MAX
1:	ldr	x3, [x0, #CPU_OFF_HWID]
	ldr	x4, [x0, #CPU_OFF_BOOT_SP]
	cmp	x3, x1
	ccmp	x4, xzr, #4, eq          /* a prepared slot with our id */
	b.ne	aarch64_secondary_entry
	add	x0, x0, #CPU_STRUCT_SIZE
	subs	x2, x2, #1
	b.ne	1b
2:	wfe                              /* not ours to run: stay parked */
	b	2b

	.globl	aarch64_secondary_entry
aarch64_secondary_entry:
	mov	x20, x0
	bl	to_el1
	msr	daifset, #0xf
	ldr	x1, =SCTLR_EL1_RES1
	msr	sctlr_el1, x1
	mov	x1, #CPACR_FPEN
	msr	cpacr_el1, x1
	isb
	ldr	x1, [x20, #CPU_OFF_BOOT_SP]
	mov	sp, x1
	mov	x29, xzr
	mov	x30, xzr
	ldr	x0, [x20, #CPU_OFF_BOOT_KROOT]
	ldr	x1, [x20, #CPU_OFF_BOOT_IROOT]
	bl	arch_mmu_enable
	ldr	x2, [x20, #CPU_OFF_BOOT_VOFF]
	adr	x1, 3f
	add	x1, x1, x2
	br	x1
3:	mov	x1, sp
	add	sp, x1, x2
	add	x20, x20, x2             /* the struct at its link address */
	msr	tpidr_el1, x20
	add	x0, x20, #CPU_OFF_TLS
	bl	_set_tls
	mrs	x0, tpidr_el0            /* kept for trap entry from EL0 */
	str	x0, [x20, #CPU_OFF_KERNEL_TP]
	mov	x29, xzr
	mov	x30, xzr
	mov	x0, x20
	bl	smp_secondary_main
4:	wfi
	b	4b
	.cfi_endproc
	.size	aarch64_spin_entry, . - aarch64_spin_entry

	.section .bss.boot_stack, "aw", %nobits
	.balign 16
	.globl boot_stack_bottom, boot_stack_top
boot_stack_bottom:
	.space	32768
boot_stack_top:
