/*
 * The GICv2 (Arm IHI 0048B), as the Raspberry Pi 4's GIC-400 and QEMU
 * virt with gic-version=2 have it: a distributor (GICD) and a CPU
 * interface (GICC), both memory-mapped, the first two reg entries.  SGI 0
 * is the IPI.  The kernel runs non-secure: on a GIC with the Security
 * Extensions (the GIC-400) the firmware has put the interrupts in Group 1
 * and the non-secure view's enable bits are bit 0 of GICD_CTLR and
 * GICC_CTLR; on one without (QEMU virt), bit 0 enables Group 0, where
 * every interrupt starts.  Bit 1 is set too, which enables Group 1 in the
 * second case and is harmless in the first.
 */
#include <stdint.h>
#include <arch/cpu.h>
#include <arch/sysreg.h>
#include <lib/err.h>
#include <lib/fdt.h>
#include "irqchip.h"

#define GICD_CTLR          0x000
#define GICD_ISENABLER(n)  (0x100 + 4 * (n))
#define GICD_IPRIORITYR(n) (0x400 + (n))
#define GICD_ITARGETSR(n)  (0x800 + (n))
#define GICD_SGIR          0xf00

#define GICC_CTLR          0x00
#define GICC_PMR           0x04
#define GICC_IAR           0x0c
#define GICC_EOIR          0x10

#define CTLR_ENABLE        3u
#define IPI_INTID          0

static volatile uint8_t *gicd, *gicc;
/* Each CPU's interface bit for GICD_SGIR's target list (not its MPIDR). */
static uint8_t target_of[CPU_MAX];

#define rd32 mmio_rd32
#define wr32 mmio_wr32

/*
 * GICD_ITARGETSR0-7 are banked: each byte reads as the reading CPU's own
 * interface bit (IHI 0048B 4.3.12), which is what SGIs are sent to.
 */
static int gicv2_cpu_init(struct cpu *c)
{
	uint8_t mask = *(volatile uint8_t *)(gicd + GICD_ITARGETSR(0));

	if (!mask)
		return E_NOENT;
	target_of[c->num] = mask;
	*(volatile uint8_t *)(gicd + GICD_IPRIORITYR(IPI_INTID)) = 0x80;
	wr32(gicd, GICD_ISENABLER(0), 1u << IPI_INTID);
	wr32(gicc, GICC_PMR, 0xff);
	wr32(gicc, GICC_CTLR, CTLR_ENABLE);
	return E_OK;
}

static int gicv2_init(const struct fdt *fdt, int node, void *(*map)(uint64_t, uint64_t))
{
	uint64_t gicc_size;
	int rc = gic_map_regs(fdt, node, map, &gicd, &gicc, &gicc_size);

	if (rc)
		return rc;
	wr32(gicd, GICD_CTLR, CTLR_ENABLE);
	return gicv2_cpu_init(this_cpu());
}

/* GICD_SGIR: target list filter 0 (the list), the list, the SGI number. */
static void gicv2_send_ipi(const struct cpu *c)
{
	dsb(ishst);
	wr32(gicd, GICD_SGIR, (uint32_t)target_of[c->num] << 16 | IPI_INTID);
}

static void gicv2_enable_ppi(unsigned intid)
{
	*(volatile uint8_t *)(gicd + GICD_IPRIORITYR(intid)) = 0x80;
	wr32(gicd, GICD_ISENABLER(0), 1u << intid);
}

/* GICC_IAR's whole value (an SGI's source CPU in bits 10-12) goes back to EOIR. */
static uint32_t gicv2_ack(void)
{
	return rd32(gicc, GICC_IAR);
}

static void gicv2_eoi(uint32_t iar)
{
	wr32(gicc, GICC_EOIR, iar);
}

static unsigned gicv2_handle(int (*other)(unsigned intid))
{
	return gic_handle(gicv2_ack, gicv2_eoi, IPI_INTID, other);
}

const struct irqchip gicv2_irqchip = {
	.compatible = { "arm,gic-400", "arm,cortex-a15-gic", NULL },
	.init = gicv2_init,
	.cpu_init = gicv2_cpu_init,
	.xlate = gic_xlate,
	.send_ipi = gicv2_send_ipi,
	.enable_ppi = gicv2_enable_ppi,
	.handle = gicv2_handle,
};
