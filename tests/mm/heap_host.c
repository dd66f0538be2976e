/*
 * Host unit tests of the kernel heap (mm/slab.c, mm/kmalloc.c) on the
 * fake RAM of arch/fake/fake_ram.h.  Every case starts from fresh frames
 * and a fresh heap; the runner's invariant hook runs heap_check() and
 * pmm_check() after each one.
 */
#include <string.h>
#include <arch/cpu.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include "testlib.h"
#include <mm/heap.h>
#include <mm/page.h>
#include "fake_arch.h"
#include "smp_host.h"
#include "fake_ram.h"


static void fill(void *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)p)[i] = (uint8_t)(seed + i * 7);
}

static int filled(const void *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i] != (uint8_t)(seed + i * 7))
			return 0;
	return 1;
}

static int all_zero(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i])
			return 0;
	return 1;
}

/* ---- kmalloc ------------------------------------------------------------- */

static void test_every_size_class_fits_its_requests(void)
{
	fake_ram_setup();
	for (size_t n = 1; n <= KMALLOC_MAX_CLASS; n++) {
		void *p = kmalloc(n, 0);
		size_t cls = KMALLOC_MIN_CLASS;

		while (cls < n)
			cls <<= 1;
		ASSERT_NOT_NULL(p);
		EXPECT_EQ(ksize(p), cls);
		fill(p, n, (uint8_t)n);
		EXPECT_TRUE(filled(p, n, (uint8_t)n));
		kfree(p);
	}
}

static void test_kmalloc_alignment_by_size(void)
{
	static const size_t sizes[] = { 1, 16, 17, 32, 48, 64, 65, 200, 512, 1000, 1024,
	                                1025, 4096, 5000, 70000 };

	fake_ram_setup();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *p[5];
		size_t want = sizes[i] > KMALLOC_MAX_CLASS ? PAGE_SIZE : sizes[i] >= 64 ? 64 : 16;

		for (int k = 0; k < 5; k++) {
			p[k] = kmalloc(sizes[i], 0);
			ASSERT_NOT_NULL(p[k]);
			EXPECT_EQ((uintptr_t)p[k] % want, 0);
			/* Slab objects are never page-aligned: that is how kfree tells. */
			EXPECT_EQ(((uintptr_t)p[k] % PAGE_SIZE) == 0, sizes[i] > KMALLOC_MAX_CLASS);
		}
		for (int k = 0; k < 5; k++)
			kfree(p[k]);
	}
}

static void test_kmalloc_zero_gives_unique_pointers(void)
{
	void *a, *b;

	fake_ram_setup();
	a = kmalloc(0, 0);
	b = kmalloc(0, 0);
	EXPECT_NOT_NULL(a);
	EXPECT_NOT_NULL(b);
	EXPECT_NE((uintptr_t)a, (uintptr_t)b);
	kfree(a);
	kfree(b);
	kfree(NULL);   /* no-op */
}

static void test_large_allocations_are_whole_frames(void)
{
	struct heap_stats hs;
	uint64_t before;
	void *p;

	fake_ram_setup();
	before = pmm_free_frames();
	p = kmalloc(3 * PAGE_SIZE + 1, 0);   /* order 2 */
	ASSERT_NOT_NULL(p);
	EXPECT_EQ((uintptr_t)p % (4 * PAGE_SIZE), 0);
	EXPECT_EQ(ksize(p), 4 * PAGE_SIZE);
	EXPECT_EQ(pmm_free_frames(), before - 4);
	heap_stats(&hs);
	EXPECT_EQ(hs.large_blocks, 1);
	EXPECT_EQ(hs.large_pages, 4);
	kfree(p);
	heap_stats(&hs);
	EXPECT_EQ(hs.large_blocks, 0);
	EXPECT_EQ(pmm_free_frames(), before);
	p = kmalloc(KMALLOC_MAX_SIZE, 0);
	EXPECT_NOT_NULL(p);
	kfree(p);
}

static void test_impossible_sizes_return_null(void)
{
	fake_ram_setup();
	EXPECT_NULL(kmalloc(KMALLOC_MAX_SIZE + 1, 0));
	EXPECT_NULL(kmalloc(SIZE_MAX, 0));
	EXPECT_NULL(kcalloc(SIZE_MAX / 2, 3, 0));
	EXPECT_NULL(kcalloc(1ull << 33, 1ull << 33, 0));
	EXPECT_NULL(kmalloc_aligned(16, 3, 0));
	EXPECT_NULL(kmalloc_aligned(16, 0, 0));
}

static void test_zeroed_memory_is_zero_after_reuse(void)
{
	fake_ram_setup();
	for (size_t n = 16; n <= 8192; n *= 2) {
		void *p = kmalloc(n, 0), *q;

		ASSERT_NOT_NULL(p);
		memset(p, 0xee, n);
		kfree(p);
		q = kmalloc(n, KM_ZERO);
		ASSERT_NOT_NULL(q);
		EXPECT_EQ_U(q, p);   /* the dirty block came back */
		EXPECT_TRUE(all_zero(q, n));
		kfree(q);
		q = kcalloc(n / 8, 8, 0);
		ASSERT_NOT_NULL(q);
		EXPECT_TRUE(all_zero(q, n));
		kfree(q);
	}
}

static void test_krealloc_keeps_contents_across_sizes(void)
{
	static const size_t steps[] = { 10, 16, 40, 300, 1024, 2000, 9000, 70000, 500, 24, 1 };
	size_t have = 0;
	void *p = NULL;

	fake_ram_setup();
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t keep = have < steps[i] ? have : steps[i];
		void *q = krealloc(p, steps[i], 0);

		ASSERT_NOT_NULL(q);
		EXPECT_TRUE(filled(q, keep, 3));
		fill(q, steps[i], 3);
		EXPECT_GE(ksize(q), steps[i]);
		p = q;
		have = steps[i];
	}
	kfree(p);
}

static void test_krealloc_within_the_class_stays_in_place(void)
{
	void *p, *q;

	fake_ram_setup();
	p = kmalloc(70, 0);            /* 128-byte class */
	ASSERT_NOT_NULL(p);
	EXPECT_EQ_U(krealloc(p, 128, 0), p);
	EXPECT_EQ_U(krealloc(p, 65, 0), p);
	q = krealloc(p, 129, 0);
	EXPECT_NE((uintptr_t)q, (uintptr_t)p);
	kfree(q);
}

static void test_krealloc_zeroes_the_grown_part(void)
{
	uint8_t *p;

	fake_ram_setup();
	p = kmalloc(32, 0);
	ASSERT_NOT_NULL(p);
	memset(p, 0x11, 32);
	p = krealloc(p, 3000, KM_ZERO);
	ASSERT_NOT_NULL(p);
	EXPECT_EQ(p[31], 0x11);
	EXPECT_TRUE(all_zero(p + 32, ksize(p) - 32));
	kfree(p);
}

static void test_failed_krealloc_leaves_the_block(void)
{
	void *p;

	fake_ram_setup();
	EXPECT_NOT_NULL(p = krealloc(NULL, 100, 0));
	fill(p, 100, 9);
	EXPECT_NULL(krealloc(p, KMALLOC_MAX_SIZE + 1, 0));
	EXPECT_TRUE(filled(p, 100, 9));
	kfree(p);
}

static void test_kmalloc_aligned_honours_every_alignment(void)
{
	fake_ram_setup();
	for (size_t align = 1; align <= (1u << 20); align <<= 1) {
		size_t sizes[] = { 1, 100, 5000 };

		for (int k = 0; k < 3; k++) {
			void *p = kmalloc_aligned(sizes[k], align, 0);

			ASSERT_NOT_NULL(p);
			EXPECT_EQ((uintptr_t)p % align, 0);
			EXPECT_GE(ksize(p), sizes[k]);
			kfree(p);
		}
	}
}

static void test_out_of_frames_returns_null(void)
{
	struct page *head = NULL, *p;

	fake_ram_setup();
	while ((p = page_alloc(0, 0))) {
		*(struct page **)page_to_va(p) = head;
		head = p;
	}
	EXPECT_NULL(kmalloc(64, 0));
	EXPECT_NULL(kmalloc(5000, 0));
	while (head) {
		p = *(struct page **)page_to_va(head);
		page_free(head, 0);
		head = p;
	}
	p = kmalloc(64, 0);
	EXPECT_NOT_NULL(p);
	kfree(p);
}

/* ---- stress --------------------------------------------------------------- */

#define STRESS_SLOTS 512

static uint64_t rng;

static uint64_t next_rand(void)
{
	return tl_rand(&rng);
}

static size_t random_size(void)
{
	uint64_t r = next_rand() % 100;

	if (r < 70)
		return (size_t)(next_rand() % 256);
	if (r < 95)
		return (size_t)(next_rand() % 2048);
	return (size_t)(next_rand() % 40000);
}

static void test_random_sizes_leave_no_leak(void)
{
	static struct { void *p; size_t n; uint8_t seed; } slot[STRESS_SLOTS];
	struct heap_stats hs;
	uint64_t before;

	fake_ram_setup();
	heap_shrink();
	before = pmm_free_frames();
	rng = 0x9e3779b97f4a7c15ull;
	memset(slot, 0, sizeof(slot));
	for (int step = 0; step < 20000 && ktest_ok(); step++) {
		unsigned i = (unsigned)(next_rand() % STRESS_SLOTS);

		if (slot[i].p) {
			EXPECT_TRUE(filled(slot[i].p, slot[i].n, slot[i].seed));
			if (next_rand() % 4 == 0) {
				size_t n = random_size();
				void *q = krealloc(slot[i].p, n, 0);

				ASSERT_NOT_NULL(q);
				EXPECT_TRUE(filled(q, n < slot[i].n ? n : slot[i].n, slot[i].seed));
				slot[i].p = q;
				slot[i].n = n;
				fill(q, n, slot[i].seed);
				continue;
			}
			kfree(slot[i].p);
			slot[i].p = NULL;
		} else {
			slot[i].n = random_size();
			slot[i].seed = (uint8_t)step;
			slot[i].p = kmalloc(slot[i].n, 0);
			ASSERT_NOT_NULL(slot[i].p);
			fill(slot[i].p, slot[i].n, slot[i].seed);
		}
		if (step % 5000 == 0)
			ASSERT_OK(heap_check());
	}
	for (unsigned i = 0; i < STRESS_SLOTS; i++)
		kfree(slot[i].p);
	heap_shrink();
	heap_stats(&hs);
	EXPECT_EQ(hs.slab_pages, 0);
	EXPECT_EQ(hs.large_blocks, 0);
	EXPECT_EQ(pmm_free_frames(), before);
}

/* ---- slab caches ---------------------------------------------------------- */

static void test_caches_of_odd_sizes_and_alignments(void)
{
	static const size_t sizes[] = { 1, 7, 24, 100, 333, 1500, 4000, 9000 };
	static const size_t aligns[] = { 0, 8, 32, 128, 4096 };
	static void *objs[64];

	fake_ram_setup();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (size_t a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
			struct kmem_cache *c = kmem_cache_create("odd", sizes[i], aligns[a]);
			struct kmem_cache_stats st;
			size_t align = aligns[a] ? aligns[a] : sizeof(void *);

			ASSERT_NOT_NULL(c);
			EXPECT_GE(kmem_cache_size(c), sizes[i]);
			for (int k = 0; k < 64; k++) {
				objs[k] = kmem_cache_alloc(c, 0);
				ASSERT_NOT_NULL(objs[k]);
				EXPECT_EQ((uintptr_t)objs[k] % align, 0);
				fill(objs[k], sizes[i], (uint8_t)k);
			}
			for (int k = 0; k < 64; k++)   /* no two overlap */
				EXPECT_TRUE(filled(objs[k], sizes[i], (uint8_t)k));
			kmem_cache_stats(c, &st);
			EXPECT_EQ(st.objs_inuse, 64);
			EXPECT_GE(st.objs_total, 64);
			/* At most an eighth of a slab is wasted, up to 32 KiB slabs. */
			if (st.pages_per_slab < 8)
				EXPECT_LE((st.pages_per_slab * PAGE_SIZE) % st.obj_size,
				          st.pages_per_slab * PAGE_SIZE / 8 + 64 + align);
			for (int k = 0; k < 64; k++)
				kmem_cache_free(c, objs[k]);
			EXPECT_OK(kmem_cache_destroy(c));
		}
}

static void test_cache_destroy_refuses_live_objects(void)
{
	struct kmem_cache *c;
	void *obj;

	fake_ram_setup();
	c = kmem_cache_create("busy", 48, 16);
	ASSERT_NOT_NULL(c);
	obj = kmem_cache_alloc(c, KM_ZERO);
	ASSERT_NOT_NULL(obj);
	EXPECT_TRUE(all_zero(obj, 48));
	EXPECT_EQ(kmem_cache_destroy(c), E_BUSY);
	kmem_cache_free(c, obj);
	EXPECT_OK(kmem_cache_destroy(c));
}

static void test_cache_create_rejects_bad_arguments(void)
{
	fake_ram_setup();
	EXPECT_NULL(kmem_cache_create("zero", 0, 8));
	EXPECT_NULL(kmem_cache_create("npot", 64, 24));
	EXPECT_NULL(kmem_cache_create("align", 64, 2 * PAGE_SIZE));
	EXPECT_NULL(kmem_cache_create("huge", 1u << 20, 8));
}

struct find_ctx {
	const char *name;
	struct kmem_cache_stats st;
	int seen, order_ok;
};

static void find_cache(const struct kmem_cache_stats *st, void *ctx)
{
	struct find_ctx *f = ctx;

	f->order_ok &= f->seen == 0;   /* the heap's own caches come first */
	if (!strcmp(st->name, "kmem_cache") && f->seen)
		f->order_ok = 0;
	if (!strcmp(st->name, f->name)) {
		f->st = *st;
		f->seen++;
	}
}

static void test_stats_count_objects_slabs_and_pages(void)
{
	struct find_ctx f = { "counted", { 0 }, 0, 1 };
	struct kmem_cache *c;
	struct heap_stats hs;
	void *objs[100];

	fake_ram_setup();
	c = kmem_cache_create("counted", 200, 0);
	ASSERT_NOT_NULL(c);
	for (int k = 0; k < 100; k++)
		ASSERT_NOT_NULL(objs[k] = kmem_cache_alloc(c, 0));
	kmem_cache_foreach(find_cache, &f);
	EXPECT_EQ(f.seen, 1);
	EXPECT_EQ(f.st.obj_size, 200);
	EXPECT_EQ(f.st.objs_inuse, 100);
	/* The last refill of this CPU's cache took a few more from the slabs. */
	EXPECT_LT(f.st.objs_cached, 32);
	EXPECT_EQ(f.st.slabs, (100 + f.st.objs_cached + f.st.objs_per_slab - 1) /
	                      f.st.objs_per_slab);
	EXPECT_EQ(f.st.pages, f.st.slabs * f.st.pages_per_slab);
	EXPECT_EQ(f.st.objs_total, f.st.slabs * f.st.objs_per_slab);
	heap_stats(&hs);
	EXPECT_GE(hs.slab_pages, f.st.pages);
	EXPECT_EQ(hs.caches, 1 + 7 + 1);   /* caches, kmalloc classes, ours */
	for (int k = 0; k < 100; k++)
		kmem_cache_free(c, objs[k]);
	EXPECT_OK(kmem_cache_destroy(c));
}

static void test_empty_slabs_go_back_to_the_frame_allocator(void)
{
	struct kmem_cache *c;
	struct kmem_cache_stats st;
	uint64_t before;
	void *objs[300];

	fake_ram_setup();
	c = kmem_cache_create("churn", 100, 0);
	ASSERT_NOT_NULL(c);
	before = pmm_free_frames();
	for (int k = 0; k < 300; k++)
		ASSERT_NOT_NULL(objs[k] = kmem_cache_alloc(c, 0));
	for (int k = 0; k < 300; k++)
		kmem_cache_free(c, objs[k]);
	kmem_cache_stats(&*c, &st);
	EXPECT_EQ(st.objs_inuse, 0);
	/* One empty slab kept for the next alloc, and the slabs of the objects
	 * this CPU's cache still holds. */
	EXPECT_GT(st.objs_cached, 0);
	EXPECT_LE(st.slabs, 1 + st.objs_cached);
	heap_shrink();
	kmem_cache_stats(c, &st);
	EXPECT_EQ(st.slabs, 0);
	EXPECT_EQ(pmm_free_frames(), before);
	EXPECT_OK(kmem_cache_destroy(c));
}

/*
 * Objects that come and go in batches beside one that stays (a fork's
 * beside a process's): the slab they empty is kept, not built again for
 * the next batch; a second empty one goes back.
 */
static void test_one_empty_slab_is_kept_beside_partly_used_ones(void)
{
	struct kmem_cache *c;
	struct kmem_cache_stats st;
	uint64_t after_first = 0;
	void *keep, *objs[64];

	fake_ram_setup();
	c = kmem_cache_create("batches", 3000, 0);   /* 2 objects per CPU cache */
	ASSERT_NOT_NULL(c);
	ASSERT_NOT_NULL(keep = kmem_cache_alloc(c, 0));
	for (int round = 0; round < 2; round++) {
		for (int k = 0; k < 64; k++)
			ASSERT_NOT_NULL(objs[k] = kmem_cache_alloc(c, 0));
		/* Last to first: the CPU's cache ends up holding the first two,
		 * which share keep's slab; every other slab is empty. */
		for (int k = 63; k >= 0; k--)
			kmem_cache_free(c, objs[k]);
		kmem_cache_stats(c, &st);
		ASSERT_GE(st.objs_per_slab, 3);
		EXPECT_EQ(st.objs_inuse, 1);
		EXPECT_EQ(st.slabs, 2);   /* keep's and one empty */
		if (round == 0)
			after_first = pmm_free_frames();
		else
			EXPECT_EQ(pmm_free_frames(), after_first);
	}
	heap_shrink();
	kmem_cache_stats(c, &st);
	EXPECT_EQ(st.slabs, 1);
	kmem_cache_free(c, keep);
	EXPECT_OK(kmem_cache_destroy(c));
}

/* ---- misuse ----------------------------------------------------------------- */

static void test_heap_double_free_panics(void)
{
	void *p, *keep;

	fake_ram_setup();
	keep = kmalloc(64, 0);   /* so the slab stays when p goes */
	p = kmalloc(64, 0);
	ASSERT_NOT_NULL(p);
	kfree(p);
	EXPECT_PANIC(kfree(p), "double free");
	kfree(keep);
}

static void test_heap_write_after_free_is_caught(void)
{
	uint8_t *p, *keep;

	fake_ram_setup();
	keep = kmalloc(100, 0);
	p = kmalloc(100, 0);
	ASSERT_NOT_NULL(p);
	kfree(p);
	p[50] = 0;   /* the bug */
	EXPECT_PANIC(p = kmalloc(100, 0), "use after free");
	/* The object was handed out before the check: give it back repaired. */
	kfree(p);
	kfree(keep);
}

static void test_kfree_of_a_non_heap_pointer_panics(void)
{
	struct page *pg;
	char *frame;

	fake_ram_setup();
	pg = page_alloc(0, 0);
	ASSERT_NOT_NULL(pg);
	frame = page_to_va(pg);
	EXPECT_PANIC(kfree(frame + 64), "not a live kmalloc block");
	EXPECT_PANIC(kfree(pa_to_va(FAKE_RAM_BASE + (3ull << 20))), "not a live kmalloc block");
	page_free(pg, 0);
	EXPECT_PANIC(kfree(frame), "not a live kmalloc block");   /* a free frame */
}

static void test_free_into_the_wrong_cache_panics(void)
{
	struct kmem_cache *a, *b;
	void *obj;

	fake_ram_setup();
	a = kmem_cache_create("a", 32, 0);
	b = kmem_cache_create("b", 32, 0);
	ASSERT_NOT_NULL(a);
	ASSERT_NOT_NULL(b);
	obj = kmem_cache_alloc(a, 0);
	ASSERT_NOT_NULL(obj);
	EXPECT_PANIC(kmem_cache_free(b, obj), "not an object of \"b\"");
	kmem_cache_free(a, obj);
	EXPECT_OK(kmem_cache_destroy(a));
	EXPECT_OK(kmem_cache_destroy(b));
}

static void test_check_finds_a_corrupt_free_list(void)
{
	void **p, **keep, *saved;

	fake_ram_setup();
	keep = kmalloc(256, 0);
	p = kmalloc(256, 0);
	ASSERT_NOT_NULL(p);
	kfree(p);
	saved = *p;
	*p = (char *)p + 8;   /* a link into the middle of an object */
	EXPECT_EQ(heap_check(), E_CORRUPT);
	*p = saved;
	EXPECT_OK(heap_check());
	kfree(keep);
}

/* ---- per-CPU caches ---------------------------------------------------------
 * The test plays CPUs 1-3 itself (fake_cpu_enter()) and always comes back
 * to CPU 0; see tests/mm/page_host.c.
 */

#define NCPUS SMP_HOST_EACH

static struct kmem_cache_stats stats_of(struct kmem_cache *c)
{
	struct kmem_cache_stats st;

	kmem_cache_stats(c, &st);
	return st;
}

static void test_an_object_freed_on_another_cpu_is_reused_there(void)
{
	struct kmem_cache *c;
	void *o, *p;

	fake_ram_setup();
	c = kmem_cache_create("xcpu", 64, 0);
	ASSERT_NOT_NULL(c);
	fake_cpu_enter(1);
	o = kmem_cache_alloc(c, 0);
	ASSERT_NOT_NULL(o);
	fake_cpu_enter(2);
	kmem_cache_free(c, o);   /* into CPU 2's cache */
	EXPECT_EQ(stats_of(c).objs_inuse, 0);
	fake_cpu_enter(1);
	p = kmem_cache_alloc(c, 0);
	EXPECT_NE(p, o);         /* CPU 1 has its own */
	kmem_cache_free(c, p);
	fake_cpu_enter(2);
	p = kmem_cache_alloc(c, 0);
	EXPECT_EQ(p, o);         /* CPU 2 hands back what it was given */
	kmem_cache_free(c, p);
	fake_cpu_enter(0);
	EXPECT_OK(kmem_cache_destroy(c));
}

static void test_stats_count_objects_cached_by_every_cpu(void)
{
	struct kmem_cache *c;
	struct kmem_cache_stats st;
	void *o[NCPUS][10];

	fake_ram_setup();
	c = kmem_cache_create("counted", 100, 0);
	ASSERT_NOT_NULL(c);
	for (unsigned cpu = 0; cpu < NCPUS; cpu++) {
		fake_cpu_enter(cpu);
		for (int i = 0; i < 10; i++)
			ASSERT_NOT_NULL(o[cpu][i] = kmem_cache_alloc(c, 0));
	}
	st = stats_of(c);
	EXPECT_EQ(st.objs_inuse, NCPUS * 10);
	/* Each CPU's refill took more than it handed out. */
	EXPECT_GT(st.objs_cached, 0);
	EXPECT_EQ(st.objs_total, st.slabs * st.objs_per_slab);
	for (unsigned cpu = 0; cpu < NCPUS; cpu++) {
		fake_cpu_enter((cpu + 1) % NCPUS);   /* freed by the next CPU */
		for (int i = 0; i < 10; i++)
			kmem_cache_free(c, o[cpu][i]);
	}
	fake_cpu_enter(0);
	st = stats_of(c);
	EXPECT_EQ(st.objs_inuse, 0);
	EXPECT_GE(st.objs_cached, NCPUS * 10);
	EXPECT_OK(heap_check());
	heap_shrink();
	st = stats_of(c);
	EXPECT_EQ(st.objs_cached, 0);
	EXPECT_EQ(st.slabs, 0);
	EXPECT_OK(kmem_cache_destroy(c));
}

/* kmalloc and kfree on every CPU; each CPU frees the previous one's. */
static void churn_every_cpu(unsigned rounds)
{
	void *o[NCPUS][16];

	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned cpu = 0; cpu < NCPUS; cpu++) {
			fake_cpu_enter(cpu);
			for (int i = 0; i < 16; i++)
				o[cpu][i] = kmalloc((size_t)16 << ((r + (unsigned)i) % 7), 0);
		}
		for (unsigned cpu = 0; cpu < NCPUS; cpu++) {
			fake_cpu_enter((cpu + 1) % NCPUS);
			for (int i = 0; i < 16; i++)
				kfree(o[cpu][i]);
		}
	}
	fake_cpu_enter(0);
}

static void test_shrink_gives_back_every_cpus_objects_and_frames(void)
{
	uint64_t before;

	fake_ram_setup();
	heap_shrink();
	before = pmm_free_frames();
	churn_every_cpu(20);
	EXPECT_OK(heap_check());
	heap_shrink();
	EXPECT_EQ(pmm_free_frames(), before);
}

static void test_each_cpu_gives_back_its_own_through_the_every_cpu_call(void)
{
	uint64_t before;

	fake_ram_setup();
	heap_shrink();
	before = pmm_free_frames();
	churn_every_cpu(20);
	smp_host_each_calls = 0;
	mm_set_every_cpu_call(smp_host_run_as_each);
	EXPECT_EQ(heap_free_frames_settled(), before);
	mm_set_every_cpu_call(NULL);
	EXPECT_EQ(smp_host_each_calls, 2);   /* the heap's objects, then the frames */
}

static void test_destroy_takes_back_objects_cached_by_every_cpu(void)
{
	struct kmem_cache *c;
	void *o[NCPUS];
	uint64_t before;

	fake_ram_setup();
	before = pmm_free_frames();
	c = kmem_cache_create("spread", 512, 0);
	ASSERT_NOT_NULL(c);
	for (unsigned cpu = 0; cpu < NCPUS; cpu++) {
		fake_cpu_enter(cpu);
		o[cpu] = kmem_cache_alloc(c, 0);
	}
	for (unsigned cpu = 1; cpu < NCPUS; cpu++) {
		fake_cpu_enter(cpu);
		kmem_cache_free(c, o[cpu]);
	}
	fake_cpu_enter(0);
	EXPECT_EQ(kmem_cache_destroy(c), E_BUSY);   /* CPU 0's is still in use */
	kmem_cache_free(c, o[0]);
	EXPECT_OK(kmem_cache_destroy(c));
	heap_shrink();
	EXPECT_EQ(pmm_free_frames(), before);
}

static void test_check_finds_an_object_cached_by_two_cpus(void)
{
	void **o, *keep, *again, *link;

	fake_ram_setup();
	fake_cpu_enter(1);
	keep = kmalloc(64, 0);
	o = kmalloc(64, 0);
	ASSERT_NOT_NULL(o);
	kfree(o);
	link = *o;   /* its next in CPU 1's list */
	fake_cpu_enter(2);
	kfree(o);   /* the bug: not in this CPU's cache or its slab, so not seen here */
	EXPECT_EQ(heap_check(), E_CORRUPT);
	/* Repair: take the second copy back, give the first its link again. */
	again = kmalloc(64, 0);
	EXPECT_EQ(again, (void *)o);
	*o = link;
	EXPECT_OK(heap_check());
	fake_cpu_enter(1);
	kfree(keep);
	fake_cpu_enter(0);
}

static void test_write_to_an_object_in_a_cpus_cache_is_caught(void)
{
	uint8_t *p, *keep;

	fake_ram_setup();
	fake_cpu_enter(3);
	keep = kmalloc(128, 0);
	p = kmalloc(128, 0);
	ASSERT_NOT_NULL(p);
	kfree(p);
	p[77] = 1;   /* the bug */
	EXPECT_EQ(heap_check(), E_CORRUPT);
	EXPECT_PANIC(p = kmalloc(128, 0), "use after free");
	EXPECT_TRUE(fake_irq_enabled());
	kfree(p);
	kfree(keep);
	fake_cpu_enter(0);
}

static void test_double_free_in_this_cpus_cache_panics(void)
{
	void *p, *keep;

	fake_ram_setup();
	fake_cpu_enter(2);
	keep = kmalloc(32, 0);
	p = kmalloc(32, 0);
	ASSERT_NOT_NULL(p);
	kfree(p);
	EXPECT_PANIC(kfree(p), "double free, in this CPU's cache");
	EXPECT_TRUE(fake_irq_enabled());
	kfree(keep);
	fake_cpu_enter(0);
}

KTEST_SUITE(heap_host,
	KTEST_CASE(test_every_size_class_fits_its_requests),
	KTEST_CASE(test_kmalloc_alignment_by_size),
	KTEST_CASE(test_kmalloc_zero_gives_unique_pointers),
	KTEST_CASE(test_large_allocations_are_whole_frames),
	KTEST_CASE(test_impossible_sizes_return_null),
	KTEST_CASE(test_zeroed_memory_is_zero_after_reuse),
	KTEST_CASE(test_krealloc_keeps_contents_across_sizes),
	KTEST_CASE(test_krealloc_within_the_class_stays_in_place),
	KTEST_CASE(test_krealloc_zeroes_the_grown_part),
	KTEST_CASE(test_failed_krealloc_leaves_the_block),
	KTEST_CASE(test_kmalloc_aligned_honours_every_alignment),
	KTEST_CASE(test_out_of_frames_returns_null),
	KTEST_CASE(test_random_sizes_leave_no_leak),
	KTEST_CASE(test_caches_of_odd_sizes_and_alignments),
	KTEST_CASE(test_cache_destroy_refuses_live_objects),
	KTEST_CASE(test_cache_create_rejects_bad_arguments),
	KTEST_CASE(test_stats_count_objects_slabs_and_pages),
	KTEST_CASE(test_empty_slabs_go_back_to_the_frame_allocator),
	KTEST_CASE(test_one_empty_slab_is_kept_beside_partly_used_ones),
	KTEST_CASE(test_heap_double_free_panics),
	KTEST_CASE(test_heap_write_after_free_is_caught),
	KTEST_CASE(test_kfree_of_a_non_heap_pointer_panics),
	KTEST_CASE(test_free_into_the_wrong_cache_panics),
	KTEST_CASE(test_check_finds_a_corrupt_free_list),
	KTEST_CASE(test_an_object_freed_on_another_cpu_is_reused_there),
	KTEST_CASE(test_stats_count_objects_cached_by_every_cpu),
	KTEST_CASE(test_shrink_gives_back_every_cpus_objects_and_frames),
	KTEST_CASE(test_each_cpu_gives_back_its_own_through_the_every_cpu_call),
	KTEST_CASE(test_destroy_takes_back_objects_cached_by_every_cpu),
	KTEST_CASE(test_check_finds_an_object_cached_by_two_cpus),
	KTEST_CASE(test_write_to_an_object_in_a_cpus_cache_is_caught),
	KTEST_CASE(test_double_free_in_this_cpus_cache_panics));
