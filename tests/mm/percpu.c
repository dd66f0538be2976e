/*
 * The per-CPU caches of the frame allocator and the heap with every CPU
 * at once: each CPU allocates and frees in a loop, frees what another CPU
 * allocated, and the counts stay exact throughout; draining (through the
 * smp calls mm was given at boot) empties every CPU's cache; afterwards
 * the free-frame count is back at its baseline and the checkers pass.
 * Other CPUs run their part through smp calls on their idle loops.
 */
#include <stdint.h>
#include <string.h>
#include <arch/cpu.h>
#include <boot/smp.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/heap.h>
#include <mm/page.h>

#define ROUNDS   200
#define FRAMES   48          /* per CPU and round: more than a cache refill */
#define OBJS     64

static void need_cpus(void)
{
	if (smp_online() < 2)
		ktest_skip("needs more than one CPU (boot with SMP=4)");
}

/* Every CPU waits here until all @n have arrived. */
static void meet(int *count, int n)
{
	__atomic_fetch_add(count, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(count, __ATOMIC_ACQUIRE) < n)
		;
}

/* ---- frames ---------------------------------------------------------------- */

struct frames_run {
	int n;                       /* CPUs taking part */
	int ready;
	int errors;
	int oom;
	struct page *held[CPU_MAX][FRAMES];
	/*
	 * Each CPU's progress (release): 2k once its round-k frames are in
	 * held[], 2k + 1 once it has freed the next CPU's round-k frames.
	 */
	int phase[CPU_MAX];
};

/* Sign a frame with its owner and address; check it before freeing. */
static void sign(struct page *p, unsigned cpu)
{
	uint64_t *w = page_to_va(p);

	w[0] = page_to_pa(p);
	w[PAGE_SIZE / 8 - 1] = cpu;
}

static int signed_by(struct page *p, unsigned cpu)
{
	uint64_t *w = page_to_va(p);

	return w[0] == page_to_pa(p) && w[PAGE_SIZE / 8 - 1] == cpu;
}

/*
 * Each round: allocate FRAMES order-0 frames (and a few larger blocks),
 * publish them, wait until the next CPU has published its round, free
 * the next CPU's frames (a free on another CPU than the allocation),
 * allocate and free a burst of its own.
 */
static void frames_loop(void *arg)
{
	struct frames_run *r = arg;
	unsigned me = cpu_num(), next = (me + 1) % (unsigned)r->n;

	meet(&r->ready, r->n);
	for (int round = 1; round <= ROUNDS; round++) {
		for (int i = 0; i < FRAMES; i++) {
			struct page *p = page_alloc(0, 0);

			if (!p) {
				__atomic_fetch_add(&r->oom, 1, __ATOMIC_RELAXED);
				break;
			}
			sign(p, me);
			r->held[me][i] = p;
		}
		__atomic_store_n(&r->phase[me], 2 * round, __ATOMIC_RELEASE);
		while (__atomic_load_n(&r->phase[next], __ATOMIC_ACQUIRE) < 2 * round)
			;
		for (int i = 0; i < FRAMES; i++) {
			struct page *p = r->held[next][i];

			if (!p)
				continue;
			if (!signed_by(p, next))
				__atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED);
			r->held[next][i] = NULL;
			if (i % 2)
				page_free(p, 0);
			else
				page_put(p);
		}
		/* Publish that the next CPU's frames are gone, then a burst of our own. */
		__atomic_store_n(&r->phase[me], 2 * round + 1, __ATOMIC_RELEASE);
		for (unsigned o = 0; o <= 3; o++) {
			struct page *p = page_alloc(o, o % 2 ? PAGE_ZERO : 0);

			if (p)
				page_free(p, o);
		}
		while (__atomic_load_n(&r->phase[(me + (unsigned)r->n - 1) % (unsigned)r->n],
		                       __ATOMIC_ACQUIRE) < 2 * round + 1)
			;   /* the previous CPU has freed ours: reuse the slots */
	}
}

static void test_every_cpu_allocates_and_frees_frames_at_once(void)
{
	need_cpus();
	static struct frames_run r;
	uint64_t before = pmm_free_frames();
	struct pmm_stats st;

	memset(&r, 0, sizeof(r));
	r.n = (int)smp_online();
	EXPECT_EQ(smp_run_everywhere(frames_loop, &r), r.n);
	EXPECT_EQ(r.errors, 0);
	EXPECT_EQ(r.oom, 0);
	/* Exact with frames in every CPU's cache, no drain needed. */
	pmm_stats(&st);
	EXPECT_EQ_U(st.free, before);
	EXPECT_GT(st.cached, 0);
	EXPECT_OK(pmm_check());
	pmm_drain_cache();
	pmm_stats(&st);
	EXPECT_EQ_U(st.cached, 0);
	EXPECT_EQ_U(st.free, before);
	EXPECT_OK(pmm_check());
}

/* ---- the heap ------------------------------------------------------------------ */

struct heap_run {
	int n;
	int ready;
	int errors;
	int oom;
	struct kmem_cache *cache;
	void *held[CPU_MAX][OBJS];
	int phase[CPU_MAX];          /* as in struct frames_run */
};

static size_t size_of(int round, int i)
{
	return (size_t)(8 + ((unsigned)(round * 37 + i * 11) % 1500));   /* kmalloc and large */
}

/* As frames_loop(), with kmalloc of many sizes and objects of one cache. */
static void heap_loop(void *arg)
{
	struct heap_run *r = arg;
	unsigned me = cpu_num(), next = (me + 1) % (unsigned)r->n;

	meet(&r->ready, r->n);
	for (int round = 1; round <= ROUNDS; round++) {
		for (int i = 0; i < OBJS; i++) {
			uint64_t *o = i % 4 ? kmalloc(size_of(round, i), 0) :
			                      kmem_cache_alloc(r->cache, 0);

			if (!o) {
				__atomic_fetch_add(&r->oom, 1, __ATOMIC_RELAXED);
				break;
			}
			o[0] = (uint64_t)me << 32 | (uint64_t)(round * OBJS + i);
			r->held[me][i] = o;
		}
		__atomic_store_n(&r->phase[me], 2 * round, __ATOMIC_RELEASE);
		while (__atomic_load_n(&r->phase[next], __ATOMIC_ACQUIRE) < 2 * round)
			;
		for (int i = 0; i < OBJS; i++) {
			uint64_t *o = r->held[next][i];

			if (!o)
				continue;
			if (o[0] != ((uint64_t)next << 32 | (uint64_t)(round * OBJS + i)))
				__atomic_fetch_add(&r->errors, 1, __ATOMIC_RELAXED);
			r->held[next][i] = NULL;
			if (i % 4)
				kfree(o);
			else
				kmem_cache_free(r->cache, o);
		}
		__atomic_store_n(&r->phase[me], 2 * round + 1, __ATOMIC_RELEASE);
		for (int i = 0; i < 8; i++)
			kfree(kmalloc(64, i % 2 ? KM_ZERO : 0));
		while (__atomic_load_n(&r->phase[(me + (unsigned)r->n - 1) % (unsigned)r->n],
		                       __ATOMIC_ACQUIRE) < 2 * round + 1)
			;
	}
}

static void test_every_cpu_kmallocs_and_kfrees_at_once(void)
{
	need_cpus();
	static struct heap_run r;
	uint64_t before = heap_free_frames_settled();
	struct kmem_cache_stats st;

	memset(&r, 0, sizeof(r));
	r.n = (int)smp_online();
	r.cache = kmem_cache_create("percpu", 200, 0);
	ASSERT_NOT_NULL(r.cache);
	EXPECT_EQ(smp_run_everywhere(heap_loop, &r), r.n);
	EXPECT_EQ(r.errors, 0);
	EXPECT_EQ(r.oom, 0);
	kmem_cache_stats(r.cache, &st);
	EXPECT_EQ_U(st.objs_inuse, 0);
	EXPECT_GT(st.objs_cached, 0);
	EXPECT_OK(heap_check());
	EXPECT_OK(kmem_cache_destroy(r.cache));   /* every CPU gives its objects back first */
	EXPECT_EQ_U(heap_free_frames_settled(), before);
	EXPECT_OK(pmm_check());
}

/* ---- draining ---------------------------------------------------------------------- */

struct fill {
	struct kmem_cache *cache;
	int failures;
};

/* Leave frames and objects in this CPU's caches. */
static void fill_caches(void *arg)
{
	struct fill *f = arg;
	struct page *p[20];
	void *o[20];

	for (int i = 0; i < 20; i++) {
		p[i] = page_alloc(0, 0);
		o[i] = kmem_cache_alloc(f->cache, 0);
		if (!p[i] || !o[i])
			__atomic_fetch_add(&f->failures, 1, __ATOMIC_RELAXED);
	}
	for (int i = 0; i < 20; i++) {
		if (p[i])
			page_free(p[i], 0);
		kmem_cache_free(f->cache, o[i]);
	}
}

static void test_drains_empty_every_cpus_caches(void)
{
	need_cpus();
	uint64_t before = heap_free_frames_settled(), with_cache;
	struct fill f = { kmem_cache_create("drained", 64, 0), 0 };
	struct kmem_cache_stats cs;
	struct pmm_stats st;

	ASSERT_NOT_NULL(f.cache);
	with_cache = heap_free_frames_settled();   /* its struct may have taken a slab */
	smp_run_everywhere(fill_caches, &f);
	EXPECT_EQ(f.failures, 0);
	kmem_cache_stats(f.cache, &cs);
	EXPECT_GE(cs.objs_cached, 20 * smp_online());
	EXPECT_GT(cs.slabs, 0);
	pmm_stats(&st);
	EXPECT_GE(st.cached, 20 * smp_online());
	heap_shrink();
	kmem_cache_stats(f.cache, &cs);
	EXPECT_EQ_U(cs.objs_cached, 0);
	EXPECT_EQ_U(cs.slabs, 0);
	pmm_drain_cache();
	pmm_stats(&st);
	EXPECT_EQ_U(st.cached, 0);
	EXPECT_EQ_U(st.free, with_cache);
	EXPECT_OK(pmm_check());
	EXPECT_OK(heap_check());
	EXPECT_OK(kmem_cache_destroy(f.cache));
	EXPECT_EQ_U(heap_free_frames_settled(), before);
}

KTEST_SUITE(percpu,
	KTEST_CASE(test_every_cpu_allocates_and_frees_frames_at_once),
	KTEST_CASE(test_every_cpu_kmallocs_and_kfrees_at_once),
	KTEST_CASE(test_drains_empty_every_cpus_caches));
