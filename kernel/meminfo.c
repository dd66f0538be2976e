/* `meminfo`: physical memory as the boot memory map sees it. */
#include <stdio.h>
#include <kernel/mem_boot.h>
#include <kernel/shell.h>

static void print_range(const struct mem_range *r, const char *what)
{
	printf("  [0x%012llx, 0x%012llx) %9llu KiB  %s\n",
	       (unsigned long long)r->base, (unsigned long long)(r->base + r->size),
	       (unsigned long long)(r->size >> 10), what);
}

static int cmd_meminfo(int argc, char **argv)
{
	const struct memmap *mm = &boot_memmap;

	(void)argc;
	(void)argv;
	printf("RAM: %d range%s, %llu KiB\n", mm->nram, mm->nram == 1 ? "" : "s",
	       (unsigned long long)(mem_ranges_total(mm->ram, mm->nram) >> 10));
	for (int i = 0; i < mm->nram; i++)
		print_range(&mm->ram[i], "");
	printf("taken at boot:\n");
	for (int i = 0; i < boot_ntaken; i++)
		print_range(&boot_taken[i].range, boot_taken[i].what);
	printf("never mapped (no-map):\n");
	for (int i = 0; i < boot_nnomap; i++)
		print_range(&boot_nomap[i], "");
	printf("boot allocations: %llu KiB\n", (unsigned long long)(mm->boot_allocated >> 10));
	printf("usable: %d range%s, %llu KiB\n", mm->nfree, mm->nfree == 1 ? "" : "s",
	       (unsigned long long)(mem_ranges_total(mm->free, mm->nfree) >> 10));
	for (int i = 0; i < mm->nfree; i++)
		print_range(&mm->free[i], "");
	return 0;
}
SHELL_CMD(meminfo, "show physical memory", cmd_meminfo);
