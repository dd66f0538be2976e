/*
 * aarch64 stage-1 descriptors, 4 KiB granule (Arm ARM D8.3 "Translation
 * table descriptor formats", D8.4 "Memory access control"): the entry
 * encoders of <arch/mmu.h>, inline because the walker's loops and the
 * fault path decode an entry at every step.  The only definition of
 * the format; arch/aarch64/mmu.c has the rest of the MMU.
 *
 * Our level 0 is the Arm "level 3" page, levels 1 and 2 are 2 MiB and
 * 1 GiB blocks.  Bits used: [1:0] type, AttrIndx[4:2] (MAIR index 0
 * device nGnRE, 1 normal write-back, 2 device nGnRnE for uncached, 3
 * normal non-cacheable for write-combining, as Linux's pgprot_noncached
 * / pgprot_writecombine), AP[7:6], SH[9:8], AF[10], nG[11], PXN[53],
 * UXN[54]; software bit 55 unused.  Included by <arch/mmu.h> only.
 */
#ifndef ARCH_PTE_H
#define ARCH_PTE_H

#include <arch/mmu.h>   /* pte_t, MMU_*; it includes this file where they are defined */

#define A64_DESC_VALID    (1ull << 0)
#define A64_DESC_TABLE    (3ull)        /* table (levels > 0) or page (level 0) */
#define A64_DESC_BLOCK    (1ull)
#define A64_ATTR_DEVICE   (0ull << 2)
#define A64_ATTR_NORMAL   (1ull << 2)
#define A64_ATTR_UNCACHED (2ull << 2)
#define A64_ATTR_WC       (3ull << 2)
#define A64_ATTR_MASK     (7ull << 2)
#define A64_AP_EL0        (1ull << 6)   /* AP[1]: EL0 access */
#define A64_AP_RO         (1ull << 7)   /* AP[2]: read-only */
#define A64_SH_INNER      (3ull << 8)
#define A64_AF            (1ull << 10)
#define A64_NG            (1ull << 11)
#define A64_PXN           (1ull << 53)
#define A64_UXN           (1ull << 54)
#define A64_ADDR_MASK     0x0000fffffffff000ull

static inline pte_t arch_pte_table(paddr_t pa)
{
	return (pa & A64_ADDR_MASK) | A64_DESC_TABLE;
}

static inline pte_t arch_pte_leaf(paddr_t pa, unsigned flags, unsigned level)
{
	pte_t d = (pa & A64_ADDR_MASK) | (level ? A64_DESC_BLOCK : A64_DESC_TABLE) | A64_AF;

	if (flags & MMU_DEVICE)
		d |= A64_ATTR_DEVICE;
	else if (flags & MMU_UNCACHED)
		d |= A64_ATTR_UNCACHED;
	else
		d |= ((flags & MMU_WC) ? A64_ATTR_WC : A64_ATTR_NORMAL) | A64_SH_INNER;
	if (!(flags & MMU_WRITE))
		d |= A64_AP_RO;
	if (flags & MMU_USER)
		d |= A64_AP_EL0;
	if (!(flags & MMU_GLOBAL))
		d |= A64_NG;
	/* The kernel never executes user memory, and user code only its own. */
	if (!(flags & MMU_EXEC) || (flags & MMU_USER))
		d |= A64_PXN;
	if (!(flags & MMU_EXEC) || !(flags & MMU_USER))
		d |= A64_UXN;
	return d;
}

static inline enum pte_kind arch_pte_kind(pte_t pte, unsigned level)
{
	if (!(pte & A64_DESC_VALID))
		return PTE_NONE;
	if ((pte & 3) == A64_DESC_TABLE)
		return level ? PTE_TABLE : PTE_LEAF;
	/* A block descriptor exists for 2 MiB and 1 GiB only. */
	return level >= 1 && level <= PT_MAX_BLOCK_LEVEL ? PTE_LEAF : PTE_NONE;
}

static inline paddr_t arch_pte_pa(pte_t pte)
{
	return pte & A64_ADDR_MASK;
}

static inline pte_t arch_pte_attrs(pte_t pte)
{
	return pte & ~A64_ADDR_MASK;
}

static inline unsigned arch_pte_flags(pte_t pte)
{
	unsigned f = MMU_READ;   /* every valid stage-1 leaf is readable at EL1 */

	if (!(pte & A64_AP_RO))
		f |= MMU_WRITE;
	if (pte & A64_AP_EL0)
		f |= MMU_USER;
	if (!(pte & A64_NG))
		f |= MMU_GLOBAL;
	if ((pte & A64_ATTR_MASK) == A64_ATTR_DEVICE)
		f |= MMU_DEVICE;
	else if ((pte & A64_ATTR_MASK) == A64_ATTR_UNCACHED)
		f |= MMU_UNCACHED;
	else if ((pte & A64_ATTR_MASK) == A64_ATTR_WC)
		f |= MMU_WC;
	if ((pte & A64_AP_EL0) ? !(pte & A64_UXN) : !(pte & A64_PXN))
		f |= MMU_EXEC;
	return f;
}

/* TLBs hold no entry that faults (Arm ARM D8.13): a made leaf needs no flush. */
#define ARCH_PT_FLUSH_MADE_LEAF 0

static inline void arch_pte_write(pte_t *slot, pte_t val)
{
	*(volatile pte_t *)slot = val;
}

#endif
