/*
 * The fake arch's entry encoders (<arch/mmu.h>): out of line in
 * arch/fake/fake_mmu.c, which checks every entry it encodes.
 */
#ifndef ARCH_PTE_H
#define ARCH_PTE_H

#include <arch/mmu.h>   /* pte_t, MMU_*; it includes this file where they are defined */

pte_t arch_pte_table(paddr_t pa);
pte_t arch_pte_leaf(paddr_t pa, unsigned flags, unsigned level);
enum pte_kind arch_pte_kind(pte_t pte, unsigned level);
paddr_t arch_pte_pa(pte_t pte);
unsigned arch_pte_flags(pte_t pte);
pte_t arch_pte_attrs(pte_t pte);
void arch_pte_write(pte_t *slot, pte_t val);

/* As riscv64: the walker's flush after a made leaf is exercised on the host. */
#define ARCH_PT_FLUSH_MADE_LEAF 1

#endif
