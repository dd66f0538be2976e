/*
 * The BCM2836 per-core interrupt controller of the Raspberry Pi 2 and 3
 * (Broadcom "QA7" ARM quad-A7 core document, rev 3.4; Linux's
 * brcm,bcm2836-l1-intc binding): 256 bytes at 0x40000000 that route each
 * core's architected timer interrupts and four mailboxes per core to
 * that core's IRQ line.  The device tree's interrupt numbers are its
 * source bits: 0-3 the timers (secure physical, non-secure physical,
 * hypervisor, virtual), 4-7 mailboxes 0-3.  Mailbox 0 is the IPI: a
 * write to its set register raises it, writing the bits back to its
 * read/clear register lowers it.  A core is named by MPIDR Aff0.
 */
#include <stdint.h>
#include <arch/cpu.h>
#include <arch/sysreg.h>
#include <lib/err.h>
#include <lib/fdt.h>
#include "irqchip.h"

#define TIMER_CTL(core)    (0x40 + 4 * (core))   /* bits 0-3: timer IRQ enables */
#define MBOX_CTL(core)     (0x50 + 4 * (core))   /* bits 0-3: mailbox IRQ enables */
#define IRQ_SOURCE(core)   (0x60 + 4 * (core))
#define MBOX_SET(core, m)  (0x80 + 16 * (core) + 4 * (m))
#define MBOX_CLR(core, m)  (0xc0 + 16 * (core) + 4 * (m))

#define SRC_TIMERS         0xfu
#define SRC_MBOX0          4u                    /* the IPI's source bit */
#define NCORES             4

static volatile uint8_t *regs;

static inline uint32_t rd32(uint32_t off)
{
	return mmio_rd32(regs, off);
}

static inline void wr32(uint32_t off, uint32_t v)
{
	mmio_wr32(regs, off, v);
}

static unsigned core_of(const struct cpu *c)
{
	return (unsigned)(c->hwid & 0xff);
}

static int bcm2836_cpu_init(struct cpu *c)
{
	unsigned core = core_of(c);

	if (core >= NCORES)
		return E_RANGE;
	wr32(MBOX_CLR(core, 0), 0xffffffff);
	wr32(MBOX_CTL(core), rd32(MBOX_CTL(core)) | 1u);
	return E_OK;
}

static int bcm2836_init(const struct fdt *fdt, int node, void *(*map)(uint64_t, uint64_t))
{
	struct fdt_range r;

	if (fdt_reg_phys(fdt, node, 0, &r))
		return E_CORRUPT;
	regs = map(r.base, r.size ? r.size : 0x100);
	if (!regs)
		return E_NOMEM;
	return bcm2836_cpu_init(this_cpu());
}

/* Only the four timers are private interrupts a device tree may name. */
static int bcm2836_xlate(const uint32_t *cells, unsigned n, unsigned *intid)
{
	if (n < 1 || cells[0] > 3)
		return E_NOTSUP;
	*intid = cells[0];
	return E_OK;
}

static void bcm2836_send_ipi(const struct cpu *c)
{
	dsb(ishst);
	wr32(MBOX_SET(core_of(c), 0), 1);
}

static void bcm2836_enable_ppi(unsigned intid)
{
	unsigned core = core_of(this_cpu());

	wr32(TIMER_CTL(core), rd32(TIMER_CTL(core)) | 1u << intid);
}

static unsigned bcm2836_handle(int (*other)(unsigned intid))
{
	unsigned core = core_of(this_cpu()), taken = 0;

	for (;;) {
		uint32_t src = rd32(IRQ_SOURCE(core));

		if (src & 1u << SRC_MBOX0) {
			wr32(MBOX_CLR(core, 0), rd32(MBOX_CLR(core, 0)));
			this_cpu()->ipis++;
			taken++;
			continue;
		}
		if (!(src & SRC_TIMERS))
			return src ? 0 : taken;   /* a source nobody enabled */
		unsigned intid = (unsigned)__builtin_ctz(src & SRC_TIMERS);
		if (!other(intid))
			return 0;
		taken++;
	}
}

const struct irqchip bcm2836_irqchip = {
	.compatible = { "brcm,bcm2836-l1-intc", NULL },
	.init = bcm2836_init,
	.cpu_init = bcm2836_cpu_init,
	.xlate = bcm2836_xlate,
	.send_ipi = bcm2836_send_ipi,
	.enable_ppi = bcm2836_enable_ppi,
	.handle = bcm2836_handle,
};
