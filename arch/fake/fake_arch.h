/* Test-side view of the host's fake arch (arch/fake/fake_arch.c). */
#ifndef TESTS_HOST_FAKE_ARCH_H
#define TESTS_HOST_FAKE_ARCH_H

/* Nonzero when "interrupts" are on: no irqsave is left unrestored. */
int fake_irq_enabled(void);

/*
 * Make the calling thread CPU @num (< CPU_MAX) from now on: this_cpu()
 * gives cpus[@num].  Every thread starts as CPU 0; a test that plays
 * another CPU on the main thread enters 0 again when it is done.
 */
void fake_cpu_enter(unsigned num);

#endif
