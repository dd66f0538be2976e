/*
 * riscv64 page-table entries and TLB maintenance: Sv39 and Sv48
 * (RISC-V Privileged Spec v1.12, 4.3.1 "Addressing and Memory Protection",
 * 4.4 "Sv39", 4.5 "Sv48").
 *
 * PTE: V(0) R(1) W(2) X(3) U(4) G(5) A(6) D(7) RSW(9:8) PPN(53:10).
 * A valid entry with R = W = X = 0 points to the next level.  A and D are
 * set at map time (D only for writable leaves), so harts that raise page
 * faults instead of updating them in hardware never fault on them.  Memory
 * types are a property of the physical address on RISC-V (PMAs) unless
 * the hart has Svpbmt, whose PBMT field (bits 62:61) overrides them:
 * with it, write-combining is NC and device and uncached memory are IO.
 * The type is also kept in the two RSW bits (0 normal, 1 device, 2
 * uncached, 3 write-combining) so queries and audits see it either way.
 */
#include <arch/csr.h>
#include <arch/mmu.h>
#include <arch/sbi.h>
#include <lib/err.h>

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_G (1ull << 5)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_SW_SHIFT  8
#define PTE_SW_MASK   (3ull << PTE_SW_SHIFT)
#define PTE_SW_DEVICE (1ull << PTE_SW_SHIFT)
#define PTE_SW_UNCACHED (2ull << PTE_SW_SHIFT)
#define PTE_SW_WC     (3ull << PTE_SW_SHIFT)
#define PTE_PBMT_NC   (1ull << 61)
#define PTE_PBMT_IO   (2ull << 61)
#define PTE_PPN_SHIFT 10
#define PTE_PPN_MASK  (((1ull << 44) - 1) << PTE_PPN_SHIFT)

#define SATP_MODE_SHIFT 60
#define SATP_MODE_SV39  8ull
#define SATP_MODE_SV48  9ull
#define SATP_ASID_SHIFT 44
#define SATP_ASID_MASK  0xffffull

/* Set from the device tree (riscv_cache_fdt_init()): the harts have Svpbmt. */
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

pte_t arch_pte_table(paddr_t pa)
{
	return ((pa >> PAGE_SHIFT) << PTE_PPN_SHIFT) | PTE_V;
}

pte_t arch_pte_leaf(paddr_t pa, unsigned flags, unsigned level)
{
	pte_t pte = ((pa >> PAGE_SHIFT) << PTE_PPN_SHIFT) | PTE_V | PTE_A;

	(void)level;
	if (flags & MMU_READ)
		pte |= PTE_R;
	if (flags & MMU_WRITE)
		pte |= PTE_W | PTE_D;
	if (flags & MMU_EXEC)
		pte |= PTE_X;
	if (flags & MMU_USER)
		pte |= PTE_U;
	if (flags & MMU_GLOBAL)
		pte |= PTE_G;
	if (flags & MMU_DEVICE)
		pte |= PTE_SW_DEVICE | (riscv_has_svpbmt ? PTE_PBMT_IO : 0);
	else if (flags & MMU_UNCACHED)
		pte |= PTE_SW_UNCACHED | (riscv_has_svpbmt ? PTE_PBMT_IO : 0);
	else if (flags & MMU_WC)
		pte |= PTE_SW_WC | (riscv_has_svpbmt ? PTE_PBMT_NC : 0);
	return pte;
}

enum pte_kind arch_pte_kind(pte_t pte, unsigned level)
{
	if (!(pte & PTE_V))
		return PTE_NONE;
	if (pte & (PTE_R | PTE_W | PTE_X))
		return PTE_LEAF;
	return level ? PTE_TABLE : PTE_NONE;   /* a pointer at level 0 is reserved */
}

paddr_t arch_pte_pa(pte_t pte)
{
	return ((pte & PTE_PPN_MASK) >> PTE_PPN_SHIFT) << PAGE_SHIFT;
}

unsigned arch_pte_flags(pte_t pte)
{
	unsigned f = 0;

	if (pte & PTE_R)
		f |= MMU_READ;
	if (pte & PTE_W)
		f |= MMU_WRITE;
	if (pte & PTE_X)
		f |= MMU_EXEC;
	if (pte & PTE_U)
		f |= MMU_USER;
	if (pte & PTE_G)
		f |= MMU_GLOBAL;
	switch (pte & PTE_SW_MASK) {
	case PTE_SW_DEVICE:
		f |= MMU_DEVICE;
		break;
	case PTE_SW_UNCACHED:
		f |= MMU_UNCACHED;
		break;
	case PTE_SW_WC:
		f |= MMU_WC;
		break;
	}
	return f;
}

void arch_pte_write(pte_t *slot, pte_t val)
{
	*(volatile pte_t *)slot = val;
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
void arch_pt_user_root_init(pte_t *root, const pte_t *kernel_root)
{
	for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
		root[i] = kernel_root[i];
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
