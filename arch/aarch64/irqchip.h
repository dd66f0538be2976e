/*
 * An interrupt controller driver, chosen by the device tree's compatible
 * string: the controller the architected timer's interrupts go to
 * (arch/aarch64/smp.c lists the drivers).  What the kernel needs of one:
 * an IPI between CPUs and the per-CPU timer interrupt.  Drivers: the
 * GICv3 (QEMU virt), the GICv2 (the Raspberry Pi 4's GIC-400, QEMU virt
 * with gic-version=2) and the BCM2836 per-core controller (Raspberry
 * Pi 2/3), each in its own file.
 */
#ifndef AARCH64_IRQCHIP_H
#define AARCH64_IRQCHIP_H

#include <stdint.h>

struct cpu;
struct fdt;

struct irqchip {
	const char *compatible[3];     /* device-tree strings it serves, NULL-ended */
	/* Map and set up the shared side from @node, then the boot CPU's side. */
	int (*init)(const struct fdt *fdt, int node, void *(*map)(uint64_t pa, uint64_t size));
	/* This CPU's side (a secondary, on itself). */
	int (*cpu_init)(struct cpu *c);
	/*
	 * The interrupt number this driver uses for the device-tree
	 * specifier @cells (@n of them, the controller's #interrupt-cells);
	 * E_OK, or E_NOTSUP for one it cannot take.
	 */
	int (*xlate)(const uint32_t *cells, unsigned n, unsigned *intid);
	/* Raise the IPI on @c. */
	void (*send_ipi)(const struct cpu *c);
	/* Let this CPU's private interrupt @intid (the timer's) through. */
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

/* The GIC's specifier (type, number, flags): PPI n is INTID 16 + n, SPI n 32 + n. */
int gic_xlate(const uint32_t *cells, unsigned n, unsigned *intid);

extern const struct irqchip gicv3_irqchip, gicv2_irqchip, bcm2836_irqchip;

#endif
