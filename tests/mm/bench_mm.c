/* Benchmarks of the memory subsystem's basic operations. */
#include <string.h>
#include <arch/arch.h>
#include <arch/mmu.h>
#include <ktest/bench.h>
#include <mm/kmap.h>
#include <mm/aspace.h>
#include <mm/heap.h>
#include <mm/layout.h>
#include <mm/page.h>
#include <mm/pt.h>

#define BENCH_VA (KERNEL_VAREA_END - (2ull << 30))

static struct page *scratch[2];

static void *scratch_page(int i)
{
	if (!scratch[i])
		scratch[i] = page_alloc(0, PAGE_ZERO);
	return scratch[i] ? page_to_va(scratch[i]) : NULL;
}

/* Lower bounds: the kernel's page clear and copy. */
static uint64_t bench_clear_page(void)
{
	void *p = scratch_page(0);

	bench_start();
	arch_clear_page(p);
	return bench_stop();
}
BENCH(clear_page, NULL, bench_clear_page);

static uint64_t bench_copy_page(void)
{
	void *d = scratch_page(0), *s = scratch_page(1);

	bench_start();
	arch_copy_page(d, s);
	return bench_stop();
}
BENCH(copy_page, NULL, bench_copy_page);

static uint64_t bench_page_alloc_free(void)
{
	uint64_t n;

	bench_start();
	struct page *p = page_alloc(0, 0);
	page_free(p, 0);
	n = bench_stop();
	return n;
}
BENCH(page_alloc_free, NULL, bench_page_alloc_free);

static uint64_t bench_kmalloc_kfree_64(void)
{
	uint64_t n;

	bench_start();
	void *p = kmalloc(64, 0);
	kfree(p);
	n = bench_stop();
	return n;
}
BENCH(kmalloc_kfree_64, NULL, bench_kmalloc_kfree_64);

/* One 4 KiB page mapped and unmapped in the kernel table (tables exist). */
static uint64_t bench_pt_map_unmap_4k(void)
{
	paddr_t pa = va_to_pa(scratch_page(0));
	uint64_t n;

	/* Keep the intermediate tables: a neighbour stays mapped. */
	pt_map(&kernel_pt, BENCH_VA + PAGE_SIZE, pa, PAGE_SIZE, MMU_READ | MMU_GLOBAL);
	bench_start();
	pt_map(&kernel_pt, BENCH_VA, pa, PAGE_SIZE, MMU_READ | MMU_WRITE | MMU_GLOBAL);
	pt_unmap(&kernel_pt, BENCH_VA, PAGE_SIZE, NULL, NULL);
	n = bench_stop();
	pt_unmap(&kernel_pt, BENCH_VA + PAGE_SIZE, PAGE_SIZE, NULL, NULL);
	return n;
}
BENCH(pt_map_unmap_4k, NULL, bench_pt_map_unmap_4k);

static uint64_t bench_tlb_flush_64_pages(void)
{
	bench_start();
	arch_tlb_flush_range(CPUS_ALL, 0, BENCH_VA, 64 * PAGE_SIZE);
	return bench_stop();
}
BENCH(tlb_flush_64_pages, NULL, bench_tlb_flush_64_pages);

/* A write to a lazily mapped anonymous kernel page: trap entry to return. */
static uint64_t bench_zero_fill_fault(void)
{
	uintptr_t a = 0;
	uint64_t n;

	if (aspace_map_anon(&kernel_aspace, &a, 2 * PAGE_SIZE, 0, MMU_READ | MMU_WRITE, 0))
		return 0;
	*(volatile char *)(a + PAGE_SIZE) = 1;   /* the tables exist now */
	bench_start();
	*(volatile char *)a = 1;
	n = bench_stop();
	aspace_unmap(&kernel_aspace, a, 2 * PAGE_SIZE);
	return n;
}
BENCH(zero_fill_fault, "clear_page", bench_zero_fill_fault);

/* aspace_map_anon + aspace_unmap of one page (lazy: no frame involved). */
static uint64_t bench_varea_map_unmap(void)
{
	uintptr_t a = 0;
	uint64_t n;

	bench_start();
	aspace_map_anon(&kernel_aspace, &a, PAGE_SIZE, 0, MMU_READ | MMU_WRITE, 0);
	aspace_unmap(&kernel_aspace, a, PAGE_SIZE);
	n = bench_stop();
	return n;
}
BENCH(varea_map_unmap, NULL, bench_varea_map_unmap);

#define UNMAP_PAGES 10000

/* Unmapping 10,000 populated pages, per page (frames returned included). */
static uint64_t bench_unmap_10000_per_page(void)
{
	uintptr_t a = 0;
	uint64_t n;

	if (aspace_map_anon(&kernel_aspace, &a, UNMAP_PAGES * PAGE_SIZE, 0,
	                    MMU_READ | MMU_WRITE, VAREA_POPULATE))
		return 0;
	bench_start();
	aspace_unmap(&kernel_aspace, a, UNMAP_PAGES * PAGE_SIZE);
	n = bench_stop();
	return n / UNMAP_PAGES;
}
BENCH(unmap_10000_per_page, NULL, bench_unmap_10000_per_page);
