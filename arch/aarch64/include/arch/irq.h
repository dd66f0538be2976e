/*
 * AArch64 interrupt masking for this CPU: PSTATE.I through DAIF (Arm ARM
 * C5.2.2).  Included through <arch/arch.h>.
 */
#ifndef ARCH_IRQ_H
#define ARCH_IRQ_H

/* Mask IRQs; return the previous DAIF. */
static inline unsigned long arch_irq_save(void)
{
	unsigned long daif;

	__asm__ volatile("mrs %0, daif\n\tmsr daifset, #2" : "=r"(daif) :: "memory");
	return daif;
}

/* Put DAIF back as arch_irq_save() found it. */
static inline void arch_irq_restore(unsigned long state)
{
	__asm__ volatile("msr daif, %0" :: "r"(state) : "memory");
}

/* Let IRQs in on this CPU. */
static inline void arch_irq_enable(void)
{
	__asm__ volatile("msr daifclr, #2" ::: "memory");
}

#endif
