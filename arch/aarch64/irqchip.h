/*
 * An interrupt controller driver, chosen by the device tree's compatible
 * string (arch/aarch64/smp.c lists them); a board with another controller
 * adds a driver here.
 */
#ifndef AARCH64_IRQCHIP_H
#define AARCH64_IRQCHIP_H

#include <stdint.h>

struct cpu;
struct fdt;

struct irqchip {
	const char *compatible;
	/* Map and set up the shared side from @node, then the boot CPU's side. */
	int (*init)(const struct fdt *fdt, int node, void *(*map)(uint64_t pa, uint64_t size));
	/* This CPU's side (a secondary, on itself). */
	int (*cpu_init)(struct cpu *c);
	/* Raise the IPI on @c. */
	void (*send_ipi)(const struct cpu *c);
	/* Let private interrupt (PPI) @intid through to this CPU. */
	void (*enable_ppi)(unsigned intid);
	/*
	 * Take every interrupt pending on this CPU: IPIs are counted, others
	 * handed to @other(intid) (which returns 0 for one nobody knows);
	 * each is acknowledged.  Returns how many were taken, 0 when none
	 * was pending or one was unknown.
	 */
	unsigned (*handle)(int (*other)(unsigned intid));
};

/* smp.c: an IRQ the vectors took; nonzero when it was handled. */
int aarch64_irq(void);

extern const struct irqchip gicv3_irqchip;

#endif
