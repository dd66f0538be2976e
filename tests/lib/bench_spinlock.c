/*
 * Benchmarks of the spinlock kinds (<lib/spinlock_kinds.h>) uncontended:
 * one lock + unlock pair of a free lock, each kind inline as the kernel's
 * locks are, and the kernel's own spinlock with its interrupt masking.
 * Contended figures: tests/lib/spinlock_smp.c (`make bench-locks`).
 */
#include <ktest/bench.h>
#include <lib/spinlock.h>

static struct spin_tas tas = SPIN_TAS_INIT;
static struct spin_ticket ticket = SPIN_TICKET_INIT;
static struct spin_mcs mcs = SPIN_MCS_INIT;
static struct spinlock kernel_lock = SPINLOCK_INIT;

static uint64_t bench_spin_tas_pair(void)
{
	bench_start();
	spin_tas_lock(&tas);
	spin_tas_unlock(&tas);
	return bench_stop();
}
BENCH(spin_tas_pair, NULL, bench_spin_tas_pair);

static uint64_t bench_spin_ticket_pair(void)
{
	bench_start();
	spin_ticket_lock(&ticket);
	spin_ticket_unlock(&ticket);
	return bench_stop();
}
BENCH(spin_ticket_pair, NULL, bench_spin_ticket_pair);

static uint64_t bench_spin_mcs_pair(void)
{
	bench_start();
	spin_mcs_lock(&mcs);
	spin_mcs_unlock(&mcs);
	return bench_stop();
}
BENCH(spin_mcs_pair, NULL, bench_spin_mcs_pair);

/* The kernel's kind (SPINLOCK_KIND), as the allocators take it. */
static uint64_t bench_spinlock_irqsave_pair(void)
{
	bench_start();
	unsigned long irq = spin_lock_irqsave(&kernel_lock);
	spin_unlock_irqrestore(&kernel_lock, irq);
	return bench_stop();
}
BENCH(spinlock_irqsave_pair, NULL, bench_spinlock_irqsave_pair);
