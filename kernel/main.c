/*
 * The boot sequence, after the arch entry code has set up a stack, zeroed
 * .bss and (on aarch64) turned on the early identity map.
 */
#include <stdio.h>
#include <arch/arch.h>
#include <kernel/boot.h>
#include <kernel/cmdline.h>
#include <kernel/console.h>
#include <kernel/err.h>
#include <kernel/fdt.h>
#include <kernel/ktest.h>
#include <kernel/mem_boot.h>
#include <kernel/power.h>
#include <kernel/shell.h>

#define FDT_MAX_SIZE (2u << 20)

void kernel_main(unsigned long hartid, const void *dtb);

struct fdt boot_fdt;
const char *boot_cmdline = "";
static struct cmdline opts;

void kernel_main(unsigned long hartid, const void *dtb)
{
	int rc;

	console_early_init();
	arch_trap_init();

	rc = fdt_init(&boot_fdt, dtb, FDT_MAX_SIZE);
	if (rc) {
		printf("\nfatal: no valid device tree at %p (%s); cannot continue\n",
		       dtb, err_str(rc));
		arch_halt();
	}
	arch_fdt_init(&boot_fdt);
	power_fdt_init(&boot_fdt);
	rc = console_fdt_init(&boot_fdt);
	if (rc)
		printf("console: no usable stdout-path (%s); staying on %s\n",
		       err_str(rc), console_name());

	rc = mem_boot_init(&boot_fdt, dtb);
	if (rc) {
		printf("fatal: cannot build the memory map from the device tree (%s)\n",
		       err_str(rc));
		power_off(POWER_FAILURE);
	}

	boot_cmdline = fdt_bootargs(&boot_fdt);
	uint64_t ram = mem_ranges_total(boot_memmap.ram, boot_memmap.nram);
	int nranges = boot_memmap.nram;
	printf("\narbor: %s on %s (boot CPU %lu), RAM %llu MiB in %d range%s, "
	       "console %s, cmdline \"%s\"\n", ARCH_NAME, BOARD_NAME, hartid,
	       (unsigned long long)(ram >> 20), nranges, nranges == 1 ? "" : "s",
	       console_name(), boot_cmdline);
	if (cmdline_parse(boot_cmdline, &opts))
		printf("cmdline: longer than %d bytes, ignored\n", CMDLINE_MAX - 1);

	if (opts.bench)
		printf("bench: benchmarks are not built into this kernel yet\n");
	if (opts.ktest) {
		int failed = ktest_run(opts.ktest);

		if (opts.poweroff)
			power_off(failed ? POWER_FAILURE : POWER_SUCCESS);
	} else if (opts.poweroff) {
		power_off(POWER_SUCCESS);
	}
	shell_run();
}
