/* Boot memory set-up (see mm/include/mm/mem_boot.h). */
#include <stdint.h>
#include <mm/boot_mmu.h>
#include <lib/err.h>
#include <lib/fdt.h>
#include <mm/kmap.h>
#include <mm/mem_boot.h>
#include <mm/aspace.h>
#include <mm/heap.h>
#include <mm/page.h>
#include <mm/pt.h>

extern char __image_start[], __image_end[];

struct memmap boot_memmap;
struct mem_taken boot_taken[MEMMAP_MAX];
int boot_ntaken;
struct mem_range boot_nomap[MEMMAP_MAX];
int boot_nnomap;

static void take(uint64_t base, uint64_t size, const char *what)
{
	if (boot_ntaken < MEMMAP_MAX && size)
		boot_taken[boot_ntaken++] = (struct mem_taken){ { base, size }, what };
}

int mem_boot_init(const struct fdt *fdt, paddr_t dtb_pa)
{
	struct fdt_range fr[MEMMAP_MAX];
	struct mem_range ram[MEMMAP_MAX], res[MEMMAP_MAX];
	int nram, nres;

	nram = fdt_memory(fdt, fr, MEMMAP_MAX);
	if (nram < 0)
		return nram;
	if (nram > MEMMAP_MAX)
		return E_NOSPC;
	for (int i = 0; i < nram; i++)
		ram[i] = (struct mem_range){ fr[i].base, fr[i].size };

	boot_ntaken = 0;
	take(kernel_image_pa(__image_start), (uintptr_t)__image_end - (uintptr_t)__image_start,
	     "kernel image");
	take(dtb_pa, fdt->totalsize, "device tree");
	int n = fdt_reserved(fdt, fr, MEMMAP_MAX);
	if (n < 0)
		return n;
	for (int i = 0; i < n && i < MEMMAP_MAX; i++)
		take(fr[i].base, fr[i].size, "reserved (device tree)");
	if (n > MEMMAP_MAX - 2)
		return E_NOSPC;

	n = fdt_reserved_nomap(fdt, fr, MEMMAP_MAX);
	if (n < 0 || n > MEMMAP_MAX)
		return n < 0 ? n : E_NOSPC;
	boot_nnomap = n;
	for (int i = 0; i < n; i++) {
		uint64_t b = fr[i].base & ~(uint64_t)PAGE_MASK;

		boot_nomap[i] = (struct mem_range){
			b, ((fr[i].base + fr[i].size + PAGE_MASK) & ~(uint64_t)PAGE_MASK) - b };
	}

	nres = boot_ntaken;
	for (int i = 0; i < nres; i++)
		res[i] = boot_taken[i].range;
	return memmap_init(&boot_memmap, ram, nram, res, nres);
}

static void *meta_alloc(size_t size, size_t align)
{
	paddr_t pa = memmap_alloc(&boot_memmap, size, align < PAGE_SIZE ? PAGE_SIZE : align);

	return pa ? pa_to_va(pa) : NULL;
}

int mm_boot_init(void)
{
	struct pmm_range_desc ram[MEMMAP_MAX];
	int rc;

	for (int i = 0; i < boot_memmap.nram; i++)
		ram[i] = (struct pmm_range_desc){ boot_memmap.ram[i].base, boot_memmap.ram[i].size };
	rc = pmm_init(ram, boot_memmap.nram, meta_alloc);
	if (rc)
		return rc;
	memmap_freeze(&boot_memmap);
	for (int i = 0; i < boot_memmap.nfree; i++)
		pmm_release_range(boot_memmap.free[i].base, boot_memmap.free[i].size);
	heap_init();
	kmap_use_frame_allocator();
	pt_recount(&kernel_pt);   /* the boot tables predate the frame metadata */
	return aspace_kernel_init();
}
