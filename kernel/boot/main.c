/*
 * The boot sequence, after the arch entry code has set up a stack, zeroed
 * .bss, built the early page tables and jumped to the kernel's virtual
 * addresses.
 */
#include <stdio.h>
#include <string.h>
#include <arch/arch.h>
#include <boot/boot.h>
#include <arch/smp.h>
#include <boot/smp.h>
#include <exec/fiber.h>
#include <ktest/bench.h>
#include <mm/boot_mmu.h>
#include <lib/cmdline.h>
#include <drivers/console.h>
#include <lib/err.h>
#include <lib/fdt.h>
#include <lib/ktest.h>
#include <mm/heap.h>
#include <mm/kmap.h>
#include <mm/mem_boot.h>
#include <mm/layout.h>
#include <mm/page.h>
#include <drivers/power.h>
#include <shell/shell.h>
#include <exec/tramp.h>

#define FDT_MAX_SIZE (2u << 20)

extern char __image_start[];

void kernel_main(unsigned long hartid, paddr_t dtb_pa);

struct fdt boot_fdt;
const char *boot_cmdline = "";
static struct cmdline opts;
static char cmdline_fallback[512];

static void fatal(const char *what, int rc)
{
	printf("\nfatal: %s (%s); cannot continue\n", what, err_str(rc));
	power_off(POWER_FAILURE);
}

/*
 * Entered at the kernel's virtual address with the early page tables on
 * (mm/boot/boot_mmu.c): the image, the linear map around the image and the
 * device tree, and the early UART are mapped.
 */
void kernel_main(unsigned long hartid, paddr_t dtb_pa)
{
	int rc;

	cpu_prepare(&cpus[0], 0, hartid);   /* tp / TPIDR_EL1 point at it already */
	cpus[0].online = 1;
	fiber_cpu_init(&cpus[0]);
	mm_linear_offset = KERNEL_LINEAR_BASE;
	arch_trap_init();
	console_early_init();
	if (boot_early_status)
		fatal("the boot page-table pool is too small", E_NOMEM);

	rc = fdt_init(&boot_fdt, pa_to_va(dtb_pa), FDT_MAX_SIZE);
	if (rc) {
		printf("\nfatal: no valid device tree at physical 0x%lx (%s); cannot continue\n",
		       (unsigned long)dtb_pa, err_str(rc));
		arch_halt();
	}
	arch_fdt_init(&boot_fdt);
	rc = mem_boot_init(&boot_fdt, dtb_pa);
	if (rc)
		fatal("cannot build the memory map from the device tree", rc);
	rc = kmap_init();
	if (rc)
		fatal("cannot build the kernel page table", rc);
	rc = mm_boot_init();
	if (rc)
		fatal("cannot start the frame allocator", rc);
	rc = fiber_init();
	if (rc)
		fatal("cannot make the boot CPU's idle fiber and system stack", rc);
	rc = tramp_init();
	if (rc)
		fatal("cannot map the FFI trampoline window", rc);

	power_fdt_init(&boot_fdt);
	rc = console_fdt_init(&boot_fdt);
	if (rc)
		printf("console: no usable stdout-path (%s); staying on %s\n",
		       err_str(rc), console_name());

	boot_cmdline = fdt_bootargs(&boot_fdt);
	uint64_t ram = mem_ranges_total(boot_memmap.ram, boot_memmap.nram);
	int nranges = boot_memmap.nram;
	printf("\narbor: %s on %s (boot CPU %lu), RAM %llu MiB in %d range%s, "
	       "console %s, cmdline \"%s\"\n", ARCH_NAME, BOARD_NAME, hartid,
	       (unsigned long long)(ram >> 20), nranges, nranges == 1 ? "" : "s",
	       console_name(), boot_cmdline);
	printf("mmu: %u-level tables (%u-bit VA), %u-bit ASIDs, kernel at 0x%lx "
	       "(physical 0x%llx)\n", kernel_pt.levels, pt_va_bits(kernel_pt.levels),
	       arch_asid_bits(), (unsigned long)__image_start,
	       (unsigned long long)boot_kernel_pa);
	/* A buffer as long as the line keeps every word; without heap
	 * memory, the words that fit in a small one (the rest is reported). */
	size_t cmdline_size = strlen(boot_cmdline) + 1;
	char *cmdline_buf = kmalloc(cmdline_size, 0);
	if (!cmdline_buf) {
		cmdline_buf = cmdline_fallback;
		cmdline_size = sizeof(cmdline_fallback);
	}
	cmdline_parse(boot_cmdline, cmdline_buf, cmdline_size, &opts);
	boot_mmu_report();

	rc = arch_irq_init(&boot_fdt, kmap_iomap);
	if (rc) {
		printf("irq: no interrupt controller the kernel knows (%s): one CPU\n", err_str(rc));
	} else {
		arch_timer_start(SMP_TICK_US);   /* bounds the waits for CPUs to start */
		smp_start(&boot_fdt, CPU_MAX);
		arch_timer_start(0);
	}

	if (opts.bench && bench_run(opts.bench) && opts.poweroff)
		power_off(POWER_FAILURE);
	/* The boot CPU's tick and interrupts start after the benchmarks, so
	 * no tick handler runs inside a measurement. */
	arch_timer_start(SMP_TICK_US);
	arch_irq_enable();
	if (opts.ktest) {
		int failed = ktest_run(opts.ktest);

		if (opts.poweroff)
			power_off(failed ? POWER_FAILURE : POWER_SUCCESS);
	} else if (opts.poweroff) {
		power_off(POWER_SUCCESS);
	}
	shell_run();
}
