/*
 * The host's fake arch: interrupt masking is a flag in arch/fake/fake_arch.c,
 * so tests can see that every save was restored.  Found through -Iarch/fake/include
 * when <arch/arch.h> includes <arch/irq.h>.
 */
#ifndef ARCH_IRQ_H
#define ARCH_IRQ_H

unsigned long arch_irq_save(void);
void arch_irq_restore(unsigned long state);
void arch_irq_enable(void);

#endif
