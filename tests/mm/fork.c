/*
 * Copy-on-write fork through the real MMU: user aspaces are switched in
 * and touched with copy_to_user / copy_from_user, whose faults go through
 * the arch trap code and the fault dispatcher.  Frames are counted with
 * the heap's slab pages left out, as data pages are what fork must not
 * copy.
 */
#include <string.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/aspace.h>
#include <mm/heap.h>
#include <mm/page.h>
#include <mm/usercopy.h>

#define RW (MMU_READ | MMU_WRITE)
#define BASE 0x10000000ul

static uintptr_t at(uint64_t page)
{
	return BASE + page * PAGE_SIZE;
}

/* Frames in use outside the heap: data pages and page tables. */
static uint64_t used_frames(void)
{
	struct pmm_stats st;
	struct heap_stats hs;

	heap_shrink();
	pmm_drain_cache();
	pmm_stats(&st);
	heap_stats(&hs);
	return st.total - st.reserved - st.free - hs.slab_pages - hs.large_pages;
}

static int put(struct aspace *as, uint64_t page, uint64_t v)
{
	aspace_switch(as);
	return copy_to_user(at(page), &v, sizeof(v));
}

static uint64_t get(struct aspace *as, uint64_t page)
{
	uint64_t v = ~0ull;

	aspace_switch(as);
	if (copy_from_user(&v, at(page), sizeof(v)))
		ktest_fail(__FILE__, __LINE__, "reading page %llu failed", (unsigned long long)page);
	return v;
}

static struct aspace *new_user(uint64_t pages, unsigned flags)
{
	struct aspace *as = NULL;
	uintptr_t a = BASE;

	ASSERT_OK(aspace_create("fork", &as));
	ASSERT_OK(aspace_map_anon(as, &a, pages * PAGE_SIZE, 0, RW, flags | MAP_FIXED));
	return as;
}

static struct aspace *fork_of(struct aspace *p)
{
	struct aspace *c = NULL;

	ASSERT_OK(aspace_fork(p, &c));
	return c;
}

static void done(struct aspace *as)
{
	aspace_switch(NULL);
	EXPECT_EQ(aspace_check(as), 0);
	aspace_destroy(as);
}

static void test_isolation_matrix(void)
{
	enum { P, C, G, D, N };
	struct aspace *as[N];
	uint64_t want[N][8];

	as[P] = new_user(8, 0);
	for (unsigned i = 0; i < 6; i++)
		ASSERT_OK(put(as[P], i, 0x10 + i));
	as[C] = fork_of(as[P]);
	ASSERT_OK(put(as[P], 0, 0xa0));
	ASSERT_OK(put(as[C], 1, 0xc1));
	as[G] = fork_of(as[C]);
	as[D] = fork_of(as[P]);
	ASSERT_OK(put(as[C], 2, 0xc2));
	ASSERT_OK(put(as[G], 3, 0x93));
	ASSERT_OK(put(as[D], 4, 0xd4));
	ASSERT_OK(put(as[P], 5, 0xa5));
	ASSERT_OK(put(as[G], 7, 0x97));
	for (unsigned i = 0; i < 8; i++)
		want[P][i] = i < 6 ? 0x10 + i : 0;
	memcpy(want[C], want[P], sizeof(want[P]));
	want[P][0] = 0xa0;
	want[C][1] = 0xc1;
	memcpy(want[G], want[C], sizeof(want[C]));
	memcpy(want[D], want[P], sizeof(want[P]));
	want[C][2] = 0xc2;
	want[G][3] = 0x93;
	want[D][4] = 0xd4;
	want[P][5] = 0xa5;
	want[G][7] = 0x97;
	for (unsigned a = 0; a < N; a++)
		for (unsigned i = 0; i < 8; i++)
			EXPECT_EQ_U(get(as[a], i), want[a][i]);
	done(as[C]);
	for (unsigned i = 0; i < 8; i++)
		EXPECT_EQ_U(get(as[G], i), want[G][i]);
	done(as[G]);
	done(as[D]);
	for (unsigned i = 0; i < 8; i++)
		EXPECT_EQ_U(get(as[P], i), want[P][i]);
	done(as[P]);
}

#define BIG 10000

static void test_fork_of_10000_pages_takes_no_data_frame(void)
{
	uint64_t base = used_frames(), before;
	struct aspace *p = new_user(BIG, VAREA_POPULATE), *c;

	for (unsigned i = 0; i < BIG; i += 97)
		ASSERT_OK(put(p, i, i));
	before = used_frames();
	EXPECT_GE(before - base, BIG);
	c = fork_of(p);
	/* The child's table root; no data page. */
	EXPECT_LE(used_frames() - before, 1);
	EXPECT_EQ_U(get(c, 97), 97);           /* the child's tables exist now */
	EXPECT_EQ_U(get(c, 194), 194);
	before = used_frames();
	ASSERT_OK(put(c, 97, 0xc));
	EXPECT_EQ_U(used_frames(), before + 1);  /* one copy */
	ASSERT_OK(put(p, 194, 0xa));
	EXPECT_EQ_U(used_frames(), before + 2);
	ASSERT_OK(put(p, 97, 0xa));            /* the child has its own: the parent takes it */
	EXPECT_EQ_U(used_frames(), before + 2);
	EXPECT_EQ_U(get(c, 194), 194);
	EXPECT_EQ_U(get(c, 97), 0xc);
	done(c);
	before = used_frames();
	ASSERT_OK(put(p, 291, 0xa));           /* the last holder: no copy */
	ASSERT_OK(put(p, 5000, 0xa));
	EXPECT_EQ_U(used_frames(), before);
	EXPECT_EQ_U(get(p, 388), 388);
	done(p);
	EXPECT_EQ_U(used_frames(), base);
}

static void test_protect_ro_before_and_rw_after_fork_stays_cow(void)
{
	struct aspace *p = new_user(4, VAREA_POPULATE), *c;

	ASSERT_OK(put(p, 1, 0x11));
	ASSERT_OK(aspace_protect(p, at(0), 4 * PAGE_SIZE, MMU_READ));
	c = fork_of(p);
	ASSERT_OK(aspace_protect(p, at(0), 4 * PAGE_SIZE, RW));
	ASSERT_OK(put(p, 1, 0xa1));
	EXPECT_EQ_U(get(c, 1), 0x11);
	EXPECT_EQ(put(c, 1, 0xc1), E_FAULT);    /* the child's varea is still read-only */
	ASSERT_OK(aspace_protect(c, at(0), 4 * PAGE_SIZE, RW));
	ASSERT_OK(put(c, 1, 0xc1));
	EXPECT_EQ_U(get(p, 1), 0xa1);
	EXPECT_EQ_U(get(c, 1), 0xc1);
	done(c);
	done(p);
}

static void test_refork_keeps_cow_pages_cow(void)
{
	struct aspace *p = new_user(4, 0), *c1, *c2, *g;

	ASSERT_OK(put(p, 0, 0x50));
	c1 = fork_of(p);
	c2 = fork_of(p);
	g = fork_of(c1);
	ASSERT_OK(put(p, 0, 0xa0));
	ASSERT_OK(put(c1, 0, 0xc0));
	EXPECT_EQ_U(get(c2, 0), 0x50);
	EXPECT_EQ_U(get(g, 0), 0x50);
	ASSERT_OK(put(c2, 0, 0xd0));
	EXPECT_EQ_U(get(g, 0), 0x50);
	EXPECT_EQ_U(get(p, 0), 0xa0);
	EXPECT_EQ_U(get(c1, 0), 0xc0);
	done(c2);
	done(c1);
	done(g);
	done(p);
}

static void test_fork_with_unpopulated_pages(void)
{
	struct aspace *p = new_user(8, 0), *c;

	ASSERT_OK(put(p, 2, 0x22));
	c = fork_of(p);
	EXPECT_EQ_U(get(c, 3), 0);
	EXPECT_EQ_U(get(p, 4), 0);
	ASSERT_OK(put(c, 5, 0xc5));
	ASSERT_OK(put(p, 6, 0xa6));
	EXPECT_EQ_U(get(p, 5), 0);
	EXPECT_EQ_U(get(c, 6), 0);
	EXPECT_EQ_U(get(c, 2), 0x22);
	done(c);
	done(p);
}

static void test_unmap_in_parent_while_child_reads(void)
{
	struct aspace *p = new_user(8, VAREA_POPULATE), *c;

	for (unsigned i = 0; i < 8; i++)
		ASSERT_OK(put(p, i, 0x30 + i));
	c = fork_of(p);
	aspace_switch(NULL);
	ASSERT_OK(aspace_unmap(p, at(2), 4 * PAGE_SIZE));
	for (unsigned i = 0; i < 8; i++)
		EXPECT_EQ_U(get(c, i), 0x30 + i);
	EXPECT_EQ(put(p, 3, 1), E_FAULT);
	done(p);
	for (unsigned i = 0; i < 8; i++)
		ASSERT_OK(put(c, i, 0xc0 + i));
	EXPECT_EQ_U(get(c, 7), 0xc7);
	done(c);
}

#define ROUNDS 1000

static uint64_t next(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
	return *seed >> 33;
}

/* Fork, writes in both, checks against a model of both, destroy: all frames come back. */
static void test_storm_returns_every_frame(void)
{
	uint64_t base = used_frames(), seed = 0x5eed, pm[64] = { 0 }, cm[64];
	struct aspace *p = new_user(64, 0);
	struct heap_stats hs0, hs1;

	for (unsigned i = 0; i < 32; i++)
		ASSERT_OK(put(p, i, pm[i] = i));
	/* The checks below read all 64 pages, which makes the parent's index
	 * nodes for the upper 32: have them before the count, so that only
	 * what the storm leaves behind shows. */
	for (unsigned i = 32; i < 64; i++)
		EXPECT_EQ_U(get(p, i), 0);
	heap_shrink();
	heap_stats(&hs0);
	for (unsigned round = 0; round < ROUNDS; round++) {
		struct aspace *c = fork_of(p);

		memcpy(cm, pm, sizeof(cm));
		for (unsigned k = 0; k < 3; k++) {
			unsigned ci = next(&seed) % 64, pi = next(&seed) % 32;

			ASSERT_OK(put(c, ci, cm[ci] = round));
			ASSERT_OK(put(p, pi, pm[pi] = next(&seed) % 32));
		}
		for (unsigned k = 0; k < 2; k++) {
			unsigned i = next(&seed) % 64;

			EXPECT_EQ_U(get(c, i), cm[i]);
			EXPECT_EQ_U(get(p, i), pm[i]);
		}
		done(c);
	}
	for (unsigned i = 0; i < 64; i++)
		EXPECT_EQ_U(get(p, i), pm[i]);
	/* Checking the parent's leaves also lets its object leave the
	 * copy-on-write hierarchy its last child left it alone in. */
	EXPECT_OK(aspace_check(p));
	heap_shrink();
	heap_stats(&hs1);
	EXPECT_EQ_U(hs1.slab_pages + hs1.large_pages, hs0.slab_pages + hs0.large_pages);
	done(p);
	EXPECT_EQ_U(used_frames(), base);
}

/* ---- running out of frames ------------------------------------------------------- */

/* Every free frame, linked through its own first word. */
static void *hogged;

static void hog_all_but(unsigned keep)
{
	struct page *pg;
	void **prev = &hogged;

	pmm_drain_cache();
	while ((pg = page_alloc(0, 0))) {
		void **w = page_to_va(pg);

		*w = NULL;
		*prev = w;
		prev = w;
	}
	while (keep-- && hogged) {
		void **w = hogged;

		hogged = *w;
		page_free(va_to_page(w), 0);
	}
}

static void hog_release(void)
{
	while (hogged) {
		void **w = hogged;

		hogged = *w;
		page_free(va_to_page(w), 0);
	}
}

static void test_failures_change_nothing(void)
{
	struct aspace *p = new_user(16, 0), *c = NULL, *old;
	uint64_t before;
	int rc = E_NOMEM;
	unsigned k;

	for (unsigned i = 0; i < 16; i++)
		ASSERT_OK(put(p, i, 0x60 + i));
	old = fork_of(p);
	ASSERT_OK(put(old, 3, 0x73));
	aspace_switch(NULL);
	before = used_frames();
	for (k = 0; k < 64 && rc; k++) {
		hog_all_but(k);
		rc = aspace_fork(p, &c);
		hog_release();
		if (rc) {
			EXPECT_EQ(rc, E_NOMEM);
			EXPECT_EQ_U(used_frames(), before);
		}
	}
	ASSERT_OK(rc);
	EXPECT_GT(k, 1);
	done(c);
	/* A copy-on-write fault with no frame: the write fails, nothing changes. */
	EXPECT_EQ_U(get(p, 5), 0x65);
	EXPECT_EQ_U(get(old, 5), 0x65);
	aspace_switch(old);
	before = used_frames();
	hog_all_but(0);
	rc = put(old, 5, 0xbad);
	hog_release();
	EXPECT_EQ(rc, E_FAULT);
	EXPECT_EQ_U(used_frames(), before);
	EXPECT_EQ_U(get(old, 5), 0x65);
	EXPECT_EQ_U(get(p, 5), 0x65);
	EXPECT_EQ_U(get(old, 3), 0x73);
	EXPECT_EQ_U(get(p, 3), 0x63);
	ASSERT_OK(put(old, 5, 0x75));
	EXPECT_EQ_U(get(p, 5), 0x65);
	done(old);
	done(p);
}

KTEST_SUITE(fork,
	KTEST_CASE(test_isolation_matrix),
	KTEST_CASE(test_fork_of_10000_pages_takes_no_data_frame),
	KTEST_CASE(test_protect_ro_before_and_rw_after_fork_stays_cow),
	KTEST_CASE(test_refork_keeps_cow_pages_cow),
	KTEST_CASE(test_fork_with_unpopulated_pages),
	KTEST_CASE(test_unmap_in_parent_while_child_reads),
	KTEST_CASE(test_storm_returns_every_frame),
	KTEST_CASE(test_failures_change_nothing));
