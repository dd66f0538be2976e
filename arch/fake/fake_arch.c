/*
 * The few arch hooks that mm/ calls, for the host unit tests.  Interrupt
 * masking is modelled as a flag of the running thread (the hardware
 * context that plays a CPU), so tests can check that every
 * spin_lock_irqsave() was paired with its restore, even on panic paths.
 */
#include <string.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <lib/err.h>
#include <mm/types.h>
#include "fake_arch.h"

struct cpu cpus[CPU_MAX];
unsigned cpu_count = 1;
cpumask_t cpu_online_mask = 1;
__thread struct cpu *fake_this_cpu = &cpus[0];

void fake_cpu_enter(unsigned num)
{
	cpus[num].num = num;
	fake_this_cpu = &cpus[num];
}

void fake_cpus_online(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		cpus[i].num = i;
	cpu_count = n;
	__atomic_store_n(&cpu_online_mask, n >= 64 ? CPUS_ALL : CPU_BIT(n) - 1, __ATOMIC_RELEASE);
}

static __thread unsigned long irq_enabled = 1;

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

void arch_irq_enable(void)
{
	irq_enabled = 1;
}

int fake_irq_enabled(void)
{
	return irq_enabled != 0;
}

/* The kernel clears and copies pages with its arch's fastest routine. */
void arch_clear_page(void *page)
{
	memset(page, 0, PAGE_SIZE);
}

void arch_copy_page(void *dst, const void *src)
{
	memcpy(dst, src, PAGE_SIZE);
}

/* Cache maintenance: nothing to maintain on the host; counted for the tests. */
unsigned long fake_cache_ops;

unsigned arch_cache_line(void)
{
	return 64;
}

int arch_cache_maint(unsigned op, void *va, size_t len)
{
	(void)va;
	(void)len;
	if (!op || (op & ~ARCH_CACHE_FLUSH))
		return E_INVAL;
	__atomic_fetch_add(&fake_cache_ops, 1, __ATOMIC_RELAXED);
	return E_OK;
}
