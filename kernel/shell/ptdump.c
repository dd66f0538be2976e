/*
 * `ptdump`: the kernel page table as ranges.  Leaves that follow each
 * other in virtual and physical address with the same flags merge into
 * one line, with how many leaves of each size it holds.
 */
#include <stdio.h>
#include <mm/kmap.h>
#include <shell/shell.h>
#include <mm/pt.h>

struct run {
	uintptr_t va;
	paddr_t pa;
	uint64_t size;
	unsigned flags;
	uint64_t count[PT_MAX_BLOCK_LEVEL + 1];
	int open;
};

static void flags_str(unsigned f, char *s)
{
	s[0] = f & MMU_READ ? 'r' : '-';
	s[1] = f & MMU_WRITE ? 'w' : '-';
	s[2] = f & MMU_EXEC ? 'x' : '-';
	s[3] = f & MMU_USER ? 'u' : '-';
	s[4] = f & MMU_GLOBAL ? 'g' : '-';
	s[5] = f & MMU_DEVICE ? 'd' : '-';
	s[6] = '\0';
}

static void print_run(const struct run *r)
{
	static const char *const size_name[] = { "4K", "2M", "1G" };
	char f[8];

	if (!r->open)
		return;
	flags_str(r->flags, f);
	printf("  0x%016lx-0x%016lx -> 0x%010llx %9llu KiB %s ",
	       (unsigned long)r->va, (unsigned long)(r->va + r->size - 1),
	       (unsigned long long)r->pa, (unsigned long long)(r->size >> 10), f);
	for (int l = PT_MAX_BLOCK_LEVEL; l >= 0; l--)
		if (r->count[l])
			printf(" %llux%s", (unsigned long long)r->count[l], size_name[l]);
	printf("\n");
}

static int add_leaf(void *ctx, uintptr_t va, paddr_t pa, uint64_t size, unsigned flags,
                    unsigned level)
{
	struct run *r = ctx;

	if (!r->open || flags != r->flags || va != r->va + r->size || pa != r->pa + r->size) {
		print_run(r);
		*r = (struct run){ .va = va, .pa = pa, .flags = flags, .open = 1 };
	}
	r->size += size;
	if (level <= PT_MAX_BLOCK_LEVEL)
		r->count[level]++;
	return 0;
}

/* Print @pt's mappings as merged ranges. */
static void ptdump(const struct pt *pt)
{
	struct run r = { 0 };

	printf("%s table, %u levels, %llu table pages (flags: r w x user global device)\n",
	       pt->kernel ? "kernel" : "user", pt->levels,
	       (unsigned long long)pt->table_pages);
	pt_walk(pt, add_leaf, &r);
	print_run(&r);
}

static int cmd_ptdump(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ptdump(&kernel_pt);
	return 0;
}
SHELL_CMD(ptdump, "show the kernel page table as ranges", cmd_ptdump);
