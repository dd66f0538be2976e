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
	/* Acknowledge what is pending on this CPU; how many were IPIs. */
	unsigned (*ack)(void);
};

extern const struct irqchip gicv3_irqchip;

#endif
