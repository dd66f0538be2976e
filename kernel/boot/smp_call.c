/*
 * The calls built on smp_call_start() and smp_call_wait() (<boot/smp.h>):
 * the same for the kernel (kernel/boot/smp.c) and for the host's threads
 * as CPUs (tests/testlib/host/smp_host.c), which both builds compile.
 */
#include <arch/cpu.h>
#include <boot/smp.h>
#include <lib/err.h>

int smp_call_on(unsigned cpu, void (*fn)(void *arg), void *arg)
{
	struct smp_call call;
	int rc = smp_call_start(cpu, &call, fn, arg);

	if (rc == E_OK)
		smp_call_wait(&call);
	return rc;
}

int smp_run_everywhere(void (*fn)(void *arg), void *arg)
{
	struct smp_call calls[CPU_MAX];
	unsigned self = cpu_num(), n = 0;
	cpumask_t started = 0;

	for (unsigned i = 0; i < cpu_count; i++)
		if (i != self && smp_call_start(i, &calls[i], fn, arg) == E_OK) {
			started |= CPU_BIT(i);
			n++;
		}
	fn(arg);
	/* Only the calls that started: a CPU that came up meanwhile has none. */
	for (unsigned i = 0; i < cpu_count; i++)
		if (started & CPU_BIT(i))
			smp_call_wait(&calls[i]);
	return (int)n + 1;
}
