/* Test-side view of the host's fake arch (arch/fake/fake_arch.c). */
#ifndef TESTS_HOST_FAKE_ARCH_H
#define TESTS_HOST_FAKE_ARCH_H

/* Nonzero when "interrupts" are on: no irqsave is left unrestored. */
int fake_irq_enabled(void);

#endif
