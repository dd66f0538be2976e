/* `vareas`: the vareas of the kernel address space (and the current user one). */
#include <stdio.h>
#include <shell/shell.h>
#include <mm/aspace.h>

static int print_varea(void *ctx, const struct varea *va)
{
	(void)ctx;
	printf("  0x%016lx-0x%016lx %8llu KiB %c%c%c %-6s %6llu pages resident%s%s\n",
	       (unsigned long)va->start, (unsigned long)(va->start + va->size - 1),
	       (unsigned long long)(va->size >> 10),
	       va->perms & MMU_READ ? 'r' : '-', va->perms & MMU_WRITE ? 'w' : '-',
	       va->perms & MMU_EXEC ? 'x' : '-', va->obj->ops->name,
	       (unsigned long long)va->resident, va->name ? "  " : "", va->name ? va->name : "");
	return 0;
}

static void show(struct aspace *as)
{
	printf("%s: %llu vareas, %llu pages populated by faults\n", as->name,
	       (unsigned long long)as->nvareas, (unsigned long long)as->stats.populated);
	aspace_traverse(as, print_varea, NULL);
}

static int cmd_vareas(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	show(&kernel_aspace);
	if (aspace_current())
		show(aspace_current());
	return 0;
}
SHELL_CMD(vareas, "list the vareas of the kernel (and current user) address space", cmd_vareas);
