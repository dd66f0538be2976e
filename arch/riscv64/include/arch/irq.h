/*
 * riscv64 interrupt masking for this hart: sstatus.SIE (RISC-V Privileged
 * Spec v1.12, 4.1.1).  Included through <arch/arch.h>.
 */
#ifndef ARCH_IRQ_H
#define ARCH_IRQ_H

#include <arch/csr.h>

/* Clear SIE; return its previous value (SSTATUS_SIE or 0). */
static inline unsigned long arch_irq_save(void)
{
	return csr_read_clear(sstatus, SSTATUS_SIE) & SSTATUS_SIE;
}

/* Set SIE again if @state (from arch_irq_save) had it. */
static inline void arch_irq_restore(unsigned long state)
{
	csr_set(sstatus, state);
}

/* Let interrupts in on this hart. */
static inline void arch_irq_enable(void)
{
	csr_set(sstatus, SSTATUS_SIE);
}

#endif
