/*
 * kmap_init(): adopt the boot page table as kernel_pt and give it the
 * whole linear map (mm/include/mm/kmap.h).  Kernel-only: it reads what
 * mm/boot/boot_mmu.c and mm/boot/mem_boot.c left.
 */
#include <string.h>
#include <lib/err.h>
#include <mm/asid.h>
#include <mm/boot_mmu.h>
#include <mm/kmap.h>
#include <mm/layout.h>
#include <mm/mem_boot.h>
#include <mm/page.h>

/*
 * Before the frame allocator exists, table pages come from the boot
 * memory map, from the part the early linear map can reach (the window
 * around the image), so they can be filled in through it.
 */
static paddr_t boot_table_alloc(void *ctx)
{
	const struct boot_window *w = &boot_linear_window[0];
	paddr_t pa = memmap_alloc_within(&boot_memmap, PAGE_SIZE, PAGE_SIZE, w->base, w->end);

	(void)ctx;
	if (pa)
		memset(pa_to_va(pa), 0, PAGE_SIZE);
	return pa;
}

static void boot_table_free(void *ctx, paddr_t pa)
{
	(void)ctx;
	(void)pa;   /* boot tables are never given back */
}

static int boot_ram(paddr_t pa, uint64_t size)
{
	return memmap_is_ram(&boot_memmap, pa, size);
}

static const struct pt_allocator boot_tables = { boot_table_alloc, boot_table_free, NULL };

/* What the linear map must leave out: early windows, "no-map" regions. */
static struct mem_range holes[MEMMAP_MAX + 2];
static int nholes;

/*
 * Map [base, end) of RAM into the linear map minus holes[h..] (the early
 * windows are mapped already; no-map regions never are), largest blocks
 * first (pt_map picks them).
 */
static int map_linear(uint64_t base, uint64_t end, int h)
{
	if (base >= end)
		return E_OK;
	if (h == nholes)
		return pt_map(&kernel_pt, KERNEL_LINEAR_BASE + base, base, end - base,
		              MMU_READ | MMU_WRITE | MMU_GLOBAL);
	uint64_t hb = holes[h].base, he = holes[h].base + holes[h].size;
	if (he <= base || hb >= end)
		return map_linear(base, end, h + 1);
	int rc = map_linear(base, hb > base ? hb : base, h + 1);
	return rc ? rc : map_linear(he < end ? he : end, end, h + 1);
}

int kmap_init(void)
{
	int rc;

	kernel_pt = (struct pt){
		.root = pa_to_va(boot_early_root),
		.root_pa = boot_early_root,
		.levels = arch_pt_levels(),
		.asid = 0,
		.kernel = 1,
		.cpus = CPUS_ALL,
		.table_pages = boot_early_kernel_pages,
	};
	arch_pt_va_range(kernel_pt.levels, 1, &kernel_pt.va_start, &kernel_pt.va_last);
	pt_set_allocator(&boot_tables);
	pt_set_ram_check(boot_ram);

	nholes = 0;
	for (int i = 0; i < 2; i++)
		if (boot_linear_window[i].end > boot_linear_window[i].base)
			holes[nholes++] = (struct mem_range){ boot_linear_window[i].base,
				boot_linear_window[i].end - boot_linear_window[i].base };
	for (int i = 0; i < boot_nnomap; i++)
		holes[nholes++] = boot_nomap[i];
	for (int i = 0; i < boot_memmap.nram; i++) {
		const struct mem_range *r = &boot_memmap.ram[i];

		if (r->base + r->size > KERNEL_LINEAR_SIZE)
			return E_RANGE;
		rc = map_linear(r->base, r->base + r->size, 0);
		if (rc)
			return rc;
	}
	/* User roots copy the kernel's root entries (riscv64): give every
	 * root slot of the dynamic regions its table now, so they never
	 * change after a user root was made (Sv39: 1 GiB a slot). */
	if (arch_pt_kernel_root_shared()) {
		rc = pt_prepopulate_root(&kernel_pt, KERNEL_VAREA_BASE,
		                         KERNEL_IMAGE_BASE - KERNEL_VAREA_BASE);
		if (rc)
			return rc;
	}
	kmap_empty_user_root = boot_table_alloc(NULL);
	if (!kmap_empty_user_root)
		return E_NOMEM;
	arch_pt_user_root_init(pa_to_va(kmap_empty_user_root), kernel_pt.root);
	arch_mmu_switch_kernel(kernel_pt.root_pa, kmap_empty_user_root);
	asid_init(arch_asid_bits());
	return E_OK;
}

void kmap_use_frame_allocator(void)
{
	pt_set_allocator(NULL);
}

paddr_t kmap_secondary_ident_root(void)
{
	/* riscv64 has one root for both halves: give the identity table
	 * today's kernel half (root entries never change after kmap_init). */
	if (arch_pt_kernel_root_shared())
		arch_pt_user_root_init(pa_to_va(boot_early_ident_root), kernel_pt.root);
	return boot_early_ident_root;
}
