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

/* 32-bit device registers at @base + @off. */
static inline uint32_t mmio_rd32(volatile uint8_t *base, uint32_t off)
{
	return *(volatile uint32_t *)(base + off);
}

static inline void mmio_wr32(volatile uint8_t *base, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(base + off) = v;
}

/* gic.c, for both GICs.  The specifier (type, number, flags): PPI n is
 * INTID 16 + n, SPI n is 32 + n. */
int gic_xlate(const uint32_t *cells, unsigned n, unsigned *intid);
/* Map @node's first two reg entries (distributor, then CPU interface or
 * redistributors); E_CORRUPT, E_NOMEM. */
int gic_map_regs(const struct fdt *fdt, int node, void *(*map)(uint64_t, uint64_t),
                 volatile uint8_t **first, volatile uint8_t **second, uint64_t *second_size);
/* The handle() loop: acknowledge until spurious, count @ipi_intid, hand
 * the rest to @other, end each with @eoi of what ack() returned. */
unsigned gic_handle(uint32_t (*ack)(void), void (*eoi)(uint32_t ack), unsigned ipi_intid,
                    int (*other)(unsigned intid));

extern const struct irqchip gicv3_irqchip, gicv2_irqchip, bcm2836_irqchip;

#endif
