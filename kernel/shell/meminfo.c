/* `meminfo`: physical memory as the boot memory map sees it. */
#include <stdio.h>
#include <mm/mem_boot.h>
#include <shell/shell.h>
#include <mm/heap.h>
#include <mm/page.h>

static void print_range(const struct mem_range *r, const char *what)
{
	printf("  [0x%012llx, 0x%012llx) %9llu KiB  %s\n",
	       (unsigned long long)r->base, (unsigned long long)(r->base + r->size),
	       (unsigned long long)(r->size >> 10), what);
}

/* The frame allocator: what it has, what is free, its metadata cost. */
static void print_frames(void)
{
	struct pmm_stats st;

	pmm_stats(&st);
	printf("frames: %llu total (%llu KiB), %llu reserved, %llu used, %llu free "
	       "(%llu in the order-0 cache)\n",
	       (unsigned long long)st.total, (unsigned long long)(st.total * (PAGE_SIZE >> 10)),
	       (unsigned long long)st.reserved,
	       (unsigned long long)(st.total - st.reserved - st.free),
	       (unsigned long long)st.free, (unsigned long long)st.cached);
	printf("frame metadata: %u bytes per 4 KiB frame, %llu KiB in all\n",
	       (unsigned)sizeof(struct page), (unsigned long long)(st.meta_bytes >> 10));
	printf("free blocks by order:");
	for (int o = 0; o <= PAGE_MAX_ORDER; o++)
		printf(" %d:%llu", o, (unsigned long long)st.blocks[o]);
	printf("\n");
}

static void print_cache(const struct kmem_cache_stats *st, void *ctx)
{
	(void)ctx;
	printf("  %-16s %6zu B %8llu in use %8llu room %6llu slabs %6llu pages\n",
	       st->name, st->obj_size, (unsigned long long)st->objs_inuse,
	       (unsigned long long)st->objs_total, (unsigned long long)st->slabs,
	       (unsigned long long)st->pages);
}

static void print_heap(void)
{
	struct heap_stats hs;

	heap_stats(&hs);
	printf("heap: %llu caches, %llu slab pages, %llu large blocks (%llu pages)\n",
	       (unsigned long long)hs.caches, (unsigned long long)hs.slab_pages,
	       (unsigned long long)hs.large_blocks, (unsigned long long)hs.large_pages);
	kmem_cache_foreach(print_cache, NULL);
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
	print_frames();
	print_heap();
	return 0;
}
SHELL_CMD(meminfo, "show physical memory", cmd_meminfo);
