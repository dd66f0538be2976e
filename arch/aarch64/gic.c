/* What the GICv2 and GICv3 drivers share (arch/aarch64/irqchip.h). */
#include <stdint.h>
#include <arch/cpu.h>
#include <lib/err.h>
#include <lib/fdt.h>
#include "irqchip.h"

#define SPURIOUS 1020   /* INTIDs 1020-1023: nothing to acknowledge */

int gic_xlate(const uint32_t *cells, unsigned n, unsigned *intid)
{
	if (n < 2 || cells[0] > 1 || cells[1] >= (cells[0] ? 16u : 988u))
		return E_NOTSUP;
	*intid = (cells[0] ? 16 : 32) + cells[1];
	return E_OK;
}

int gic_map_regs(const struct fdt *fdt, int node, void *(*map)(uint64_t, uint64_t),
                 volatile uint8_t **first, volatile uint8_t **second, uint64_t *second_size)
{
	struct fdt_range a, b;

	if (fdt_reg_phys(fdt, node, 0, &a) || fdt_reg_phys(fdt, node, 1, &b))
		return E_CORRUPT;
	*first = map(a.base, a.size);
	*second = map(b.base, b.size);
	if (!*first || !*second)
		return E_NOMEM;
	*second_size = b.size;
	return E_OK;
}

unsigned gic_handle(uint32_t (*ack)(void), void (*eoi)(uint32_t ack), unsigned ipi_intid,
                    int (*other)(unsigned intid))
{
	unsigned taken = 0;

	for (;;) {
		uint32_t a = ack(), intid = a & 0x3ff;
		int known = 1;

		if (intid >= SPURIOUS)
			return taken;
		if (intid == ipi_intid)
			this_cpu()->ipis++;
		else
			known = other(intid);
		eoi(a);
		if (!known)
			return 0;
		taken++;
	}
}
