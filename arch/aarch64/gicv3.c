/*
 * The GICv3 (Arm IHI 0069): what the kernel uses of it, which is SGI 0 as
 * the inter-processor interrupt.  Distributor (GICD) and one
 * redistributor per CPU (GICR: an RD frame and an SGI frame, 64 KiB each)
 * are memory-mapped; the CPU interface is the ICC_* system registers.
 * Non-secure EL1 view, Group 1 interrupts; on a GIC with a single
 * security state (QEMU virt without secure=on, GICD_CTLR.DS = 1) the same
 * writes apply.
 */
#include <stdint.h>
#include <arch/cpu.h>
#include <arch/sysreg.h>
#include <lib/err.h>
#include <lib/fdt.h>
#include "irqchip.h"

#define GICD_CTLR          0x0000
#define GICD_CTLR_RWP      (1u << 31)
#define GICD_CTLR_ENABLE   (1u << 0 | 1u << 1 | 1u << 4)   /* Grp0/Grp1(NS), ARE */

#define GICR_FRAME         0x10000             /* RD frame, then SGI frame */
#define GICR_TYPER         0x0008
#define GICR_TYPER_LAST    (1ull << 4)
#define GICR_TYPER_VLPIS   (1ull << 1)
#define GICR_WAKER         0x0014
#define GICR_WAKER_SLEEP   (1u << 1)
#define GICR_WAKER_ASLEEP  (1u << 2)
#define GICR_IGROUPR0      (GICR_FRAME + 0x0080)
#define GICR_ISENABLER0    (GICR_FRAME + 0x0100)
#define GICR_IPRIORITYR(n) (GICR_FRAME + 0x0400 + (n))

#define ICC_SRE_EL1        S3_0_C12_C12_5
#define ICC_PMR_EL1        S3_0_C4_C6_0
#define ICC_IGRPEN1_EL1    S3_0_C12_C12_7
#define ICC_IAR1_EL1       S3_0_C12_C12_0
#define ICC_EOIR1_EL1      S3_0_C12_C12_1
#define ICC_SGI1R_EL1      S3_0_C12_C11_5

#define IPI_INTID          0

static volatile uint8_t *gicd, *gicr_region;
static uint64_t gicr_size;
static volatile uint8_t *gicr_of[CPU_MAX];     /* each CPU's RD frame */

#define rd32 mmio_rd32
#define wr32 mmio_wr32

static inline uint64_t rd64(volatile uint8_t *base, uint32_t off)
{
	return *(volatile uint64_t *)(base + off);
}

/* GICR_TYPER's affinity, Aff3.Aff2.Aff1.Aff0, in MPIDR_EL1's layout. */
static uint64_t typer_mpidr(uint64_t typer)
{
	uint64_t aff = typer >> 32;

	return (aff & 0xffffff) | (aff >> 24 & 0xff) << 32;
}

/* This CPU's redistributor: the one whose GICR_TYPER names its affinity. */
static volatile uint8_t *find_gicr(uint64_t mpidr)
{
	for (uint64_t off = 0; off + 2 * GICR_FRAME <= gicr_size;) {
		uint64_t typer = rd64(gicr_region, (uint32_t)off + GICR_TYPER);

		if (typer_mpidr(typer) == mpidr)
			return gicr_region + off;
		if (typer & GICR_TYPER_LAST)
			break;
		off += (typer & GICR_TYPER_VLPIS ? 4 : 2) * GICR_FRAME;
	}
	return NULL;
}

static int gicv3_cpu_init(struct cpu *c)
{
	volatile uint8_t *rd = find_gicr(c->hwid);

	if (!rd)
		return E_NOENT;
	gicr_of[c->num] = rd;
	wr32(rd, GICR_WAKER, rd32(rd, GICR_WAKER) & ~GICR_WAKER_SLEEP);
	while (rd32(rd, GICR_WAKER) & GICR_WAKER_ASLEEP)
		;
	wr32(rd, GICR_IGROUPR0, 0xffffffff);             /* SGIs and PPIs: Group 1 */
	*(volatile uint8_t *)(rd + GICR_IPRIORITYR(IPI_INTID)) = 0x80;
	wr32(rd, GICR_ISENABLER0, 1u << IPI_INTID);

	sysreg_write(ICC_SRE_EL1, sysreg_read(ICC_SRE_EL1) | 1);   /* system registers */
	isb();
	sysreg_write(ICC_PMR_EL1, 0xff);
	sysreg_write(ICC_IGRPEN1_EL1, 1);
	isb();
	return E_OK;
}

static int gicv3_init(const struct fdt *fdt, int node, void *(*map)(uint64_t, uint64_t))
{
	int rc = gic_map_regs(fdt, node, map, &gicd, &gicr_region, &gicr_size);

	if (rc)
		return rc;
	wr32(gicd, GICD_CTLR, rd32(gicd, GICD_CTLR) | GICD_CTLR_ENABLE);
	while (rd32(gicd, GICD_CTLR) & GICD_CTLR_RWP)
		;
	return gicv3_cpu_init(this_cpu());
}

/* ICC_SGI1R_EL1 (D19.4.17): one target, named by its affinity. */
static void gicv3_send_ipi(const struct cpu *c)
{
	uint64_t aff0 = c->hwid & 0xff, aff1 = c->hwid >> 8 & 0xff;
	uint64_t aff2 = c->hwid >> 16 & 0xff, aff3 = c->hwid >> 32 & 0xff;
	uint64_t v = aff3 << 48 | aff2 << 32 | (aff0 / 16) << 44 | (uint64_t)IPI_INTID << 24 |
	             aff1 << 16 | 1ull << (aff0 % 16);

	dsb(ishst);
	sysreg_write(ICC_SGI1R_EL1, v);
	isb();
}

static void gicv3_enable_ppi(unsigned intid)
{
	volatile uint8_t *rd = gicr_of[cpu_num()];

	*(volatile uint8_t *)(rd + GICR_IPRIORITYR(intid)) = 0x80;
	wr32(rd, GICR_ISENABLER0, 1u << intid);
}

static uint32_t gicv3_ack(void)
{
	return (uint32_t)sysreg_read(ICC_IAR1_EL1) & 0xffffff;
}

static void gicv3_eoi(uint32_t intid)
{
	sysreg_write(ICC_EOIR1_EL1, intid);
}

static unsigned gicv3_handle(int (*other)(unsigned intid))
{
	return gic_handle(gicv3_ack, gicv3_eoi, IPI_INTID, other);
}

const struct irqchip gicv3_irqchip = {
	.compatible = { "arm,gic-v3", NULL },
	.init = gicv3_init,
	.cpu_init = gicv3_cpu_init,
	.xlate = gic_xlate,
	.send_ipi = gicv3_send_ipi,
	.enable_ppi = gicv3_enable_ppi,
	.handle = gicv3_handle,
};
