/*
 * riscv64: tp points at this CPU's TLS block, cpus[n].tls (picolibc keeps
 * errno at a tp-relative offset), so the struct is a fixed distance below.
 */
/* struct cpu comes first (this header is included at the end of it). */
#include <arch/cpu.h>

#ifndef ARCH_THIS_CPU_H
#define ARCH_THIS_CPU_H

static inline struct cpu *this_cpu(void)
{
	uintptr_t tp;

	__asm__ volatile("mv %0, tp" : "=r"(tp));
	return (struct cpu *)(tp - CPU_OFF_TLS);
}

#endif
