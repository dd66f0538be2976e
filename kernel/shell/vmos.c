/* `vmos`: the live memory objects (<mm/vmo.h>), oldest first. */
#include <stdio.h>
#include <shell/shell.h>
#include <mm/vmo.h>

static const char *const policies[] = { "cached", "uncached", "wc", "device" };

static int print_vmo(void *ctx, const struct vmo_info *i)
{
	unsigned *n = ctx;
	char parent[16] = "-";

	if (i->parent_id)
		snprintf(parent, sizeof(parent), "%s %u", i->slice ? "slice" : "clone", i->parent_id);
	printf("  %4u %-23s %10llu KiB %8llu pages %4u maps %3u pins %-8s %s%s%s\n", i->id,
	       i->name[0] ? i->name : "-", (unsigned long long)(i->size >> 10),
	       (unsigned long long)i->committed, i->mappings, i->pins,
	       i->cache < 4 ? policies[i->cache] : "?", parent,
	       i->flags & VMO_RESIZABLE ? " resizable" : "",
	       i->flags & VMO_CONTIGUOUS ? " contiguous" : "");
	++*n;
	return 0;
}

static int cmd_vmos(int argc, char **argv)
{
	unsigned n = 0;

	(void)argc;
	(void)argv;
	printf("    id name                          size    committed  mappings  pins policy   parent\n");
	vmo_traverse(print_vmo, &n);
	printf("%u memory objects\n", n);
	return 0;
}
SHELL_CMD(vmos, "list the live memory objects: name, size, committed pages, mappings, clone parent",
          cmd_vmos);
