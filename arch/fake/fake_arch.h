/* Test-side view of the host's fake arch (arch/fake/fake_arch.c). */
#ifndef TESTS_HOST_FAKE_ARCH_H
#define TESTS_HOST_FAKE_ARCH_H

/* Nonzero when "interrupts" are on in this thread: no irqsave is left unrestored. */
int fake_irq_enabled(void);

/*
 * Make the calling thread CPU @num (< CPU_MAX) from now on: this_cpu()
 * gives cpus[@num].  Every thread starts as CPU 0; a test that plays
 * another CPU on the main thread enters 0 again when it is done.
 */
void fake_cpu_enter(unsigned num);

/*
 * CPUs 0 .. @n - 1 are online from now on (cpu_count, cpu_online_mask;
 * 1 at start).  Call it while no other thread plays a CPU: the host
 * stress suites (tests/testlib/host/smp_host.h) bring @n CPUs up for a
 * case and back down to 1 after it.
 */
void fake_cpus_online(unsigned n);

/* Cache maintenance calls made (arch_cache_maint()), for the tests. */
extern unsigned long fake_cache_ops;

#endif
