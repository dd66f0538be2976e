/*
 * riscv64 data-cache maintenance: the Zicbom extension's cbo.clean,
 * cbo.inval and cbo.flush (RISC-V CMO spec v1.0, 2.5.1), one cache block
 * at a time, block size from the device tree's riscv,cbom-block-size.
 * The base ISA has no such instructions: a hart without Zicbom gets
 * E_NOTSUP and nothing is done.  Written with .insn so that the
 * assembler need not know the extension: MISC-MEM opcode, funct3 2,
 * rd x0, the operation in imm (0 inval, 1 clean, 2 flush).
 *
 * Svpbmt (the page-based memory types the PTE encoder uses) is read from
 * the same riscv,isa string.
 */
#include <string.h>
#include <arch/arch.h>
#include <lib/err.h>
#include <lib/fdt.h>
#include "riscv_internal.h"

extern int riscv_has_svpbmt;   /* mmu.c */
static unsigned cbom_block;    /* 0: no Zicbom */

/* Whether the ISA string @isa ("rv64imafdc_zicsr_...") names extension @ext. */
static int isa_has(const char *isa, const char *ext)
{
	size_t n = strlen(ext);

	for (const char *p = strchr(isa, '_'); p; p = strchr(p + 1, '_'))
		if (!strncmp(p + 1, ext, n) && (p[1 + n] == '_' || !p[1 + n]))
			return 1;
	return 0;
}

/* Whether the string list @prop of @node (riscv,isa-extensions) has @ext. */
static int list_has(const struct fdt *fdt, int node, const char *prop, const char *ext)
{
	const void *val;
	const char *s;
	uint32_t len = 0;

	if (fdt_getprop(fdt, node, prop, &val, &len) != E_OK)
		return 0;
	s = val;
	/* A list of NUL-terminated strings; a last one without its NUL is ignored. */
	for (uint32_t i = 0; i < len; i += (uint32_t)strnlen(s + i, len - i) + 1)
		if (!strncmp(s + i, ext, len - i) && strnlen(s + i, len - i) == strlen(ext))
			return 1;
	return 0;
}

static int cpu_has(const struct fdt *fdt, int node, const char *ext)
{
	const char *isa = fdt_getprop_str(fdt, node, "riscv,isa");

	return (isa && isa_has(isa, ext)) || list_has(fdt, node, "riscv,isa-extensions", ext);
}

/*
 * Every hart the kernel may run on must have an extension before it is
 * used: the first cpu node without it turns it off.
 */
void riscv_cache_fdt_init(const struct fdt *fdt)
{
	int cpus = fdt_path_offset(fdt, "/cpus"), zicbom = 1, svpbmt = 1, any = 0;
	uint32_t block = 0;

	for (int n = cpus >= 0 ? fdt_first_child(fdt, cpus) : -1; n >= 0;
	     n = fdt_next_sibling(fdt, n)) {
		const char *type = fdt_getprop_str(fdt, n, "device_type");
		uint32_t b;

		if (!type || strcmp(type, "cpu"))
			continue;
		any = 1;
		zicbom &= cpu_has(fdt, n, "zicbom") &&
		          fdt_getprop_u32(fdt, n, "riscv,cbom-block-size", &b) == E_OK && b &&
		          !(b & (b - 1)) && (!block || b == block);
		if (zicbom)
			block = b;
		svpbmt &= cpu_has(fdt, n, "svpbmt");
	}
	cbom_block = any && zicbom ? block : 0;
	riscv_has_svpbmt = any && svpbmt;
}

unsigned arch_cache_line(void)
{
	return cbom_block;
}

int arch_cache_maint(unsigned op, void *va, size_t len)
{
	uintptr_t p = (uintptr_t)va & ~(uintptr_t)(cbom_block - 1), end = (uintptr_t)va + len;

	if (!op || (op & ~ARCH_CACHE_FLUSH))
		return E_INVAL;
	if (!cbom_block)
		return E_NOTSUP;
	__asm__ volatile("fence rw, rw" ::: "memory");
	for (; p < end; p += cbom_block) {
		if (op == ARCH_CACHE_CLEAN)
			__asm__ volatile(".insn i 0x0f, 2, x0, %0, 1" ::"r"(p) : "memory");
		else if (op == ARCH_CACHE_INVAL)
			__asm__ volatile(".insn i 0x0f, 2, x0, %0, 0" ::"r"(p) : "memory");
		else
			__asm__ volatile(".insn i 0x0f, 2, x0, %0, 2" ::"r"(p) : "memory");
	}
	__asm__ volatile("fence rw, rw" ::: "memory");
	return E_OK;
}
