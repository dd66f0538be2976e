/*
 * Starting and finding CPUs.  Per-CPU data itself is <arch/cpu.h>.
 */
#ifndef BOOT_SMP_H
#define BOOT_SMP_H

#include <stdint.h>
#include <arch/cpu.h>

#define CPU_BOOT_STACK_SIZE 16384   /* what a secondary CPU boots and idles on */

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

#endif
