/*
 * aarch64 data-cache maintenance by virtual address (Arm ARM D7.5.9
 * "Data cache maintenance instructions"): DC CVAC cleans, DC IVAC
 * invalidates, DC CIVAC does both, each to the point of coherency, one
 * line at a time; the smallest line size is CTR_EL0.DminLine (D19.2.33).
 * DC IVAC is allowed at EL1 (it would be a clean and invalidate if EL2
 * said so).  A DSB SY completes them before the caller goes on, as DMA
 * set-up needs.
 */
#include <arch/arch.h>
#include <arch/sysreg.h>
#include <lib/err.h>

unsigned arch_cache_line(void)
{
	return 4u << ((sysreg_read(ctr_el0) >> 16) & 0xf);
}

int arch_cache_maint(unsigned op, void *va, size_t len)
{
	uintptr_t line = arch_cache_line();
	uintptr_t p = (uintptr_t)va & ~(line - 1), end = (uintptr_t)va + len;

	if (!op || (op & ~ARCH_CACHE_FLUSH))
		return E_INVAL;
	dsb(sy);
	for (; p < end; p += line) {
		if (op == ARCH_CACHE_CLEAN)
			__asm__ volatile("dc cvac, %0" ::"r"(p) : "memory");
		else if (op == ARCH_CACHE_INVAL)
			__asm__ volatile("dc ivac, %0" ::"r"(p) : "memory");
		else
			__asm__ volatile("dc civac, %0" ::"r"(p) : "memory");
	}
	dsb(sy);
	return E_OK;
}
