/* Power-off and reset, through the firmware or a test finisher. */
#include <stdint.h>
#include <stdio.h>
#include <arch/arch.h>
#include <lib/fdt.h>
#include <mm/kmap.h>
#include <drivers/power.h>

/*
 * QEMU's SiFive test device: writing 0x3333 | code << 16 ends the emulator
 * with exit status `code` (0x5555 would be a clean exit).  The firmware's
 * reset call cannot carry a failure status, so failures go straight here.
 */
#define FINISHER_FAIL 0x3333

static volatile uint32_t *finisher;

void power_fdt_init(const struct fdt *fdt)
{
	int node = fdt_find_compatible(fdt, -1, "sifive,test0");
	struct fdt_range reg;

	if (node >= 0 && fdt_reg_phys(fdt, node, 0, &reg) == 0)
		finisher = iomap(reg.base, sizeof(*finisher));
}

void power_off(int status)
{
	printf("power: off (%s)\n", status ? "failure" : "success");
	if (status && finisher)
		*finisher = FINISHER_FAIL | (uint32_t)status << 16;
	if (status)
		arch_exit_status(status);
	arch_poweroff();
}

void power_reboot(void)
{
	printf("power: reboot\n");
	arch_reboot();
}
