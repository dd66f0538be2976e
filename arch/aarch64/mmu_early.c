/*
 * aarch64 boot-time identity map, built with the MMU off and switched on
 * before any C library code runs: with the MMU off every data access is
 * Device-nGnRnE, where unaligned accesses and DC ZVA fault (Arm ARM
 * B2.7.2), and picolibc's string routines use both.
 *
 * 4 KiB granule, 39-bit VA (T0SZ = 25), lookup from level 1:
 *   [0, 1 GiB)           device nGnRE, never executable (the UART, GIC, ...)
 *   [1 GiB, 256 GiB)     normal write-back RW, never executable, in 1 GiB
 *                        blocks, except the GiB holding the kernel image
 *   kernel image         4 KiB pages: text RX, rodata R, data/bss RW XN
 * SCTLR_EL1.WXN is set as well, so no writable page can ever execute.
 * This map is replaced by the page-table layer's kernel map later in boot.
 */
#include <stdint.h>
#include <arch/sysreg.h>

void aarch64_mmu_early(void);

extern char __image_start[], __image_end[], __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];

#define PAGE_SIZE   4096UL
#define L1_SHIFT    30
#define L2_SHIFT    21
#define ENTRIES     512

#define DESC_TABLE  3UL
#define DESC_BLOCK  1UL
#define DESC_PAGE   3UL
#define ATTR_DEVICE (0UL << 2)        /* MAIR index 0 */
#define ATTR_NORMAL (1UL << 2)        /* MAIR index 1 */
#define AP_RO       (2UL << 6)
#define SH_INNER    (3UL << 8)
#define AF          (1UL << 10)
#define PXN         (1UL << 53)
#define UXN         (1UL << 54)
#define XN          (PXN | UXN)

#define MAIR_VALUE  (0x04UL | (0xffUL << 8))   /* nGnRE, normal WBWA */
#define TCR_T0SZ    25UL
#define TCR_IRGN0_WBWA (1UL << 8)
#define TCR_ORGN0_WBWA (1UL << 10)
#define TCR_SH0_INNER  (3UL << 12)
#define TCR_EPD1       (1UL << 23)
#define TCR_IPS_SHIFT  32
#define SCTLR_RES1  0x30d00800UL
#define SCTLR_M     (1UL << 0)
#define SCTLR_C     (1UL << 2)
#define SCTLR_SA    (1UL << 3)
#define SCTLR_I     (1UL << 12)
#define SCTLR_WXN   (1UL << 19)

#define MAX_L3      2   /* the image may span two 2 MiB regions */

static uint64_t l1[ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t l2[ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t l3[MAX_L3][ENTRIES] __attribute__((aligned(PAGE_SIZE)));

/* Stores one at a time: no vector stores while memory is Device. */
static void set(uint64_t *slot, uint64_t val)
{
	*(volatile uint64_t *)slot = val;
}

static uint64_t page_attrs(uintptr_t pa)
{
	uintptr_t text = (uintptr_t)__text_start, etext = (uintptr_t)__text_end;
	uintptr_t ro = (uintptr_t)__rodata_start, ero = (uintptr_t)__rodata_end;

	if (pa >= text && pa < etext)
		return ATTR_NORMAL | SH_INNER | AF | AP_RO | UXN;
	if (pa >= ro && pa < ero)
		return ATTR_NORMAL | SH_INNER | AF | AP_RO | XN;
	return ATTR_NORMAL | SH_INNER | AF | XN;
}

void aarch64_mmu_early(void)
{
	uintptr_t start = (uintptr_t)__image_start, end = (uintptr_t)__image_end;
	unsigned kgib = start >> L1_SHIFT;
	unsigned first2m = (start >> L2_SHIFT) & (ENTRIES - 1);
	unsigned last2m = ((end - 1) >> L2_SHIFT) & (ENTRIES - 1);

	if ((end - 1) >> L1_SHIFT != kgib || last2m - first2m >= MAX_L3)
		for (;;)   /* image too large for this map: nothing to report with */
			__asm__ volatile("wfe");

	set(&l1[0], 0 | DESC_BLOCK | ATTR_DEVICE | AF | XN);
	for (unsigned i = 1; i < ENTRIES / 2; i++)
		set(&l1[i], ((uint64_t)i << L1_SHIFT) | DESC_BLOCK | ATTR_NORMAL |
		            SH_INNER | AF | XN);
	set(&l1[kgib], (uintptr_t)l2 | DESC_TABLE);

	for (unsigned i = 0; i < ENTRIES; i++) {
		uint64_t pa = ((uint64_t)kgib << L1_SHIFT) | ((uint64_t)i << L2_SHIFT);

		set(&l2[i], pa | DESC_BLOCK | ATTR_NORMAL | SH_INNER | AF | XN);
	}
	for (unsigned t = 0; t <= last2m - first2m; t++) {
		uint64_t base = ((uint64_t)kgib << L1_SHIFT) |
		                ((uint64_t)(first2m + t) << L2_SHIFT);

		for (unsigned i = 0; i < ENTRIES; i++) {
			uint64_t pa = base + i * PAGE_SIZE;

			set(&l3[t][i], pa | DESC_PAGE | page_attrs(pa));
		}
		set(&l2[first2m + t], (uintptr_t)l3[t] | DESC_TABLE);
	}

	/* Output address size: the CPU's physical address range. */
	uint64_t parange = sysreg_read(id_aa64mmfr0_el1) & 0xf;
	if (parange > 5)
		parange = 5;
	sysreg_write(mair_el1, MAIR_VALUE);
	sysreg_write(tcr_el1, TCR_T0SZ | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA |
	             TCR_SH0_INNER | TCR_EPD1 | (parange << TCR_IPS_SHIFT));
	sysreg_write(ttbr0_el1, (uintptr_t)l1);
	dsb(ish);
	isb();
	__asm__ volatile("tlbi vmalle1\n\tic iallu" ::: "memory");
	dsb(nsh);
	isb();
	sysreg_write(sctlr_el1, SCTLR_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA |
	             SCTLR_I | SCTLR_WXN);
	isb();
}
