/*
 * aarch64 translation tables (4 KiB granule) and TLB maintenance (Arm
 * ARM D8.13 "TLB maintenance").  The descriptor format itself is in
 * <arch/pte.h> (arch/aarch64/include/arch/pte.h).
 */
#include <arch/mmu.h>
#include <arch/sysreg.h>
#include <lib/err.h>


#ifndef AARCH64_PT_LEVELS
#define AARCH64_PT_LEVELS 4   /* 48-bit VA; 3 gives 39-bit (arch.mk) */
#endif

unsigned aarch64_pt_levels = AARCH64_PT_LEVELS;
unsigned aarch64_asid_bits = 8;

/* 0: device nGnRE, 1: normal WBWA, 2: device nGnRnE, 3: normal non-cacheable (D19.2.97) */
#define MAIR_VALUE      (0x04ull | 0xffull << 8 | 0x00ull << 16 | 0x44ull << 24)
#define TCR_IRGN_WBWA   1ull
#define TCR_ORGN_WBWA   1ull
#define TCR_SH_INNER    3ull
#define TCR_TG0_4K      (0ull << 14)
#define TCR_TG1_4K      (2ull << 30)
#define TCR_IPS_SHIFT   32
#define TCR_AS          (1ull << 36)
#define SCTLR_RES1      0x30d00800ull
#define SCTLR_M         (1ull << 0)
#define SCTLR_C         (1ull << 2)
#define SCTLR_SA        (1ull << 3)
#define SCTLR_I         (1ull << 12)
#define SCTLR_WXN       (1ull << 19)
#define SCTLR_DZE       (1ull << 14)   /* EL0 may DC ZVA (picolibc's memset) */
#define SCTLR_UCT       (1ull << 15)   /* EL0 may read CTR_EL0 */
#define SCTLR_UCI       (1ull << 26)   /* EL0 may clean and invalidate caches by address */

/* The depth is a build choice ("mmu=" is riscv64's); ASID width from
 * ID_AA64MMFR0_EL1.ASIDBits. */
int arch_mmu_probe(const char *mode)
{
	aarch64_asid_bits = ((sysreg_read(id_aa64mmfr0_el1) >> 4) & 0xf) == 2 ? 16 : 8;
	return mode ? E_NOTSUP : 0;
}

const char *arch_mmu_mode_name(unsigned levels)
{
	return levels == 4 ? "48-bit VA" : "39-bit VA";
}

/*
 * TCR_EL1 (D19.2.139): both halves 4 KiB granule, inner-shareable
 * write-back walks, size from the depth; IPS = the CPU's PARange; 16-bit
 * ASIDs when the CPU has them.  SCTLR_EL1.WXN makes every writable page
 * execute-never in hardware as well.  Translation goes on with the caches.
 * User programs may read CTR_EL0 and do cache maintenance by address
 * and DC ZVA, as on Linux (code they write is made executable by
 * __clear_cache in user mode: DC CVAU, IC IVAU).
 */
int arch_mmu_enable(paddr_t kernel_root, paddr_t ident_root)
{
	uint64_t tsz = 64 - pt_va_bits(aarch64_pt_levels);
	uint64_t parange = sysreg_read(id_aa64mmfr0_el1) & 0xf;
	uint64_t tcr = tsz | TCR_IRGN_WBWA << 8 | TCR_ORGN_WBWA << 10 | TCR_SH_INNER << 12 |
	               TCR_TG0_4K | tsz << 16 | TCR_IRGN_WBWA << 24 | TCR_ORGN_WBWA << 26 |
	               TCR_SH_INNER << 28 | TCR_TG1_4K |
	               (parange > 5 ? 5 : parange) << TCR_IPS_SHIFT;

	if (aarch64_asid_bits == 16)
		tcr |= TCR_AS;
	sysreg_write(mair_el1, MAIR_VALUE);
	sysreg_write(tcr_el1, tcr);
	sysreg_write(ttbr0_el1, ident_root);
	sysreg_write(ttbr1_el1, kernel_root);
	dsb(ish);
	isb();
	__asm__ volatile("tlbi vmalle1\n\tic iallu" ::: "memory");
	dsb(nsh);
	isb();
	sysreg_write(sctlr_el1, SCTLR_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I | SCTLR_WXN |
	                        SCTLR_DZE | SCTLR_UCT | SCTLR_UCI);
	isb();
	return 0;
}

void arch_mmu_switch_kernel(paddr_t kernel_root, paddr_t user_root)
{
	arch_mmu_switch_kernel_cpu(kernel_root, user_root);
}

/* TLB maintenance here is this CPU's own: no other CPU uses these roots yet. */
void arch_mmu_switch_kernel_cpu(paddr_t kernel_root, paddr_t user_root)
{
	sysreg_write(ttbr1_el1, kernel_root);
	sysreg_write(ttbr0_el1, user_root);
	isb();
	dsb(nshst);
	__asm__ volatile("tlbi vmalle1" ::: "memory");
	dsb(nsh);
	isb();
}

unsigned arch_pt_levels(void)
{
	return aarch64_pt_levels;
}

unsigned arch_asid_bits(void)
{
	return aarch64_asid_bits;
}

/* Table writes must complete before a walk or TLBI that depends on them. */
void arch_pt_sync(void)
{
	dsb(ishst);
	isb();
}

/*
 * Whether @cpus holds no started CPU but this one: then a local TLBI
 * (non-shareable) is enough, as no other CPU can have cached the entries.
 * Otherwise the inner-shareable form, which the hardware broadcasts to
 * every CPU; DSB ISH waits until all of them have completed it (Arm ARM
 * D8.13.5).  Broadcast reaches CPUs outside @cpus too, which is harmless.
 */
static inline int only_me(cpumask_t cpus)
{
	return !cpu_others(cpus);
}

/*
 * ASID 0 is the kernel's, whose entries are global: flush them for every
 * ASID (TLBI VAAE1).  The operand is VA[55:12] with the ASID in [63:48].
 */
static inline void tlbi_va(int local, unsigned asid, uintptr_t va)
{
	uint64_t op = (va >> PAGE_SHIFT) & ((1ull << 44) - 1);

	if (local && asid)
		__asm__ volatile("tlbi vae1, %0" :: "r"(op | (uint64_t)asid << 48) : "memory");
	else if (local)
		__asm__ volatile("tlbi vaae1, %0" :: "r"(op) : "memory");
	else if (asid)
		__asm__ volatile("tlbi vae1is, %0" :: "r"(op | (uint64_t)asid << 48) : "memory");
	else
		__asm__ volatile("tlbi vaae1is, %0" :: "r"(op) : "memory");
}

static inline void tlbi_done(int local)
{
	if (local)
		dsb(nsh);
	else
		dsb(ish);
	isb();
}

void arch_tlb_flush_page(cpumask_t cpus, unsigned asid, uintptr_t va)
{
	int local = only_me(cpus);

	dsb(ishst);
	tlbi_va(local, asid, va);
	tlbi_done(local);
}

void arch_tlb_flush_asid(cpumask_t cpus, unsigned asid)
{
	int local = only_me(cpus);

	if (!asid) {
		arch_tlb_flush_all(cpus);
		return;
	}
	dsb(ishst);
	if (local)
		__asm__ volatile("tlbi aside1, %0" :: "r"((uint64_t)asid << 48) : "memory");
	else
		__asm__ volatile("tlbi aside1is, %0" :: "r"((uint64_t)asid << 48) : "memory");
	tlbi_done(local);
}

void arch_tlb_flush_all(cpumask_t cpus)
{
	int local = only_me(cpus);

	dsb(ishst);
	if (local)
		__asm__ volatile("tlbi vmalle1" ::: "memory");
	else
		__asm__ volatile("tlbi vmalle1is" ::: "memory");
	tlbi_done(local);
}

void arch_tlb_flush_range(cpumask_t cpus, unsigned asid, uintptr_t va, uint64_t size)
{
	int local = only_me(cpus);

	if (size > 64 * PAGE_SIZE) {
		arch_tlb_flush_asid(cpus, asid);
		return;
	}
	dsb(ishst);
	for (uint64_t off = 0; off < size; off += PAGE_SIZE)
		tlbi_va(local, asid, va + off);
	tlbi_done(local);
}

void arch_mmu_activate_user(paddr_t root, unsigned asid)
{
	sysreg_write(ttbr0_el1, root | (uint64_t)asid << 48);
	isb();
}

/* TTBR1 holds the kernel: nothing of it lives in a user root. */
unsigned arch_pt_user_root_init(pte_t *root, const pte_t *kernel_root)
{
	(void)root;
	(void)kernel_root;
	return 0;
}

int arch_pt_kernel_root_shared(void)
{
	return 0;
}

void arch_pt_va_range(unsigned levels, int kernel, uintptr_t *first, uintptr_t *last)
{
	unsigned bits = pt_va_bits(levels);   /* 39 or 48 */
	uintptr_t span = (uintptr_t)1 << bits;

	if (kernel) {
		*first = ~(span - 1);
		*last = ~(uintptr_t)0;
	} else {
		*first = 0;
		*last = span - 1;
	}
}
