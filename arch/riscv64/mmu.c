/*
 * riscv64 translation tables and TLB maintenance: Sv39 and Sv48 (RISC-V
 * Privileged Spec v1.12, 4.3.1 "Addressing and Memory Protection", 4.4
 * "Sv39", 4.5 "Sv48").  The entry format itself is in <arch/pte.h>
 * (arch/riscv64/include/arch/pte.h).
 */
#include <arch/csr.h>
#include <arch/mmu.h>
#include <arch/sbi.h>
#include <lib/err.h>

#define SATP_MODE_SHIFT 60
#define SATP_MODE_SV39  8ull
#define SATP_MODE_SV48  9ull
#define SATP_ASID_SHIFT 44
#define SATP_ASID_MASK  0xffffull

/* Set from the device tree (riscv_cache_fdt_init()): the harts have Svpbmt (<arch/pte.h>). */
int riscv_has_svpbmt;

/* Set once by arch_mmu_probe() below. */
unsigned riscv_pt_levels = 3;
unsigned riscv_asid_bits;

unsigned arch_pt_levels(void)
{
	return riscv_pt_levels;
}

unsigned arch_asid_bits(void)
{
	return riscv_asid_bits;
}

/* Table stores reach the walker through the sfence.vma that follows
 * every change (4.2.1); a fence orders them for other harts first. */
void arch_pt_sync(void)
{
	__asm__ volatile("fence rw, rw" ::: "memory");
}

/*
 * ASID 0 is the kernel's: its mappings are global, and an SFENCE.VMA with
 * a non-zero rs2 does not order global mappings, so kernel flushes use
 * rs2 = x0 (all address spaces).
 */
static void local_page(unsigned asid, uintptr_t va)
{
	if (asid)
		__asm__ volatile("sfence.vma %0, %1" :: "r"(va), "r"((unsigned long)asid) : "memory");
	else
		__asm__ volatile("sfence.vma %0, zero" :: "r"(va) : "memory");
}

static void local_asid(unsigned asid)
{
	if (asid)
		__asm__ volatile("sfence.vma zero, %0" :: "r"((unsigned long)asid) : "memory");
	else
		__asm__ volatile("sfence.vma zero, zero" ::: "memory");
}

/*
 * SBI RFENCE on every online CPU of @cpus but this one: the hart mask is
 * relative to a base hart id, 64 harts a call, so harts far apart take
 * more calls.  size (uintptr_t)-1 means everything; ASID 0 means the
 * kernel's entries, which remote_sfence_vma (every ASID) reaches.
 */
static void remote(cpumask_t set, unsigned asid, uintptr_t va, uintptr_t size)
{
	set = cpu_others(set);
	while (set) {
		unsigned first = 0;
		unsigned long harts = 0;

		while (!(set & CPU_BIT(first)))
			first++;
		uint64_t base = cpus[first].hwid;
		for (unsigned i = first; i < CPU_MAX; i++) {
			uint64_t h = cpus[i].hwid;

			if ((set & CPU_BIT(i)) && h >= base && h - base < 64) {
				set &= ~CPU_BIT(i);
				harts |= 1ul << (h - base);
			}
		}
		if (asid)
			sbi_call5(SBI_EXT_RFNC, SBI_RFNC_SFENCE_VMA_ASID, (long)harts, (long)base,
			          (long)va, (long)size, asid);
		else
			sbi_call5(SBI_EXT_RFNC, SBI_RFNC_SFENCE_VMA, (long)harts, (long)base,
			          (long)va, (long)size, 0);
	}
}

void arch_tlb_flush_page(cpumask_t cpus, unsigned asid, uintptr_t va)
{
	if (cpus & cpu_self_mask())
		local_page(asid, va);
	if (cpu_others(cpus))
		remote(cpus, asid, va, PAGE_SIZE);
}

void arch_tlb_flush_asid(cpumask_t cpus, unsigned asid)
{
	if (cpus & cpu_self_mask())
		local_asid(asid);
	if (cpu_others(cpus))
		remote(cpus, asid, 0, (uintptr_t)-1);
}

void arch_tlb_flush_all(cpumask_t cpus)
{
	arch_tlb_flush_asid(cpus, 0);
}

/* Page by page up to 64 pages; beyond that one flush of the whole ASID
 * costs less than the loop.  Other harts take the range in one call. */
void arch_tlb_flush_range(cpumask_t cpus, unsigned asid, uintptr_t va, uint64_t size)
{
	if (size > 64 * PAGE_SIZE) {
		arch_tlb_flush_asid(cpus, asid);
		return;
	}
	if (cpus & cpu_self_mask())
		for (uint64_t off = 0; off < size; off += PAGE_SIZE)
			local_page(asid, va + off);
	if (cpu_others(cpus))
		remote(cpus, asid, va, size);
}

static unsigned long satp_value(paddr_t root, unsigned asid)
{
	unsigned long mode = riscv_pt_levels == 4 ? SATP_MODE_SV48 : SATP_MODE_SV39;

	return mode << SATP_MODE_SHIFT | ((unsigned long)asid & SATP_ASID_MASK) << SATP_ASID_SHIFT |
	       root >> PAGE_SHIFT;
}

void arch_mmu_activate_user(paddr_t root, unsigned asid)
{
	csr_write(satp, satp_value(root, asid));
	/* A new ASID may hold stale entries from its previous owner only if
	 * the ASID allocator says so; it flushes on rollover. */
}

/* Byte compare: runs with the MMU off, without library calls. */
static int mode_is(const char *mode, const char *name)
{
	while (*name && *mode == *name) {
		mode++;
		name++;
	}
	return *mode == *name;
}

/* Sv48 first unless told otherwise; arch_mmu_enable() finds out. */
int arch_mmu_probe(const char *mode)
{
	riscv_pt_levels = 4;
	if (!mode)
		return 0;
	if (mode_is(mode, "sv39"))
		riscv_pt_levels = 3;
	else if (!mode_is(mode, "sv48"))
		return E_INVAL;
	return (int)riscv_pt_levels;
}

const char *arch_mmu_mode_name(unsigned levels)
{
	return levels == 4 ? "sv48" : "sv39";
}

/*
 * satp's MODE is WARL: a write of an unsupported mode leaves satp
 * unchanged (4.1.11), so writing Sv48 with a valid table and reading it
 * back is a safe probe.
 */
int arch_mmu_enable(paddr_t kernel_root, paddr_t ident_root)
{
	unsigned long want = satp_value(ident_root, 0);

	(void)kernel_root;
	__asm__ volatile("sfence.vma zero, zero" ::: "memory");
	csr_write(satp, want);
	__asm__ volatile("sfence.vma zero, zero" ::: "memory");
	if (csr_read(satp) >> SATP_MODE_SHIFT == want >> SATP_MODE_SHIFT)
		return 0;
	riscv_pt_levels = 3;
	return -1;
}

/*
 * ASIDLEN: write ones to satp.ASID and read back what sticks (4.1.11);
 * done with the kernel table live so the write changes nothing else.
 */
void arch_mmu_switch_kernel(paddr_t kernel_root, paddr_t user_root)
{
	(void)user_root;   /* one root on riscv64: the kernel's has an empty user half */
	csr_write(satp, satp_value(kernel_root, SATP_ASID_MASK));
	unsigned long asid = (csr_read(satp) >> SATP_ASID_SHIFT) & SATP_ASID_MASK;
	riscv_asid_bits = 0;
	while (asid & 1) {
		riscv_asid_bits++;
		asid >>= 1;
	}
	arch_mmu_switch_kernel_cpu(kernel_root, user_root);
}

void arch_mmu_switch_kernel_cpu(paddr_t kernel_root, paddr_t user_root)
{
	(void)user_root;
	csr_write(satp, satp_value(kernel_root, 0));
	local_asid(0);
}

/* User half: indices 0-255 of the root; kernel half: 256-511. */
unsigned arch_pt_user_root_init(pte_t *root, const pte_t *kernel_root)
{
	unsigned n = 0;

	for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++) {
		root[i] = kernel_root[i];
		n += root[i] != 0;
	}
	return n;
}

int arch_pt_kernel_root_shared(void)
{
	return 1;
}

void arch_pt_va_range(unsigned levels, int kernel, uintptr_t *first, uintptr_t *last)
{
	unsigned bits = pt_va_bits(levels);   /* 39 or 48 */
	uintptr_t half = (uintptr_t)1 << (bits - 1);

	if (kernel) {
		*first = ~(half - 1);             /* sign-extended upper half */
		*last = ~(uintptr_t)0;
	} else {
		*first = 0;
		*last = half - 1;
	}
}
