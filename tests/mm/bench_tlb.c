/*
 * TLB shootdown: the cost of invalidating one page on this CPU only, and
 * on every online CPU, for the CPU that asks; and what each other CPU
 * spends on it.  `make bench` boots one CPU, where the two flushes cost
 * the same; boot with SMP=2 or SMP=4 under -icount to see the remote part:
 *
 *   make run SMP=4 QEMU_FLAGS="-icount shift=0,sleep=off" \
 *        BOOTARGS="bench=tlb_flush_page_self,tlb_flush_page_all_cpus,tlb_flush_page_remote_cpu poweroff"
 */
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/mmu.h>
#include <boot/smp.h>
#include <ktest/bench.h>
#include <mm/layout.h>

#define VA (KERNEL_VAREA_END - (2ull << 30) + 64 * PAGE_SIZE)

static uint64_t bench_tlb_flush_page_self(void)
{
	bench_start();
	arch_tlb_flush_page(cpu_self_mask(), 0, VA);
	return bench_stop();
}
BENCH(tlb_flush_page_self, NULL, bench_tlb_flush_page_self);

static uint64_t bench_tlb_flush_page_all_cpus(void)
{
	bench_start();
	arch_tlb_flush_page(CPUS_ALL, 0, VA);
	return bench_stop();
}
BENCH(tlb_flush_page_all_cpus, "tlb_flush_page_self", bench_tlb_flush_page_all_cpus);

static void read_counter(void *arg)
{
	*(uint64_t *)arg = arch_insn_count();
}

static void start_counter(void *arg)
{
	*(int *)arg = arch_insn_counter_init();
}

#define REMOTE_ROUNDS 64

/*
 * What CPU 1 retires per shootdown that names it: its counter, read on
 * it before and after REMOTE_ROUNDS flushes, less the same with no flush
 * between (the two calls that read it).  0 with one CPU.
 */
static uint64_t bench_tlb_flush_page_remote_cpu(void)
{
	uint64_t a, b, c, d;
	int rc = -1;

	if (smp_online() < 2 || smp_call_on(1, start_counter, &rc) || rc)
		return 0;
	smp_call_on(1, read_counter, &a);
	smp_call_on(1, read_counter, &b);
	smp_call_on(1, read_counter, &c);
	for (int i = 0; i < REMOTE_ROUNDS; i++)
		arch_tlb_flush_page(CPU_BIT(1), 0, VA);
	smp_call_on(1, read_counter, &d);
	uint64_t with = d - c, without = b - a;

	bench_start();   /* the runner subtracts an empty measurement */
	uint64_t n = bench_stop();
	return n + (with > without ? (with - without) / REMOTE_ROUNDS : 0);
}
BENCH(tlb_flush_page_remote_cpu, NULL, bench_tlb_flush_page_remote_cpu);
