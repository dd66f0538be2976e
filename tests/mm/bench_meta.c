/*
 * Memory per resident anonymous page, beyond its PTE (sweep anon_meta).
 *
 * A user aspace gets one private anonymous varea, and N of its pages are
 * written (faulted in through copy_to_user(), as a program would), either
 * dense (consecutive pages) or sparse (one page in every 16).  The frames
 * that took, once the heap's empty slabs and the CPUs' frame caches are
 * given back (heap_free_frames_settled()), less the N data pages and the
 * page tables the aspace gained (pt.table_pages), are the index and the
 * other per-page metadata of the object; a 1-page run of the same layout
 * is subtracted so the varea, the object and slabs started for them do
 * not count.  Per page, plus the frame's own struct page:
 *
 *   bench-meta arch=<a> layout=<dense|sparse> pages=<N> bytes_per_page=<x.y>
 *
 * Whatever the index is, this counts what it costs in frames; it knows
 * nothing of how the object stores its pages.
 */
#include <stdio.h>
#include <arch/arch.h>
#include <ktest/bench.h>
#include <mm/aspace.h>
#include <mm/heap.h>
#include <mm/page.h>
#include <mm/usercopy.h>

#define RW (MMU_READ | MMU_WRITE)
#define BASE 0x40000000ul   /* 1 GiB aligned: the tables a range needs are fixed */
#define SPARSE_STRIDE 16

/*
 * Frames beyond the data pages and page tables that @n written pages,
 * @stride pages apart, cost; -1 when it could not be measured.
 */
static long meta_frames(unsigned long n, unsigned long stride)
{
	struct aspace *as;
	uintptr_t a = BASE;
	uint64_t before, after, tables;
	long r = -1;

	if (aspace_create("bench-meta", &as))
		return -1;
	if (aspace_map_anon(as, &a, n * stride * PAGE_SIZE, 0, RW, MAP_FIXED))
		goto out;
	tables = as->pt->table_pages;
	before = heap_free_frames_settled();
	aspace_switch(as);
	for (unsigned long i = 0; i < n; i++) {
		uint64_t v = i + 1;

		if (copy_to_user(BASE + i * stride * PAGE_SIZE, &v, sizeof(v)))
			goto out;
	}
	aspace_switch(NULL);
	after = heap_free_frames_settled();
	r = (long)(before - after) - (long)n - (long)(as->pt->table_pages - tables);
out:
	aspace_switch(NULL);
	aspace_destroy(as);
	return r;
}

static void report(const char *layout, unsigned long n, unsigned long stride)
{
	long one, all;
	unsigned long tenths;

	if (pmm_free_frames() < n + n / 8 + 1024) {   /* pages, tables, index */
		printf("bench-meta: %s %lu pages: not enough memory here\n", layout, n);
		return;
	}
	one = meta_frames(1, stride);
	all = meta_frames(n, stride);

	if (one < 0 || all < 0) {
		printf("bench-meta: %s %lu pages: could not measure\n", layout, n);
		return;
	}
	/* tenths of a byte per page, the 8-byte struct page included */
	tenths = (unsigned long)(all > one ? all - one : 0) * PAGE_SIZE * 10 / (n - 1) +
	         sizeof(struct page) * 10;
	printf("bench-meta arch=%s layout=%s pages=%lu bytes_per_page=%lu.%lu\n", ARCH_NAME,
	       layout, n, tenths / 10, tenths % 10);
}

static void sweep_anon_meta(void)
{
	static const unsigned long dense[] = { 512, 10000, 100000 };

	for (unsigned i = 0; i < sizeof(dense) / sizeof(dense[0]); i++)
		report("dense", dense[i], 1);
	report("sparse", 10000, SPARSE_STRIDE);
}
BENCH_SWEEP(anon_meta, sweep_anon_meta);
