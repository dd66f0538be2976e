/*
 * Host unit tests of the frame allocator (mm/page.c) on fake RAM of four
 * ranges with a hole (arch/fake/fake_ram.h).  Every case starts from a
 * fresh pmm_init(); the runner's invariant hook runs pmm_check() after
 * each one.
 */
#include <string.h>
#include <arch/cpu.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include "testlib.h"
#include <mm/page.h>
#include "fake_arch.h"
#include "smp_host.h"
#include "fake_ram.h"

#define MiB (1ull << 20)
#define KiB (1ull << 10)
#define BLOCK(order) (PAGE_SIZE << (order))

static struct pmm_stats stats(void)
{
	struct pmm_stats st;

	pmm_drain_cache();
	pmm_stats(&st);
	return st;
}


/* Same free frames and same free blocks per order (after draining the cache). */
static void expect_same_blocks(const struct pmm_stats *a, const struct pmm_stats *b)
{
	EXPECT_EQ(a->free, b->free);
	for (unsigned o = 0; o <= PAGE_MAX_ORDER; o++)
		if (a->blocks[o] != b->blocks[o])
			ktest_fail(__FILE__, __LINE__, "order %u: %llu free blocks, expected %llu", o,
			           (unsigned long long)a->blocks[o], (unsigned long long)b->blocks[o]);
}

/* Chain every order-0 frame we can get through the frames themselves. */
static struct page *alloc_all_order0(uint64_t *count)
{
	struct page *head = NULL, *p;

	*count = 0;
	while ((p = page_alloc(0, 0))) {
		*(struct page **)page_to_va(p) = head;
		head = p;
		++*count;
	}
	return head;
}

static void free_chain(struct page *head)
{
	while (head) {
		struct page *next = *(struct page **)page_to_va(head);

		page_free(head, 0);
		head = next;
	}
}

/* ---- pmm_init and release ------------------------------------------------ */

static void test_init_rejects_bad_ranges(void)
{
	const struct pmm_range_desc unaligned[] = { { FAKE_RAM_BASE + 1, MiB } };
	const struct pmm_range_desc odd_size[] = { { FAKE_RAM_BASE, MiB + 8 } };
	const struct pmm_range_desc empty[] = { { FAKE_RAM_BASE, 0 } };
	const struct pmm_range_desc overlap[] = { { FAKE_RAM_BASE, 2 * MiB },
	                                          { FAKE_RAM_BASE + MiB, MiB } };
	const struct pmm_range_desc unsorted[] = { { FAKE_RAM_BASE + 2 * MiB, MiB },
	                                           { FAKE_RAM_BASE, MiB } };
	const struct pmm_range_desc wraps[] = { { 0xfffffffffff00000ull, 2 * MiB } };
	struct pmm_range_desc many[PMM_MAX_RANGES + 1];

	for (int i = 0; i <= PMM_MAX_RANGES; i++)
		many[i] = (struct pmm_range_desc){ FAKE_RAM_BASE + i * 2 * PAGE_SIZE, PAGE_SIZE };
	EXPECT_EQ(fake_ram_init(unaligned, 1), E_ALIGN);
	EXPECT_EQ(fake_ram_init(odd_size, 1), E_ALIGN);
	EXPECT_EQ(fake_ram_init(empty, 1), E_INVAL);
	EXPECT_EQ(fake_ram_init(overlap, 2), E_EXIST);
	EXPECT_EQ(fake_ram_init(unsorted, 2), E_INVAL);
	EXPECT_EQ(fake_ram_init(wraps, 1), E_OVERFLOW);
	EXPECT_EQ(fake_ram_init(fake_ranges, 0), E_INVAL);
	EXPECT_EQ(fake_ram_init(many, PMM_MAX_RANGES + 1), E_NOSPC);
	EXPECT_OK(fake_ram_init(many, PMM_MAX_RANGES));
}

static void test_init_reports_early_alloc_failure(void)
{
	fake_ram_fail_next_early_alloc();
	EXPECT_EQ(fake_ram_init(fake_ranges, FAKE_NRANGES), E_NOMEM);
}

static void test_all_frames_start_reserved(void)
{
	struct pmm_stats st;

	ASSERT_OK(fake_ram_init(fake_ranges, FAKE_NRANGES));
	pmm_stats(&st);
	EXPECT_EQ(st.total, 13 * MiB / PAGE_SIZE);
	EXPECT_EQ(st.reserved, st.total);
	EXPECT_EQ(st.free, 0);
	EXPECT_NULL(page_alloc(0, 0));
	EXPECT_NULL(page_alloc(3, 0));
}

static void test_metadata_is_8_bytes_per_frame(void)
{
	struct pmm_stats st;

	fake_ram_setup();
	pmm_stats(&st);
	EXPECT_EQ(sizeof(struct page), 8);
	/* One array over the span, the 1 MiB hole after R0 included. */
	EXPECT_EQ(st.span, (fake_ranges[FAKE_NRANGES - 1].base + fake_ranges[FAKE_NRANGES - 1].size -
	                    fake_ranges[0].base) >> PAGE_SHIFT);
	EXPECT_EQ(st.span, st.total + (MiB >> PAGE_SHIFT));
	EXPECT_EQ(st.meta_bytes, st.span * 8);
	EXPECT_EQ(st.nranges, FAKE_NRANGES);
}

/* Physical address to frame and back, in every range; holes and outside are not RAM. */
static void test_frames_convert_both_ways_and_holes_have_none(void)
{
	paddr_t hole = fake_ranges[0].base + fake_ranges[0].size;

	fake_ram_setup();
	for (int i = 0; i < FAKE_NRANGES; i++) {
		paddr_t first = fake_ranges[i].base;
		paddr_t last = first + fake_ranges[i].size - PAGE_SIZE;

		ASSERT_NOT_NULL(pa_to_page(first));
		ASSERT_NOT_NULL(pa_to_page(last));
		EXPECT_EQ_U(page_to_pa(pa_to_page(first)), first);
		EXPECT_EQ_U(page_to_pa(pa_to_page(last + 123)), last);
		EXPECT_EQ((uintptr_t)page_to_va(pa_to_page(last)), (uintptr_t)pa_to_va(last));
		EXPECT_EQ((uintptr_t)va_to_page(pa_to_va(first)), (uintptr_t)pa_to_page(first));
	}
	ASSERT_EQ_U(hole, fake_ranges[1].base - MiB);   /* the layout this case knows */
	EXPECT_NULL(pa_to_page(hole));
	EXPECT_NULL(pa_to_page(fake_ranges[1].base - 1));
	EXPECT_NULL(pa_to_page(fake_ranges[0].base - 1));
	EXPECT_NULL(pa_to_page(fake_ranges[FAKE_NRANGES - 1].base + fake_ranges[FAKE_NRANGES - 1].size));
	EXPECT_NULL(pa_to_page(0));
	EXPECT_NULL(pa_to_page(~(paddr_t)0));
}

static void test_release_makes_largest_aligned_blocks(void)
{
	struct pmm_stats st;

	fake_ram_setup();
	st = stats();
	EXPECT_EQ(st.free, fake_ram_free_frames());
	EXPECT_EQ(st.reserved, FAKE_RESERVED_SIZE / PAGE_SIZE);
	/* R0 from 64 KiB: 64K 128K 256K 512K 1M (to 2M), then 1M; R1: 2 x 4M;
	 * R2 and R3: 1M each, kept apart. */
	EXPECT_EQ(st.blocks[4], 1);
	EXPECT_EQ(st.blocks[5], 1);
	EXPECT_EQ(st.blocks[6], 1);
	EXPECT_EQ(st.blocks[7], 1);
	EXPECT_EQ(st.blocks[8], 4);
	EXPECT_EQ(st.blocks[9], 0);
	EXPECT_EQ(st.blocks[10], 2);
	EXPECT_EQ(st.blocks[0] + st.blocks[1] + st.blocks[2] + st.blocks[3], 0);
}

static void test_release_piecewise_merges_into_the_same_blocks(void)
{
	struct pmm_stats whole, pieces;
	const struct pmm_range_desc *r1 = &fake_ranges[1];

	fake_ram_setup();
	whole = stats();
	ASSERT_OK(fake_ram_init(fake_ranges, FAKE_NRANGES));
	pmm_release_range(fake_ranges[0].base + FAKE_RESERVED_SIZE,
	                  fake_ranges[0].size - FAKE_RESERVED_SIZE);
	/* R1 in three odd pieces, last one first. */
	pmm_release_range(r1->base + 5 * MiB + 12 * KiB, r1->size - 5 * MiB - 12 * KiB);
	pmm_release_range(r1->base, 3 * MiB + 4 * KiB);
	pmm_release_range(r1->base + 3 * MiB + 4 * KiB, 2 * MiB + 8 * KiB);
	/* R2 and R3 in one call across their common boundary. */
	pmm_release_range(fake_ranges[2].base, 2 * MiB);
	pieces = stats();
	expect_same_blocks(&pieces, &whole);
}

static void test_release_twice_panics(void)
{
	fake_ram_setup();
	EXPECT_PANIC(pmm_release_range(fake_ranges[1].base, PAGE_SIZE), "not reserved");
}

static void test_release_outside_ram_panics(void)
{
	ASSERT_OK(fake_ram_init(fake_ranges, FAKE_NRANGES));
	/* Runs from R0 into the hole. */
	EXPECT_PANIC(pmm_release_range(fake_ranges[0].base + 2 * MiB, 2 * MiB), "not all RAM");
	EXPECT_PANIC(pmm_release_range(FAKE_RAM_BASE + 15 * MiB, PAGE_SIZE), "not all RAM");
	/* Nothing was released by the failed calls. */
	EXPECT_EQ(pmm_free_frames(), 0);
}

static void test_release_unaligned_panics(void)
{
	ASSERT_OK(fake_ram_init(fake_ranges, FAKE_NRANGES));
	EXPECT_PANIC(pmm_release_range(fake_ranges[1].base + 100, PAGE_SIZE), "page-aligned");
}

/* ---- allocation ------------------------------------------------------------ */

static void test_alloc_returns_a_head_with_one_reference(void)
{
	struct page *p;

	fake_ram_setup();
	p = page_alloc(2, 0);
	ASSERT_NOT_NULL(p);
	EXPECT_EQ(page_refcount(p), 1);
	EXPECT_EQ(page_order(p), 2);
	EXPECT_EQ(pmm_free_frames(), fake_ram_free_frames() - 4);
	page_free(p, 2);
	EXPECT_EQ(pmm_free_frames(), fake_ram_free_frames());
}

static void test_every_order_is_aligned_to_its_size(void)
{
	fake_ram_setup();
	for (unsigned o = 0; o <= PAGE_MAX_ORDER; o++) {
		struct page *p[3];

		for (int k = 0; k < 3; k++) {
			p[k] = page_alloc(o, 0);
			if (o < PAGE_MAX_ORDER || k < 2) {
				ASSERT_NOT_NULL(p[k]);
				EXPECT_EQ(page_to_pa(p[k]) % BLOCK(o), 0);
				EXPECT_TRUE(fake_ram_contains(page_to_pa(p[k]), BLOCK(o)));
			}
		}
		for (int k = 0; k < 3; k++)
			if (p[k])
				page_free(p[k], o);
	}
}

static void test_order_above_max_returns_null(void)
{
	fake_ram_setup();
	EXPECT_NULL(page_alloc(PAGE_MAX_ORDER + 1, 0));
	EXPECT_NULL(page_alloc(40, 0));
}

static void test_split_and_merge_back(void)
{
	struct pmm_stats before, split;
	struct page *p;

	fake_ram_setup();
	before = stats();
	/* Orders 0-3 have no free block: an order-1 request splits the 64 KiB
	 * block into 8K + 8K + 16K + 32K, leaving one of each of orders 1-3. */
	p = page_alloc(1, 0);
	ASSERT_NOT_NULL(p);
	split = stats();
	EXPECT_EQ(page_to_pa(p), fake_ranges[0].base + FAKE_RESERVED_SIZE);
	EXPECT_EQ(split.blocks[4], before.blocks[4] - 1);
	EXPECT_EQ(split.blocks[1], 1);
	EXPECT_EQ(split.blocks[2], 1);
	EXPECT_EQ(split.blocks[3], 1);
	page_free(p, 1);
	split = stats();
	expect_same_blocks(&split, &before);
}

static void test_exhaustion_then_everything_merges_back(void)
{
	struct pmm_stats before = { 0 }, after;
	struct page *all;
	uint64_t n;

	fake_ram_setup();
	before = stats();
	all = alloc_all_order0(&n);
	EXPECT_EQ(n, fake_ram_free_frames());
	EXPECT_EQ(pmm_free_frames(), 0);
	for (unsigned o = 0; o <= PAGE_MAX_ORDER; o++)
		EXPECT_NULL(page_alloc(o, 0));
	free_chain(all);
	after = stats();
	expect_same_blocks(&after, &before);
	EXPECT_EQ(after.blocks[10], 2);
}

static void test_exhaustion_at_every_order(void)
{
	for (unsigned o = 1; o <= PAGE_MAX_ORDER; o++) {
		struct page *head = NULL, *p;
		uint64_t n = 0, expect = 0;
		struct pmm_stats before;

		fake_ram_setup();
		before = stats();
		for (unsigned k = o; k <= PAGE_MAX_ORDER; k++)
			expect += before.blocks[k] << (k - o);
		while ((p = page_alloc(o, 0))) {
			EXPECT_EQ(page_to_pa(p) % BLOCK(o), 0);
			*(struct page **)page_to_va(p) = head;
			head = p;
			n++;
		}
		EXPECT_EQ(n, expect);
		while (head) {
			p = *(struct page **)page_to_va(head);
			page_free(head, o);
			head = p;
		}
		EXPECT_EQ(pmm_free_frames(), fake_ram_free_frames());
	}
}

static void test_fragmentation_blocks_large_requests_until_freed(void)
{
	struct page *all, *p, *keep = NULL, *give = NULL;
	struct pmm_stats st;
	uint64_t n;

	fake_ram_setup();
	all = alloc_all_order0(&n);
	/* Free every other frame: half the RAM is free, no two free frames are
	 * buddies, so no order-1 block exists. */
	while (all) {
		p = all;
		all = *(struct page **)page_to_va(p);
		if ((page_to_pa(p) >> PAGE_SHIFT) & 1) {
			*(struct page **)page_to_va(p) = keep;
			keep = p;
		} else {
			*(struct page **)page_to_va(p) = give;
			give = p;
		}
	}
	free_chain(give);
	st = stats();
	EXPECT_EQ(st.free, n / 2);
	EXPECT_EQ(st.blocks[0], n / 2);
	EXPECT_NULL(page_alloc(1, 0));
	free_chain(keep);
	st = stats();
	EXPECT_EQ(st.free, n);
	EXPECT_EQ(st.blocks[10], 2);
	EXPECT_NOT_NULL(p = page_alloc(PAGE_MAX_ORDER, 0));
	page_free(p, PAGE_MAX_ORDER);
}

static void test_large_request_uses_cached_frames(void)
{
	static struct page *all[FAKE_RAM_SIZE / PAGE_SIZE];
	struct page *p, *buddy;
	uint64_t n = 0;
	struct pmm_stats st;

	fake_ram_setup();
	while ((p = page_alloc(0, 0)))
		all[n++] = p;
	/* Free a frame and its buddy: both land in the order-0 cache, not on
	 * the lists, and an order-1 request must still find them. */
	buddy = pa_to_page(page_to_pa(all[0]) ^ PAGE_SIZE);
	page_free(all[0], 0);
	page_free(buddy, 0);
	pmm_stats(&st);
	EXPECT_EQ(st.cached, 2);
	p = page_alloc(1, 0);
	ASSERT_NOT_NULL(p);
	EXPECT_EQ_U(page_to_pa(p), page_to_pa(all[0]) & ~BLOCK(0));
	page_free(p, 1);
	for (uint64_t i = 1; i < n; i++)
		if (all[i] != buddy)
			page_free(all[i], 0);
	EXPECT_EQ(pmm_free_frames(), n);
}

/* ---- zeroing and poison ------------------------------------------------------ */

static int all_zero(const void *va, size_t n)
{
	const uint8_t *b = va;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static void test_zeroed_allocation_is_zero_after_dirtying(void)
{
	fake_ram_setup();
	for (unsigned o = 0; o <= 4; o++) {
		struct page *p = page_alloc(o, 0);
		paddr_t pa;

		ASSERT_NOT_NULL(p);
		pa = page_to_pa(p);
		memset(page_to_va(p), 0xcd, BLOCK(o));
		page_free(p, o);
		p = page_alloc(o, PAGE_ZERO);
		ASSERT_NOT_NULL(p);
		EXPECT_EQ_U(page_to_pa(p), pa);   /* the same, dirty block came back */
		EXPECT_TRUE(all_zero(page_to_va(p), BLOCK(o)));
		page_free(p, o);
	}
}

static void test_write_after_free_is_caught_on_next_alloc(void)
{
	struct page *p;
	uint8_t *stale;

	fake_ram_setup();
	p = page_alloc(0, 0);
	ASSERT_NOT_NULL(p);
	stale = page_to_va(p);
	page_free(p, 0);
	stale[100] = 1;   /* the bug */
	EXPECT_PANIC(page_alloc(0, 0), "use after free");
	/* The block was handed out before its check failed: it is allocated
	 * to nobody.  Give it back. */
	EXPECT_EQ(page_refcount(p), 1);
	page_free(p, 0);
}

static void test_write_after_free_in_a_large_block_is_caught(void)
{
	struct page *p;
	uint8_t *stale;

	fake_ram_setup();
	p = page_alloc(3, 0);
	ASSERT_NOT_NULL(p);
	stale = page_to_va(p);
	page_free(p, 3);
	stale[5 * PAGE_SIZE + 8] = 1;
	EXPECT_PANIC(page_alloc(3, 0), "offset 0x5008");
	page_free(p, 3);
}

/* ---- reference counts ----------------------------------------------------------- */

static void test_last_put_frees_the_block(void)
{
	struct page *p;

	fake_ram_setup();
	p = page_alloc(2, 0);
	ASSERT_NOT_NULL(p);
	page_get(p);
	page_get(p);
	EXPECT_EQ(page_refcount(p), 3);
	page_put(p);
	page_put(p);
	EXPECT_EQ(page_refcount(p), 1);
	EXPECT_EQ(pmm_free_frames(), fake_ram_free_frames() - 4);
	page_put(p);
	EXPECT_EQ(page_refcount(p), 0);
	EXPECT_EQ(pmm_free_frames(), fake_ram_free_frames());
}

/*
 * A batch put: frames still held elsewhere keep their reference and stay
 * allocated, the rest come free, more than a cache holds spill to the
 * lists (and merge back), and a larger block goes back whole.
 */
static void test_batch_put_frees_only_last_references(void)
{
	static struct page *pages[200], *shared[200], *scratch[201];
	struct pmm_stats before, st;
	struct page *big;

	fake_ram_setup();
	before = stats();
	for (unsigned i = 0; i < 200; i++) {
		pages[i] = page_alloc(0, 0);
		ASSERT_NOT_NULL(pages[i]);
		shared[i] = NULL;
		if (i % 3 == 0) {
			page_get(pages[i]);
			shared[i] = pages[i];
		}
		scratch[i] = pages[i];
	}
	big = page_alloc(2, 0);
	ASSERT_NOT_NULL(big);
	scratch[200] = big;
	page_put_batch(scratch, 201);
	for (unsigned i = 0; i < 200; i++)
		EXPECT_EQ(page_refcount(pages[i]), shared[i] ? 1u : 0u);
	EXPECT_EQ(page_refcount(big), 0);
	ASSERT_OK(pmm_check());
	pmm_stats(&st);
	EXPECT_EQ(st.free, before.free - 67);
	for (unsigned i = 0; i < 200; i++)
		if (shared[i])
			page_put(shared[i]);
	page_put_batch(scratch, 0);   /* nothing to do */
	st = stats();
	expect_same_blocks(&st, &before);
}

static void test_batch_put_underflow_panics(void)
{
	struct page *p;

	fake_ram_setup();
	p = page_alloc(0, 0);
	ASSERT_NOT_NULL(p);
	page_put(p);
	EXPECT_PANIC(page_put_batch(&p, 1), "underflow");
}

static void test_free_of_a_shared_block_panics(void)
{
	struct page *p;

	fake_ram_setup();
	p = page_alloc(0, 0);
	ASSERT_NOT_NULL(p);
	page_get(p);
	EXPECT_PANIC(page_free(p, 0), "still has 2 references");
	page_put(p);
	page_put(p);
}

static void test_refcount_underflow_panics(void)
{
	struct page *p;

	fake_ram_setup();
	p = page_alloc(1, 0);
	ASSERT_NOT_NULL(p);
	page_put(p);
	EXPECT_PANIC(page_put(p), "underflow");
	EXPECT_EQ(page_refcount(p), 0);
}

static void test_get_on_a_free_frame_panics(void)
{
	struct page *p;

	fake_ram_setup();
	p = page_alloc(0, 0);
	ASSERT_NOT_NULL(p);
	page_free(p, 0);
	EXPECT_PANIC(page_get(p), "no reference");
	EXPECT_EQ(page_refcount(p), 0);
}

static void test_reserved_frames_hold_a_reference(void)
{
	struct page *img;

	fake_ram_setup();
	img = pa_to_page(FAKE_RAM_BASE);
	ASSERT_NOT_NULL(img);
	EXPECT_EQ(page_refcount(img), 1);
	page_get(img);   /* mapping an image frame twice is fine */
	page_put(img);
	EXPECT_PANIC(page_put(img), "reserved");
	EXPECT_EQ(page_refcount(img), 1);
}

/* ---- misuse ------------------------------------------------------------------------ */

static void test_double_free_panics(void)
{
	struct page *p;

	fake_ram_setup();
	p = page_alloc(0, 0);   /* order 0: lands in the cache */
	ASSERT_NOT_NULL(p);
	page_free(p, 0);
	EXPECT_PANIC(page_free(p, 0), "double free");
	p = page_alloc(4, 0);   /* order 4: back on the lists */
	ASSERT_NOT_NULL(p);
	page_free(p, 4);
	EXPECT_PANIC(page_free(p, 4), "double free");
}

static void test_wrong_order_panics(void)
{
	struct page *p;

	fake_ram_setup();
	p = page_alloc(2, 0);
	ASSERT_NOT_NULL(p);
	EXPECT_PANIC(page_free(p, 1), "has order 2, freed as order 1");
	EXPECT_PANIC(page_free(p, 3), "has order 2, freed as order 3");
	page_free(p, 2);
}

static void test_free_of_a_tail_frame_panics(void)
{
	struct page *p;

	fake_ram_setup();
	p = page_alloc(2, 0);
	ASSERT_NOT_NULL(p);
	EXPECT_PANIC(page_free(p + 1, 0), "not the head");
	page_free(p, 2);
}

static void test_free_outside_ram_panics(void)
{
	struct page fake = { .refcount = 1, .order = 0, .state = 0 };   /* looks allocated */

	fake_ram_setup();
	EXPECT_PANIC(page_free(&fake, 0), "not a frame of RAM");
	EXPECT_PANIC(page_free(NULL, 0), "not a frame of RAM");
	EXPECT_PANIC(page_put(&fake), "not a frame of RAM");
}

static void test_free_of_a_reserved_frame_panics(void)
{
	fake_ram_setup();
	EXPECT_PANIC(page_free(pa_to_page(FAKE_RAM_BASE + PAGE_SIZE), 0), "reserved");
}

static void test_caught_panic_leaves_the_allocator_usable(void)
{
	struct page *p;

	fake_ram_setup();
	p = page_alloc(0, 0);
	ASSERT_NOT_NULL(p);
	page_free(p, 0);
	EXPECT_PANIC(page_free(p, 0), "double free");
	EXPECT_TRUE(fake_irq_enabled());   /* lock dropped, interrupts restored */
	p = page_alloc(0, 0);
	ASSERT_NOT_NULL(p);
	page_free(p, 0);
	EXPECT_OK(pmm_check());
}

static void test_check_finds_corruption(void)
{
	struct page *p;

	fake_ram_setup();
	p = page_alloc(5, 0);
	ASSERT_NOT_NULL(p);
	p[3].state = p->state;   /* a tail that claims to head a block */
	EXPECT_EQ(pmm_check(), E_CORRUPT);
	p[3].state = p[1].state;
	EXPECT_OK(pmm_check());
	page_free(p, 5);
}

/* ---- ranges and conversions ----------------------------------------------------------- */

static void test_buddies_do_not_merge_across_ranges(void)
{
	struct page *r2;
	struct pmm_stats st;

	fake_ram_setup();
	r2 = pa_to_page(fake_ranges[2].base);
	st = stats();
	/* R2 and R3 hold buddy 1 MiB blocks (0x80c00000 ^ 1 MiB = 0x80d00000) in
	 * touching ranges: they stay two order-8 blocks, no order-9 one. */
	EXPECT_EQ(st.blocks[9], 0);
	EXPECT_EQ(r2->state, pa_to_page(fake_ranges[3].base)->state);
	/* Allocating and freeing them changes nothing. */
	for (unsigned k = 0; k < 4; k++) {
		struct page *p = page_alloc(8, 0);

		ASSERT_NOT_NULL(p);
		*(struct page **)page_to_va(p) = NULL;
		page_free(p, 8);
	}
	st = stats();
	EXPECT_EQ(st.blocks[9], 0);
	EXPECT_EQ(st.blocks[8], 4);
}

static void test_conversions_round_trip(void)
{
	fake_ram_setup();
	for (int i = 0; i < FAKE_NRANGES; i++) {
		paddr_t pa[] = { fake_ranges[i].base, fake_ranges[i].base + fake_ranges[i].size - PAGE_SIZE };

		for (int k = 0; k < 2; k++) {
			struct page *p = pa_to_page(pa[k] + 123);

			ASSERT_NOT_NULL(p);
			EXPECT_EQ_U(page_to_pa(p), pa[k]);
			EXPECT_EQ_U(page_to_va(p), pa_to_va(pa[k]));
			EXPECT_EQ_U(va_to_page((char *)pa_to_va(pa[k]) + 4095), p);
			EXPECT_EQ_U(va_to_pa(page_to_va(p)), pa[k]);
		}
	}
	EXPECT_NULL(pa_to_page(FAKE_RAM_BASE + 3 * MiB));        /* the hole */
	EXPECT_NULL(pa_to_page(FAKE_RAM_BASE + 14 * MiB));       /* past the end */
	EXPECT_NULL(pa_to_page(FAKE_RAM_BASE - PAGE_SIZE));      /* below */
	EXPECT_NULL(pa_to_page(0));
}

/* ---- against a model -------------------------------------------------------------------- */

#define MODEL_MAX 1024
#define RAM_FRAMES (FAKE_RAM_SIZE / PAGE_SIZE)

static struct {
	struct page *p;
	unsigned order;
	unsigned refs;
} held[MODEL_MAX];
static unsigned nheld;
static uint8_t owned[RAM_FRAMES];   /* frame index -> 1 while in a held block */
static uint64_t rng;

static uint64_t next_rand(void)
{
	return tl_rand(&rng);
}

static unsigned pick_order(void)
{
	uint64_t r = next_rand() % 100;

	if (r < 60)
		return 0;
	if (r < 90)
		return 1 + (unsigned)(next_rand() % 4);
	return (unsigned)(next_rand() % (PAGE_MAX_ORDER + 1));
}

static uint64_t model_in_use(void)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < nheld; i++)
		n += 1ull << held[i].order;
	return n;
}

/* Mark or clear the frames of block @p; ASSERT they were clear on marking. */
static void model_mark(struct page *p, unsigned order, int on)
{
	uint64_t first = (page_to_pa(p) - FAKE_RAM_BASE) >> PAGE_SHIFT;

	for (uint64_t f = first; f < first + (1ull << order); f++) {
		if (on)
			ASSERT_EQ(owned[f], 0);   /* two live blocks overlap */
		owned[f] = (uint8_t)on;
	}
}

static void model_alloc(void)
{
	unsigned order = pick_order();
	struct page *p = page_alloc(order, 0);
	struct pmm_stats st;

	if (!p) {
		/* Only when no block of this order or larger is free. */
		pmm_stats(&st);
		for (unsigned k = order; k <= PAGE_MAX_ORDER; k++)
			EXPECT_EQ(st.blocks[k], 0);
		EXPECT_EQ(st.cached, 0);
		return;
	}
	ASSERT_EQ(page_to_pa(p) % BLOCK(order), 0);
	ASSERT_TRUE(fake_ram_contains(page_to_pa(p), BLOCK(order)));
	model_mark(p, order, 1);
	/* Sign the block at both ends; checked before it is freed. */
	((paddr_t *)page_to_va(p))[0] = page_to_pa(p);
	((paddr_t *)page_to_va(p))[BLOCK(order) / sizeof(paddr_t) - 1] = page_to_pa(p);
	held[nheld++] = (typeof(held[0])){ p, order, 1 };
}

static void model_release(unsigned i)
{
	struct page *p = held[i].p;
	paddr_t *va = page_to_va(p);

	EXPECT_EQ_U(va[0], page_to_pa(p));
	EXPECT_EQ_U(va[BLOCK(held[i].order) / sizeof(paddr_t) - 1], page_to_pa(p));
	if (held[i].refs > 1) {
		page_put(p);
		held[i].refs--;
		return;
	}
	model_mark(p, held[i].order, 0);
	if (next_rand() & 1)
		page_free(p, held[i].order);
	else
		page_put(p);
	held[i] = held[--nheld];
}

static void test_random_operations_match_a_model(void)
{
	struct pmm_stats before, st;

	fake_ram_setup();
	before = stats();
	rng = 0x2545f4914f6cdd1dull;
	nheld = 0;
	memset(owned, 0, sizeof(owned));
	for (int step = 0; step < 20000; step++) {
		uint64_t op = next_rand() % 100;

		if (op < 50 && nheld < MODEL_MAX)
			model_alloc();
		else if (op < 85 && nheld)
			model_release((unsigned)(next_rand() % nheld));
		else if (op < 95 && nheld) {
			unsigned i = (unsigned)(next_rand() % nheld);

			page_get(held[i].p);
			held[i].refs++;
			EXPECT_EQ(page_refcount(held[i].p), held[i].refs);
		}
		pmm_stats(&st);
		ASSERT_EQ(st.free, before.free - model_in_use());
		if (step % 2000 == 0)
			ASSERT_OK(pmm_check());
		if (!ktest_ok())
			return;
	}
	while (nheld)
		model_release(nheld - 1);
	st = stats();
	expect_same_blocks(&st, &before);
}

/* ---- per-CPU caches ---------------------------------------------------------
 * The test plays CPUs 1-3 itself (fake_cpu_enter()) and always comes back
 * to CPU 0.  Without an every-CPU call set, a drain reaches every CPU's
 * cache from the caller; with smp_host_run_as_each() set, each CPU drains its
 * own, as in the kernel.
 */

#define NCPUS SMP_HOST_EACH

static uint64_t cached_now(void)
{
	struct pmm_stats st;

	pmm_stats(&st);
	return st.cached;
}

static void test_a_frame_freed_on_a_cpu_comes_back_on_that_cpu_only(void)
{
	struct page *p, *q;
	paddr_t pa;

	fake_ram_setup();
	fake_cpu_enter(1);
	p = page_alloc(0, 0);
	ASSERT_NOT_NULL(p);
	pa = page_to_pa(p);
	page_free(p, 0);
	fake_cpu_enter(2);
	q = page_alloc(0, 0);   /* CPU 2 fills its own cache from the lists */
	EXPECT_NOT_NULL(q);
	EXPECT_NE(page_to_pa(q), pa);
	page_free(q, 0);
	fake_cpu_enter(1);
	p = page_alloc(0, 0);   /* the last one in, the first out */
	EXPECT_EQ_U(page_to_pa(p), pa);
	page_free(p, 0);
	fake_cpu_enter(0);
}

static void test_frames_allocated_on_one_cpu_are_freed_on_another(void)
{
	struct page *p[200];
	uint64_t before;

	fake_ram_setup();
	before = pmm_free_frames();
	fake_cpu_enter(1);
	for (int i = 0; i < 200; i++)
		p[i] = page_alloc(0, 0);
	fake_cpu_enter(2);
	EXPECT_EQ(pmm_free_frames(), before - 200);
	for (int i = 0; i < 200; i++) {
		ASSERT_NOT_NULL(p[i]);
		page_free(p[i], 0);   /* CPU 2's cache fills and gives batches back */
	}
	EXPECT_EQ(pmm_free_frames(), before);
	EXPECT_LE(cached_now(), 2 * 64);   /* two caches at most full */
	EXPECT_OK(pmm_check());
	/* And the other way round, through page_put(). */
	for (int i = 0; i < 200; i++)
		p[i] = page_alloc(0, 0);
	fake_cpu_enter(3);
	for (int i = 0; i < 200; i++) {
		ASSERT_NOT_NULL(p[i]);
		page_put(p[i]);
	}
	fake_cpu_enter(0);
	EXPECT_EQ(pmm_free_frames(), before);
}

static void test_free_count_is_exact_with_frames_in_every_cpus_cache(void)
{
	static struct page *held[512];
	uint64_t rng = 0x9e3779b97f4a7c15ull, before;
	unsigned n = 0;
	struct pmm_stats st;

	fake_ram_setup();
	before = pmm_free_frames();
	for (int step = 0; step < 20000; step++) {
		uint64_t r = tl_rand(&rng);

		fake_cpu_enter((unsigned)(r % NCPUS));
		if ((r >> 8) % 100 < 55 && n < 512) {
			held[n] = page_alloc(0, 0);
			ASSERT_NOT_NULL(held[n]);
			n++;
		} else if (n) {
			unsigned i = (unsigned)((r >> 16) % n);

			page_free(held[i], 0);
			held[i] = held[--n];
		}
		pmm_stats(&st);
		ASSERT_EQ(st.free, before - n);
		if (step % 4000 == 0)
			ASSERT_OK(pmm_check());
	}
	fake_cpu_enter(0);
	EXPECT_GT(cached_now(), 0);
	while (n)
		page_free(held[--n], 0);
	EXPECT_EQ(pmm_free_frames(), before);
}

/* Leave frames in the caches of CPUs 0 .. NCPUS - 1 (20 or more each); returns how many. */
static uint64_t fill_every_cache(void)
{
	struct page *p[20];

	for (unsigned c = 0; c < NCPUS; c++) {
		fake_cpu_enter(c);
		for (int i = 0; i < 20; i++)
			p[i] = page_alloc(0, 0);
		for (int i = 0; i < 20; i++)
			if (p[i])
				page_free(p[i], 0);
	}
	fake_cpu_enter(0);
	return cached_now();
}

static void test_drain_gives_back_every_cpus_frames(void)
{
	struct pmm_stats before, st;

	fake_ram_setup();
	before = stats();
	EXPECT_GE(fill_every_cache(), NCPUS * 20);
	pmm_stats(&st);
	EXPECT_EQ(st.free, before.free);
	pmm_drain_cache();
	pmm_stats(&st);
	EXPECT_EQ(st.cached, 0);
	expect_same_blocks(&st, &before);   /* everything merged back */
}

static void test_each_cpu_drains_its_own_cache_through_the_every_cpu_call(void)
{
	struct pmm_stats before, st;

	fake_ram_setup();
	before = stats();
	fill_every_cache();
	smp_host_each_calls = 0;
	mm_set_every_cpu_call(smp_host_run_as_each);
	pmm_drain_cache();
	mm_set_every_cpu_call(NULL);
	EXPECT_EQ(smp_host_each_calls, 1);
	pmm_stats(&st);
	EXPECT_EQ(st.cached, 0);
	expect_same_blocks(&st, &before);
}

static void test_frames_in_another_cpus_cache_wait_for_a_drain(void)
{
	struct page *p[10], *head, *rest;
	uint64_t n, more;

	fake_ram_setup();
	fake_cpu_enter(2);
	for (int i = 0; i < 10; i++)
		p[i] = page_alloc(0, 0);
	fake_cpu_enter(1);
	head = alloc_all_order0(&n);   /* CPU 2's cache holds what is left */
	fake_cpu_enter(2);
	for (int i = 0; i < 10; i++) {
		ASSERT_NOT_NULL(p[i]);
		page_free(p[i], 0);
	}
	fake_cpu_enter(1);
	EXPECT_NULL(page_alloc(0, 0));   /* out of this CPU's reach ... */
	EXPECT_EQ(pmm_free_frames(), cached_now());   /* ... and still free */
	EXPECT_GE(cached_now(), 10);
	pmm_drain_cache();
	rest = alloc_all_order0(&more);   /* on the lists now: CPU 1 takes them */
	EXPECT_GE(more, 10);
	EXPECT_EQ(pmm_free_frames(), 0);
	free_chain(rest);
	free_chain(head);
	fake_cpu_enter(0);
}

static void test_double_free_on_another_cpu_panics(void)
{
	struct page *p;

	fake_ram_setup();
	fake_cpu_enter(1);
	p = page_alloc(0, 0);
	ASSERT_NOT_NULL(p);
	page_free(p, 0);
	fake_cpu_enter(2);
	EXPECT_PANIC(page_free(p, 0), "double free");
	EXPECT_TRUE(fake_irq_enabled());
	fake_cpu_enter(0);
}

static void test_write_after_free_in_a_cpus_cache_is_caught(void)
{
	struct page *p;

	fake_ram_setup();
	fake_cpu_enter(3);
	p = page_alloc(0, 0);
	ASSERT_NOT_NULL(p);
	page_free(p, 0);
	((uint8_t *)page_to_va(p))[4000] = 7;
	EXPECT_PANIC(page_alloc(0, 0), "use after free");
	EXPECT_TRUE(fake_irq_enabled());
	page_free(p, 0);   /* handed out before the check: give it back */
	fake_cpu_enter(0);
}

static void test_check_finds_a_frame_marked_cached_that_no_cache_holds(void)
{
	struct page *p, *q;
	struct page saved;

	fake_ram_setup();
	fake_cpu_enter(2);
	q = page_alloc(0, 0);
	p = page_alloc(0, 0);
	ASSERT_NOT_NULL(q);
	ASSERT_NOT_NULL(p);
	page_free(q, 0);   /* q is what a cached frame looks like */
	fake_cpu_enter(0);
	saved = *p;
	p->refcount = 0;
	p->state = q->state;
	EXPECT_EQ(pmm_check(), E_CORRUPT);   /* the caches hold one frame fewer */
	*p = saved;
	EXPECT_OK(pmm_check());
	page_free(p, 0);
}

KTEST_SUITE(page_host,
	KTEST_CASE(test_init_rejects_bad_ranges),
	KTEST_CASE(test_init_reports_early_alloc_failure),
	KTEST_CASE(test_all_frames_start_reserved),
	KTEST_CASE(test_metadata_is_8_bytes_per_frame),
	KTEST_CASE(test_frames_convert_both_ways_and_holes_have_none),
	KTEST_CASE(test_release_makes_largest_aligned_blocks),
	KTEST_CASE(test_release_piecewise_merges_into_the_same_blocks),
	KTEST_CASE(test_release_twice_panics),
	KTEST_CASE(test_release_outside_ram_panics),
	KTEST_CASE(test_release_unaligned_panics),
	KTEST_CASE(test_alloc_returns_a_head_with_one_reference),
	KTEST_CASE(test_every_order_is_aligned_to_its_size),
	KTEST_CASE(test_order_above_max_returns_null),
	KTEST_CASE(test_split_and_merge_back),
	KTEST_CASE(test_exhaustion_then_everything_merges_back),
	KTEST_CASE(test_exhaustion_at_every_order),
	KTEST_CASE(test_fragmentation_blocks_large_requests_until_freed),
	KTEST_CASE(test_large_request_uses_cached_frames),
	KTEST_CASE(test_zeroed_allocation_is_zero_after_dirtying),
	KTEST_CASE(test_write_after_free_is_caught_on_next_alloc),
	KTEST_CASE(test_write_after_free_in_a_large_block_is_caught),
	KTEST_CASE(test_last_put_frees_the_block),
	KTEST_CASE(test_batch_put_frees_only_last_references),
	KTEST_CASE(test_batch_put_underflow_panics),
	KTEST_CASE(test_free_of_a_shared_block_panics),
	KTEST_CASE(test_refcount_underflow_panics),
	KTEST_CASE(test_get_on_a_free_frame_panics),
	KTEST_CASE(test_reserved_frames_hold_a_reference),
	KTEST_CASE(test_double_free_panics),
	KTEST_CASE(test_wrong_order_panics),
	KTEST_CASE(test_free_of_a_tail_frame_panics),
	KTEST_CASE(test_free_outside_ram_panics),
	KTEST_CASE(test_free_of_a_reserved_frame_panics),
	KTEST_CASE(test_caught_panic_leaves_the_allocator_usable),
	KTEST_CASE(test_check_finds_corruption),
	KTEST_CASE(test_buddies_do_not_merge_across_ranges),
	KTEST_CASE(test_conversions_round_trip),
	KTEST_CASE(test_random_operations_match_a_model),
	KTEST_CASE(test_a_frame_freed_on_a_cpu_comes_back_on_that_cpu_only),
	KTEST_CASE(test_frames_allocated_on_one_cpu_are_freed_on_another),
	KTEST_CASE(test_free_count_is_exact_with_frames_in_every_cpus_cache),
	KTEST_CASE(test_drain_gives_back_every_cpus_frames),
	KTEST_CASE(test_each_cpu_drains_its_own_cache_through_the_every_cpu_call),
	KTEST_CASE(test_frames_in_another_cpus_cache_wait_for_a_drain),
	KTEST_CASE(test_double_free_on_another_cpu_panics),
	KTEST_CASE(test_write_after_free_in_a_cpus_cache_is_caught),
	KTEST_CASE(test_check_finds_a_frame_marked_cached_that_no_cache_holds));
