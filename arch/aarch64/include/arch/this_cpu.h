/*
 * aarch64: TPIDR_EL1 points at this CPU's struct cpu (D19.2.147: a
 * register for the OS's own use at EL1; EL0 cannot read it).  Included
 * through <arch/cpu.h>.
 */
/* struct cpu comes first (this header is included at the end of it). */
#include <arch/cpu.h>

#ifndef ARCH_THIS_CPU_H
#define ARCH_THIS_CPU_H

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;

	__asm__ volatile("mrs %0, tpidr_el1" : "=r"(c));
	return c;
}

#endif
