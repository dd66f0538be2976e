/* `meminfo`: the memory the device tree describes. */
#include <stdio.h>
#include <kernel/boot.h>
#include <kernel/shell.h>

#define MAX_RANGES 32

static void print_ranges(const char *what, int n, const struct fdt_range *r)
{
	printf("%s: %d range%s\n", what, n, n == 1 ? "" : "s");
	for (int i = 0; i < n && i < MAX_RANGES; i++)
		printf("  [0x%012llx, 0x%012llx) %8llu KiB\n",
		       (unsigned long long)r[i].base,
		       (unsigned long long)(r[i].base + r[i].size),
		       (unsigned long long)(r[i].size >> 10));
}

static int cmd_meminfo(int argc, char **argv)
{
	struct fdt_range r[MAX_RANGES];

	(void)argc;
	(void)argv;
	print_ranges("RAM", fdt_memory(&boot_fdt, r, MAX_RANGES), r);
	print_ranges("reserved", fdt_reserved(&boot_fdt, r, MAX_RANGES), r);
	return 0;
}
SHELL_CMD(meminfo, "show physical memory", cmd_meminfo);
