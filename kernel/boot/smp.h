/*
 * Starting and finding CPUs.  Per-CPU data itself is <arch/cpu.h>.
 */
#ifndef BOOT_SMP_H
#define BOOT_SMP_H

#include <stdint.h>
#include <arch/cpu.h>

#define CPU_BOOT_STACK_SIZE 16384   /* what a secondary CPU boots and idles on */
#define SMP_TICK_US 10000           /* every CPU's timer tick: 100 Hz */

/* Every CPU's emergency trap stack and secondary boot stack, by number. */
extern char cpu_trap_stacks[CPU_MAX][CPU_TRAP_STACK_SIZE];
extern char cpu_boot_stacks[CPU_MAX][CPU_BOOT_STACK_SIZE];

/*
 * Fill in @c as CPU number @num with hardware id @hwid before it runs:
 * its TLS block from the image's template, its emergency trap stack, no
 * stack limit.
 */
void cpu_prepare(struct cpu *c, unsigned num, uint64_t hwid);

/*
 * When @addr lies on a CPU's emergency trap stack or boot stack, store
 * that stack's bounds [*lo, *hi) and return 1; otherwise return 0.
 */
int cpu_stack_of(uintptr_t addr, uintptr_t *lo, uintptr_t *hi);


struct fdt;

/*
 * A call for another CPU: smp_call_start() hands it over, the CPU runs
 * fn(arg) from its idle loop, smp_call_wait() waits for it.  Lives with
 * the caller until waited for.
 */
struct smp_call {
	void (*fn)(void *arg);
	void *arg;
	unsigned from;            /* the CPU that waits for it */
	int done;                 /* set by the CPU that ran it (release) */
};

/*
 * Start every CPU the device tree @fdt lists and the kernel can use
 * (arch_cpu_usable()), up to @max in all (the boot CPU counts), each
 * within a second; report the ones skipped or failed and go on without
 * them.  Boot CPU, once, after the heap and the interrupt controller are up.
 * Returns how many CPUs are online.
 */
unsigned smp_start(const struct fdt *fdt, unsigned max);

/* CPUs online now (the boot CPU included). */
unsigned smp_online(void);

/*
 * Have CPU @cpu run fn(arg), after whatever it was asked to run before
 * (one call at a time per CPU: this waits while it has one).  On this
 * CPU, runs it right here.  E_OK, or E_NOENT when @cpu is not online.
 * The call must not wait for anything of the calling CPU's.
 */
int smp_call_start(unsigned cpu, struct smp_call *call, void (*fn)(void *arg), void *arg);

/* Wait until @call (started by smp_call_start() and returned E_OK) has run. */
void smp_call_wait(struct smp_call *call);

/* smp_call_start() then smp_call_wait(). */
int smp_call_on(unsigned cpu, void (*fn)(void *arg), void *arg);

/*
 * Run fn(arg) on every online CPU at once, this one included (it runs its
 * own share while the others run theirs), and return when all are done.
 * Returns how many CPUs ran it.  For the concurrency tests.
 */
int smp_run_everywhere(void (*fn)(void *arg), void *arg);

#endif
