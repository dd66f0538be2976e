/*
 * The host's fake arch: each thread that plays a CPU points a
 * thread-local variable at its struct cpu (arch/fake/fake_arch.c: the main
 * thread is cpus[0]; fake_cpu_enter() makes a thread another CPU).
 */
/* struct cpu comes first (this header is included at the end of it). */
#include <arch/cpu.h>

#ifndef ARCH_THIS_CPU_H
#define ARCH_THIS_CPU_H

extern __thread struct cpu *fake_this_cpu;

static inline struct cpu *this_cpu(void)
{
	return fake_this_cpu;
}

#endif
