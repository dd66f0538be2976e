/*
 * The kernel's linker script, preprocessed per board with
 *   -DLD_ARCH=<riscv|aarch64> -DTEXT_OFFSET=<the board's offset into RAM>;
 * the image is linked at KERNEL_IMAGE_BASE + TEXT_OFFSET (mm/layout.h).
 * The image is position independent until the MMU is on (it runs at its
 * physical load address first, see mm/boot/boot_mmu.c).
 *
 * Three loadable segments, each page-aligned so the MMU can give each its
 * own permissions: text (R+X), rodata (R), data+bss (R+W).  No segment is
 * writable and executable.  The symbol table (.rodata.ksyms) is the last
 * thing in rodata, so filling it in on the second link pass moves no code.
 */
#include <arch/cpu.h>
#include <mm/layout.h>

#define PAGE 4096

OUTPUT_ARCH(LD_ARCH)
ENTRY(_start)

PHDRS
{
	text   PT_LOAD FLAGS(5);   /* R X */
	rodata PT_LOAD FLAGS(4);   /* R   */
	data   PT_LOAD FLAGS(6);   /* R W */
	tls    PT_TLS;
}

SECTIONS
{
	. = KERNEL_IMAGE_BASE + TEXT_OFFSET;
	__image_start = .;

	.text : {
		__text_start = .;
		KEEP(*(.text.head))
		*(.text.unlikely .text.unlikely.*)
		/* The FFI trampoline page (arch/<arch>/tramp.S): exactly one
		 * page, page-aligned, so it can be mapped again on its own. */
		. = ALIGN(PAGE);
		__tramp_start = .;
		KEEP(*(.text.tramp))
		__tramp_end = .;
		*(.text .text.*)
	} :text
	. = ALIGN(PAGE);
	__text_end = .;

	.rodata : {
		__rodata_start = .;
		*(.rodata .rodata.* .srodata .srodata.*)
	} :rodata
	ktest_suites : ALIGN(8) {
		__start_ktest_suites = .;
		KEEP(*(ktest_suites))
		__stop_ktest_suites = .;
	} :rodata
	shell_cmds : ALIGN(8) {
		__start_shell_cmds = .;
		KEEP(*(shell_cmds))
		__stop_shell_cmds = .;
	} :rodata
	ex_table : ALIGN(8) {
		__start_ex_table = .;
		KEEP(*(ex_table))
		__stop_ex_table = .;
	} :rodata
	bench_cases : ALIGN(8) {
		__start_bench_cases = .;
		KEEP(*(bench_cases))
		__stop_bench_cases = .;
	} :rodata
	bench_sweeps : ALIGN(8) {
		__start_bench_sweeps = .;
		KEEP(*(bench_sweeps))
		__stop_bench_sweeps = .;
	} :rodata
	.eh_frame : { *(.eh_frame .eh_frame_hdr) } :rodata
	.ksyms : ALIGN(8) { KEEP(*(.rodata.ksyms)) } :rodata
	. = ALIGN(PAGE);
	__rodata_end = .;

	.data : {
		__data_start = .;
		*(.data .data.*)
		. = ALIGN(8);
		PROVIDE(__global_pointer$ = . + 0x800);
		*(.sdata .sdata.*)
	} :data
	/* Thread-local storage of the boot CPU (picolibc keeps errno there). */
	.tdata : ALIGN(16) {
		__tls_base = .;
		*(.tdata .tdata.*)
	} :data :tls
	.tbss : ALIGN(16) {
		*(.tbss .tbss.*)
		. = ALIGN(16);
	} :data :tls
	/* .tbss takes no room in the data segment; make it real memory. */
	__tbss_start = __tls_base + SIZEOF(.tdata);
	. = __tls_base + SIZEOF(.tdata) + SIZEOF(.tbss);
	__tls_end = .;
	__tls_align = MAX(ALIGNOF(.tdata), ALIGNOF(.tbss));
	__arm64_tls_tcb_offset = MAX(16, __tls_align);

	.bss (NOLOAD) : ALIGN(16) {
		__bss_start = .;
		*(.sbss .sbss.*)
		*(.bss .bss.*)
		*(COMMON)
		. = ALIGN(16);
		__bss_end = .;
	} :data
	. = ALIGN(PAGE);
	__data_end = .;
	__image_end = .;
	__image_size = __image_end - __image_start;

	ASSERT(__tramp_end - __tramp_start == PAGE, "the trampoline page must be exactly one page")
	ASSERT(__tls_end - __tls_base <= CPU_TLS_SIZE, "thread-local data outgrew struct cpu's TLS block (arch/cpu.h)")

	/DISCARD/ : { *(.note .note.* .comment .riscv.attributes) }
}
