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
#include <kernel/power.h>
#include <kernel/shell.h>

#define FDT_MAX_SIZE (2u << 20)
#define MAX_RANGES 16

void kernel_main(unsigned long hartid, const void *dtb);

struct fdt boot_fdt;
const char *boot_cmdline = "";
static struct cmdline opts;

static uint64_t ram_total(int *nranges)
{
	struct fdt_range r[MAX_RANGES];
	int n = fdt_memory(&boot_fdt, r, MAX_RANGES);
	uint64_t total = 0;

	for (int i = 0; i < n && i < MAX_RANGES; i++)
		total += r[i].size;
	*nranges = n;
	return total;
}

void kernel_main(unsigned long hartid, const void *dtb)
{
	int rc, nranges;

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

	boot_cmdline = fdt_bootargs(&boot_fdt);
	uint64_t ram = ram_total(&nranges);
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
