/*
 * The few arch hooks that mm/ calls, for the host unit tests.  Interrupt
 * masking is modelled as one flag, so tests can check that every
 * spin_lock_irqsave() was paired with its restore, even on panic paths.
 */
#include <arch/arch.h>
#include "fake_arch.h"

static unsigned long irq_enabled = 1;

unsigned long arch_irq_save(void)
{
	unsigned long was = irq_enabled;

	irq_enabled = 0;
	return was;
}

void arch_irq_restore(unsigned long state)
{
	irq_enabled = state;
}

int fake_irq_enabled(void)
{
	return irq_enabled != 0;
}
