/*
 * riscv64 page-table entries, Sv39 and Sv48 (RISC-V Privileged Spec
 * v1.12, 4.3.1 "Addressing and Memory Protection", 4.4 "Sv39", 4.5
 * "Sv48"): the entry encoders of <arch/mmu.h>, inline because the
 * walker's loops and the fault path decode an entry at every step.  The
 * only definition of the format; arch/riscv64/mmu.c has the rest of the
 * MMU.  Included by <arch/mmu.h> only.
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
#ifndef ARCH_PTE_H
#define ARCH_PTE_H

#include <arch/mmu.h>   /* pte_t, MMU_*; it includes this file where they are defined */

#define RV_PTE_V (1ull << 0)
#define RV_PTE_R (1ull << 1)
#define RV_PTE_W (1ull << 2)
#define RV_PTE_X (1ull << 3)
#define RV_PTE_U (1ull << 4)
#define RV_PTE_G (1ull << 5)
#define RV_PTE_A (1ull << 6)
#define RV_PTE_D (1ull << 7)
#define RV_PTE_SW_SHIFT    8
#define RV_PTE_SW_MASK     (3ull << RV_PTE_SW_SHIFT)
#define RV_PTE_SW_DEVICE   (1ull << RV_PTE_SW_SHIFT)
#define RV_PTE_SW_UNCACHED (2ull << RV_PTE_SW_SHIFT)
#define RV_PTE_SW_WC       (3ull << RV_PTE_SW_SHIFT)
#define RV_PTE_PBMT_NC     (1ull << 61)
#define RV_PTE_PBMT_IO     (2ull << 61)
#define RV_PTE_PPN_SHIFT   10
#define RV_PTE_PPN_MASK    (((1ull << 44) - 1) << RV_PTE_PPN_SHIFT)

/* Set from the device tree (arch/riscv64/cache.c): the harts have Svpbmt. */
extern int riscv_has_svpbmt;

static inline pte_t arch_pte_table(paddr_t pa)
{
	return ((pa >> PAGE_SHIFT) << RV_PTE_PPN_SHIFT) | RV_PTE_V;
}

static inline pte_t arch_pte_leaf(paddr_t pa, unsigned flags, unsigned level)
{
	pte_t pte = ((pa >> PAGE_SHIFT) << RV_PTE_PPN_SHIFT) | RV_PTE_V | RV_PTE_A;

	(void)level;
	if (flags & MMU_READ)
		pte |= RV_PTE_R;
	if (flags & MMU_WRITE)
		pte |= RV_PTE_W | RV_PTE_D;
	if (flags & MMU_EXEC)
		pte |= RV_PTE_X;
	if (flags & MMU_USER)
		pte |= RV_PTE_U;
	if (flags & MMU_GLOBAL)
		pte |= RV_PTE_G;
	if (flags & MMU_DEVICE)
		pte |= RV_PTE_SW_DEVICE | (riscv_has_svpbmt ? RV_PTE_PBMT_IO : 0);
	else if (flags & MMU_UNCACHED)
		pte |= RV_PTE_SW_UNCACHED | (riscv_has_svpbmt ? RV_PTE_PBMT_IO : 0);
	else if (flags & MMU_WC)
		pte |= RV_PTE_SW_WC | (riscv_has_svpbmt ? RV_PTE_PBMT_NC : 0);
	return pte;
}

static inline enum pte_kind arch_pte_kind(pte_t pte, unsigned level)
{
	if (!(pte & RV_PTE_V))
		return PTE_NONE;
	if (pte & (RV_PTE_R | RV_PTE_W | RV_PTE_X))
		return PTE_LEAF;
	return level ? PTE_TABLE : PTE_NONE;   /* a pointer at level 0 is reserved */
}

static inline paddr_t arch_pte_pa(pte_t pte)
{
	return ((pte & RV_PTE_PPN_MASK) >> RV_PTE_PPN_SHIFT) << PAGE_SHIFT;
}

static inline pte_t arch_pte_attrs(pte_t pte)
{
	return pte & ~RV_PTE_PPN_MASK;
}

static inline unsigned arch_pte_flags(pte_t pte)
{
	unsigned f = 0;

	if (pte & RV_PTE_R)
		f |= MMU_READ;
	if (pte & RV_PTE_W)
		f |= MMU_WRITE;
	if (pte & RV_PTE_X)
		f |= MMU_EXEC;
	if (pte & RV_PTE_U)
		f |= MMU_USER;
	if (pte & RV_PTE_G)
		f |= MMU_GLOBAL;
	switch (pte & RV_PTE_SW_MASK) {
	case RV_PTE_SW_DEVICE:
		f |= MMU_DEVICE;
		break;
	case RV_PTE_SW_UNCACHED:
		f |= MMU_UNCACHED;
		break;
	case RV_PTE_SW_WC:
		f |= MMU_WC;
		break;
	}
	return f;
}

/* Without Svvptc a hart may keep faulting on the invalid entry until an sfence.vma. */
#define ARCH_PT_FLUSH_MADE_LEAF 1

static inline void arch_pte_write(pte_t *slot, pte_t val)
{
	*(volatile pte_t *)slot = val;
}

#endif
