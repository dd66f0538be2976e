/*
 * Host tests of copy-on-write fork (mm/fork.c, mm/anon_cow.c) over the
 * fake MMU and RAM: snapshots and isolation, frame accounting, the cases
 * other kernels got wrong, a storm, and allocation failures at every
 * point of fork and of the copy-on-write fault.  Every case ends with the
 * checker on each aspace and the frame count back at its start.
 */
#include <string.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/heap.h>
#include <mm/page.h>
#include "aspace_fixture.h"
#include "testlib.h"
#include "fake_mmu.h"
#include "../../mm/anon_internal.h"   /* white box: the depth of backup chains */

#define U 0x100000ul

static uintptr_t at(uint64_t page)
{
	return U + page * PG;
}

/* A write of @tag to page @page of @as through a write fault; returns how it was fixed. */
static enum fault_result wr(struct aspace *as, uint64_t page, uint64_t tag)
{
	enum fault_result r = fx_fault(as, at(page), FAULT_WRITE);

	if (r == FAULT_FIXED || r == FAULT_FIXED_COW)
		*fx_word(as, at(page)) = tag;
	else
		ktest_fail(__FILE__, __LINE__, "write fault at page %llu: %s",
		           (unsigned long long)page, fault_result_str(r));
	return r;
}

/* Page @page of @as read through a read fault and its leaf, checked against its object. */
static uint64_t rd(struct aspace *as, uint64_t page)
{
	uint64_t *w;

	if (fx_fault(as, at(page), FAULT_READ) != FAULT_FIXED || !(w = fx_word(as, at(page)))) {
		ktest_fail(__FILE__, __LINE__, "read fault at page %llu", (unsigned long long)page);
		return ~0ull;
	}
	if (*w != fx_read_obj(as, at(page)))
		ktest_fail(__FILE__, __LINE__, "page %llu: leaf and object differ",
		           (unsigned long long)page);
	return *w;
}

static void map_anon(struct aspace *as, uint64_t page, uint64_t pages, unsigned perms,
                     unsigned flags)
{
	uintptr_t a = at(page);

	ASSERT_OK(aspace_map_anon(as, &a, pages * PG, 0, perms, flags | MAP_FIXED));
}

static struct aspace *fork_of(struct aspace *p)
{
	struct aspace *c = NULL;

	ASSERT_OK(aspace_fork(p, &c));
	return c;
}

static void check(struct aspace *as)
{
	EXPECT_EQ(aspace_check(as), 0);
	EXPECT_EQ(pt_audit(as->pt), 0);
}

/* Backup levels below the object at page @page of @as. */
static unsigned depth(struct aspace *as, uint64_t page)
{
	unsigned long irq = spin_lock_irqsave(&as->lock);
	unsigned n = 0;

	for (struct anon_obj *b = to_anon(aspace_find_locked(as, at(page))->obj)->backup; b;
	     b = b->backup)
		n++;
	spin_unlock_irqrestore(&as->lock, irq);
	return n;
}

/* ---- snapshots ------------------------------------------------------------------- */

static void test_child_sees_snapshot_writes_stay_private(void)
{
	struct aspace *c;

	fx_setup(3);
	map_anon(fx_as, 0, 8, RW, 0);
	for (unsigned i = 0; i < 4; i++)
		wr(fx_as, i, 0x100 + i);
	c = fork_of(fx_as);
	check(fx_as);
	check(c);
	for (unsigned i = 0; i < 4; i++) {
		EXPECT_EQ_U(rd(c, i), 0x100 + i);
		EXPECT_EQ_U(rd(fx_as, i), 0x100 + i);
	}
	EXPECT_EQ(wr(c, 0, 0xc0), FAULT_FIXED_COW);
	EXPECT_EQ(wr(fx_as, 1, 0xa1), FAULT_FIXED_COW);
	EXPECT_EQ_U(rd(fx_as, 0), 0x100);
	EXPECT_EQ_U(rd(c, 0), 0xc0);
	EXPECT_EQ_U(rd(c, 1), 0x101);
	EXPECT_EQ_U(rd(fx_as, 1), 0xa1);
	check(fx_as);
	check(c);
	aspace_destroy(c);
	EXPECT_EQ_U(rd(fx_as, 0), 0x100);
	EXPECT_EQ(depth(fx_as, 0), 0);
	fx_teardown();
}

static void test_physical_vareas_are_shared(void)
{
	struct page *frame;
	struct aspace *c;
	uintptr_t a = U;

	fx_setup(3);
	frame = page_alloc(0, PAGE_ZERO);
	ASSERT_NOT_NULL(frame);
	ASSERT_OK(aspace_map_phys(fx_as, &a, page_to_pa(frame), PG, 0, RW, MAP_FIXED));
	*(uint64_t *)page_to_va(frame) = 0x77;
	c = fork_of(fx_as);
	EXPECT_EQ(fx_fault(c, U, FAULT_WRITE), FAULT_FIXED);
	*fx_word(c, U) = 0x88;
	EXPECT_EQ(fx_fault(fx_as, U, FAULT_READ), FAULT_FIXED);
	EXPECT_EQ_U(*fx_word(fx_as, U), 0x88);
	check(c);
	aspace_destroy(c);
	ASSERT_OK(aspace_unmap(fx_as, U, PG));
	page_free(frame, 0);
	fx_teardown();
}

/*
 * Parent P forks C, C forks G, P forks D: each writes its own page and
 * sees exactly its own writes over the snapshot it was forked from.
 */
static void test_isolation_matrix(void)
{
	enum { P, C, G, D, N };
	struct aspace *as[N];
	uint64_t want[N][8];

	fx_setup(3);
	as[P] = fx_as;
	map_anon(fx_as, 0, 8, RW, 0);
	for (unsigned i = 0; i < 6; i++)
		wr(fx_as, i, 0x10 + i);
	as[C] = fork_of(as[P]);
	wr(as[P], 0, 0xa0);          /* before C forks G: not in C's or G's snapshot */
	wr(as[C], 1, 0xc1);          /* in G's snapshot */
	as[G] = fork_of(as[C]);
	as[D] = fork_of(as[P]);
	wr(as[C], 2, 0xc2);
	wr(as[G], 3, 0x93);
	wr(as[D], 4, 0xd4);
	wr(as[P], 5, 0xa5);
	wr(as[G], 7, 0x97);          /* never populated before */
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
	for (unsigned a = 0; a < N; a++) {
		for (unsigned i = 0; i < 8; i++)
			EXPECT_EQ_U(rd(as[a], i), want[a][i]);
		check(as[a]);
	}
	aspace_destroy(as[C]);
	for (unsigned i = 0; i < 8; i++)
		EXPECT_EQ_U(rd(as[G], i), want[G][i]);
	aspace_destroy(as[G]);
	aspace_destroy(as[D]);
	for (unsigned i = 0; i < 8; i++)
		EXPECT_EQ_U(rd(as[P], i), want[P][i]);
	EXPECT_EQ(depth(as[P], 0), 0);
	fx_teardown();
}

/* ---- frames ---------------------------------------------------------------------- */

#define BIG 10000

static void test_fork_of_10000_pages_takes_no_data_frame(void)
{
	uint64_t data, tables;
	struct aspace *c;

	fx_setup_big(3);
	map_anon(fx_as, 0, BIG, RW, VAREA_POPULATE);
	for (unsigned i = 0; i < BIG; i++)
		*fx_word(fx_as, at(i)) = i;
	data = fx_data_frames();
	EXPECT_EQ_U(data, BIG);
	tables = fake_pt_alloc_live();
	c = fork_of(fx_as);
	EXPECT_EQ_U(fx_data_frames(), data);
	/* The child's table: only its root (leaves come on faults). */
	EXPECT_EQ_U(fake_pt_alloc_live() - tables, 1);
	check(fx_as);
	/* Reads share; each write copies exactly one page. */
	EXPECT_EQ_U(rd(c, 5), 5);
	EXPECT_EQ(wr(c, 5, 0xc5), FAULT_FIXED_COW);
	EXPECT_EQ_U(fx_data_frames(), data + 1);
	EXPECT_EQ(wr(c, 9000, 0xc9), FAULT_FIXED_COW);
	EXPECT_EQ_U(fx_data_frames(), data + 2);
	EXPECT_EQ(wr(fx_as, 6, 0xa6), FAULT_FIXED_COW);
	EXPECT_EQ_U(fx_data_frames(), data + 3);
	/* Page 5: the child has its own, so the parent is the last holder. */
	EXPECT_EQ(wr(fx_as, 5, 0xa5), FAULT_FIXED);
	EXPECT_EQ_U(fx_data_frames(), data + 3);
	EXPECT_EQ_U(rd(c, 5), 0xc5);
	EXPECT_EQ_U(rd(c, 6), 6);
	check(c);
	/* With the child gone its backup collapses: writes take no frame. */
	aspace_destroy(c);
	EXPECT_EQ_U(fx_data_frames(), BIG);   /* the parent's page 6 replaced the backup's */
	EXPECT_EQ(depth(fx_as, 0), 0);
	EXPECT_EQ(wr(fx_as, 7, 0xa7), FAULT_FIXED);
	EXPECT_EQ(wr(fx_as, 9000, 0xa9), FAULT_FIXED);
	EXPECT_EQ_U(fx_data_frames(), BIG);
	EXPECT_EQ_U(rd(fx_as, 9000), 0xa9);
	EXPECT_EQ_U(rd(fx_as, 9001), 9001);
	fx_teardown();
}

/* ---- cases other kernels got wrong ---------------------------------------------- */

static void test_protect_ro_before_and_rw_after_fork_stays_cow(void)
{
	struct aspace *c;

	fx_setup(3);
	map_anon(fx_as, 0, 4, RW, VAREA_POPULATE);
	*fx_word(fx_as, at(1)) = 0x11;
	ASSERT_OK(aspace_protect(fx_as, at(0), 4 * PG, RO));
	c = fork_of(fx_as);
	ASSERT_OK(aspace_protect(fx_as, at(0), 4 * PG, RW));
	ASSERT_OK(aspace_protect(c, at(0), 4 * PG, RW));
	check(fx_as);
	check(c);
	EXPECT_EQ(wr(fx_as, 1, 0xa1), FAULT_FIXED_COW);
	EXPECT_EQ_U(rd(c, 1), 0x11);
	EXPECT_EQ(wr(c, 1, 0xc1), FAULT_FIXED);      /* the parent has its own: c is the last */
	EXPECT_EQ_U(rd(fx_as, 1), 0xa1);
	EXPECT_EQ(wr(c, 2, 0xc2), FAULT_FIXED_COW);
	EXPECT_EQ_U(rd(fx_as, 2), 0);
	check(fx_as);
	check(c);
	aspace_destroy(c);
	fx_teardown();
}

static void test_refork_keeps_cow_pages_cow(void)
{
	struct aspace *c1, *c2, *g;

	fx_setup(3);
	map_anon(fx_as, 0, 4, RW, 0);
	wr(fx_as, 0, 0x50);
	c1 = fork_of(fx_as);
	c2 = fork_of(fx_as);           /* page 0 is copy-on-write already */
	g = fork_of(c1);
	EXPECT_EQ(wr(fx_as, 0, 0xa0), FAULT_FIXED_COW);
	EXPECT_EQ(wr(c1, 0, 0xc0), FAULT_FIXED_COW);
	EXPECT_EQ_U(rd(c2, 0), 0x50);
	EXPECT_EQ_U(rd(g, 0), 0x50);
	EXPECT_EQ(wr(c2, 0, 0xd0), FAULT_FIXED_COW);
	EXPECT_EQ_U(rd(g, 0), 0x50);
	EXPECT_EQ_U(rd(fx_as, 0), 0xa0);
	EXPECT_EQ_U(rd(c1, 0), 0xc0);
	check(fx_as);
	check(c1);
	check(c2);
	check(g);
	aspace_destroy(c2);
	aspace_destroy(c1);
	EXPECT_EQ(wr(g, 0, 0x90), FAULT_FIXED);      /* g alone sees it now */
	EXPECT_EQ(depth(g, 0), 1);
	aspace_destroy(g);
	EXPECT_EQ(depth(fx_as, 0), 0);
	fx_teardown();
}

static void test_fork_with_unpopulated_pages(void)
{
	struct aspace *c;
	uint64_t data;

	fx_setup(3);
	map_anon(fx_as, 0, 8, RW, 0);
	wr(fx_as, 2, 0x22);
	c = fork_of(fx_as);
	data = fx_data_frames();
	EXPECT_EQ_U(rd(c, 3), 0);
	EXPECT_EQ_U(rd(fx_as, 4), 0);
	EXPECT_EQ(wr(c, 5, 0xc5), FAULT_FIXED);   /* a fresh page, nothing to copy */
	EXPECT_EQ(wr(fx_as, 6, 0xa6), FAULT_FIXED);
	EXPECT_EQ_U(rd(fx_as, 5), 0);
	EXPECT_EQ_U(rd(c, 6), 0);
	EXPECT_EQ_U(rd(c, 2), 0x22);
	EXPECT_GE(fx_data_frames(), data + 2);
	check(fx_as);
	check(c);
	aspace_destroy(c);
	fx_teardown();
}

/* The zero page is shared by everyone, read-only, before and after a fork. */
static void test_zero_page_across_fork(void)
{
	struct aspace *c;
	struct aspace_query q;

	fx_setup(3);
	map_anon(fx_as, 0, 4, RW, 0);
	wr(fx_as, 0, 0x10);
	EXPECT_EQ_U(rd(fx_as, 1), 0);
	EXPECT_EQ(fx_data_frames(), 1);
	c = fork_of(fx_as);
	EXPECT_EQ_U(rd(c, 1), 0);
	EXPECT_EQ_U(rd(c, 2), 0);
	ASSERT_OK(aspace_query(c, at(1), &q));
	EXPECT_EQ_U(q.pa, anon_zero_pa());
	EXPECT_EQ(q.mmu_flags, RO | MMU_USER);
	EXPECT_EQ(fx_data_frames(), 1);                /* reads took no frame */
	EXPECT_EQ(wr(fx_as, 1, 0xa1), FAULT_FIXED);    /* nothing to copy: a fresh page */
	EXPECT_EQ(wr(c, 2, 0xc2), FAULT_FIXED);
	EXPECT_EQ(fx_data_frames(), 3);
	EXPECT_EQ_U(rd(c, 1), 0);
	EXPECT_EQ_U(rd(fx_as, 2), 0);
	EXPECT_EQ_U(rd(c, 0), 0x10);
	check(fx_as);
	check(c);
	aspace_destroy(c);
	ASSERT_OK(aspace_unmap(fx_as, at(0), 4 * PG));
	EXPECT_EQ(fx_data_frames(), 0);
	fx_teardown();
}

static void test_unmap_in_parent_while_child_reads(void)
{
	struct aspace *c;
	struct fx_varea v[4];

	fx_setup(3);
	map_anon(fx_as, 0, 8, RW, VAREA_POPULATE);
	for (unsigned i = 0; i < 8; i++)
		*fx_word(fx_as, at(i)) = 0x30 + i;
	c = fork_of(fx_as);
	ASSERT_OK(aspace_unmap(fx_as, at(2), 4 * PG));
	ASSERT_OK(aspace_protect(fx_as, at(0), 2 * PG, RO));
	for (unsigned i = 0; i < 8; i++)
		EXPECT_EQ_U(rd(c, i), 0x30 + i);
	/* Only the caller changed. */
	EXPECT_EQ(fx_vareas(c, v, 4), 1);
	EXPECT_EQ(v[0].perms, RW);
	EXPECT_EQ(fx_vareas(fx_as, v, 4), 2);
	check(fx_as);
	check(c);
	aspace_destroy(fx_as);
	fx_as = c;
	for (unsigned i = 0; i < 8; i++)
		EXPECT_EQ(wr(c, i, 0xc0 + i), FAULT_FIXED);
	fx_teardown();
}

/*
 * Unmapping a whole varea frees its object's pages in one pass: the
 * pages a COW fault gave the parent go, the frames the child still
 * shares stay (their values with them), and an unmap in the middle of a
 * varea whose only pages lie inside it leaves the pieces around working.
 */
static void test_whole_unmap_frees_own_pages_and_keeps_shared_ones(void)
{
	struct aspace *c;
	uint64_t data;

	fx_setup(3);
	map_anon(fx_as, 0, 64, RW, VAREA_POPULATE);
	for (unsigned i = 0; i < 64; i++)
		*fx_word(fx_as, at(i)) = 0x500 + i;
	c = fork_of(fx_as);
	for (unsigned i = 0; i < 64; i += 2)
		EXPECT_EQ(wr(fx_as, i, 0xa00 + i), FAULT_FIXED_COW);
	data = fx_data_frames();
	ASSERT_OK(aspace_unmap(fx_as, at(0), 64 * PG));
	EXPECT_EQ(fx_data_frames(), data - 32);   /* the parent's copies, not the shared 64 */
	check(fx_as);
	check(c);
	for (unsigned i = 0; i < 64; i++)
		EXPECT_EQ_U(rd(c, i), 0x500 + i);
	aspace_destroy(c);

	map_anon(fx_as, 0, 16, RW, 0);
	for (unsigned i = 4; i < 8; i++)
		wr(fx_as, i, 0x700 + i);
	data = fx_data_frames();
	ASSERT_OK(aspace_unmap(fx_as, at(2), 8 * PG));
	EXPECT_EQ(fx_data_frames(), data - 4);
	check(fx_as);
	EXPECT_EQ_U(rd(fx_as, 1), 0);
	EXPECT_EQ(wr(fx_as, 10, 0x70a), FAULT_FIXED);
	EXPECT_EQ_U(rd(fx_as, 10), 0x70a);
	EXPECT_EQ(fx_fault(fx_as, at(5), FAULT_READ), FAULT_NO_VAREA);
	check(fx_as);
	fx_teardown();
}

/* Repeated forks of one parent whose children die keep the chain one level deep. */
static void test_chains_collapse(void)
{
	struct aspace *c[4];

	fx_setup(3);
	map_anon(fx_as, 0, 4, RW, 0);
	wr(fx_as, 0, 1);
	for (unsigned i = 0; i < 4; i++) {
		c[i] = fork_of(fx_as);
		wr(fx_as, 1, 2 + i);
	}
	EXPECT_EQ(depth(fx_as, 0), 4);
	aspace_destroy(c[1]);
	aspace_destroy(c[3]);
	EXPECT_EQ(depth(fx_as, 0), 2);
	EXPECT_EQ(depth(c[0], 0), 1);
	EXPECT_EQ_U(rd(c[0], 1), 0);
	EXPECT_EQ_U(rd(c[2], 1), 3);
	aspace_destroy(c[0]);
	aspace_destroy(c[2]);
	EXPECT_EQ(depth(fx_as, 0), 0);
	EXPECT_EQ_U(rd(fx_as, 0), 1);
	EXPECT_EQ_U(rd(fx_as, 1), 5);
	fx_teardown();
}

/* The backup below the object at page @page of @as, and the deepest level. */
static struct anon_obj *first_level(struct aspace *as, uint64_t page, struct anon_obj **deepest)
{
	unsigned long irq = spin_lock_irqsave(&as->lock);
	struct anon_obj *b = to_anon(aspace_find_locked(as, at(page))->obj)->backup;

	for (*deepest = b; *deepest && (*deepest)->backup; *deepest = (*deepest)->backup)
		;
	spin_unlock_irqrestore(&as->lock, irq);
	return b;
}

/*
 * A chain of forks whose middle processes write nothing: the bottom's
 * lookups jump over the empty levels to the one with the pages, and stay
 * right when that level goes (its last other user exits and it collapses
 * into the level above, which was empty).
 */
static void test_empty_levels_are_skipped_and_stay_right(void)
{
	struct aspace *c[3];
	struct anon_obj *first, *deepest;

	fx_setup(3);
	map_anon(fx_as, 0, 4, RW, 0);
	wr(fx_as, 0, 0x10);
	wr(fx_as, 1, 0x11);
	c[0] = fork_of(fx_as);
	c[1] = fork_of(c[0]);
	c[2] = fork_of(c[1]);
	EXPECT_EQ(depth(c[2], 0), 3);
	EXPECT_EQ_U(rd(c[2], 0), 0x10);
	first = first_level(c[2], 0, &deepest);
	EXPECT_EQ(first->npages, 0);
	EXPECT_TRUE(first->skip == deepest);          /* the empty level in between is skipped */
	EXPECT_EQ(deepest->npages, 2);
	/* The top exits: the level with the pages collapses into the empty
	 * one above it, which the bottom's skip link jumped over. */
	aspace_destroy(fx_as);
	fx_as = c[0];
	EXPECT_EQ(depth(c[2], 0), 2);
	EXPECT_EQ_U(rd(c[2], 1), 0x11);
	EXPECT_EQ_U(rd(c[1], 0), 0x10);
	EXPECT_EQ(wr(c[2], 1, 0x21), FAULT_FIXED_COW);
	EXPECT_EQ_U(rd(c[0], 1), 0x11);
	first = first_level(c[2], 0, &deepest);
	EXPECT_TRUE(first->skip == deepest);
	check(c[0]);
	check(c[1]);
	check(c[2]);
	aspace_destroy(c[2]);
	aspace_destroy(c[1]);
	EXPECT_EQ_U(rd(c[0], 0), 0x10);
	EXPECT_EQ(depth(c[0], 0), 0);
	fx_teardown();
}

/* ---- storm ----------------------------------------------------------------------- */

static uint64_t heap_pages(void)
{
	struct heap_stats st;

	heap_shrink();
	heap_stats(&st);
	return st.slab_pages + st.large_pages;
}

static void test_storm_returns_every_frame(void)
{
	uint64_t seed = 0x5eed, data, heap;
	struct aspace *keep = NULL;

	fx_setup(3);
	map_anon(fx_as, 0, 64, RW, 0);
	for (unsigned i = 0; i < 32; i++)
		wr(fx_as, i, i);
	data = fx_data_frames();
	heap = heap_pages();
	for (unsigned round = 0; round < 1000; round++) {
		struct aspace *c = fork_of(round % 7 == 3 && keep ? keep : fx_as);

		for (unsigned k = 0; k < 4; k++) {
			wr(c, tl_rand(&seed) % 64, round);
			wr(fx_as, tl_rand(&seed) % 32, tl_rand(&seed) % 32);
		}
		if (round % 5 == 0) {
			struct aspace *old = keep;

			keep = c;             /* lives on, forked from later */
			if (old)
				aspace_destroy(old);
		} else {
			if (round % 50 == 0)
				check(c);
			aspace_destroy(c);
		}
	}
	aspace_destroy(keep);
	check(fx_as);
	for (unsigned i = 0; i < 32; i++)
		EXPECT_LT(rd(fx_as, i), 32);
	EXPECT_EQ(depth(fx_as, 0), 0);
	EXPECT_EQ_U(fx_data_frames(), data);
	EXPECT_EQ_U(heap_pages(), heap);
	fx_teardown();
}

/* ---- allocation failures --------------------------------------------------------- */

#define SNAP_PAGES 24

struct snap {
	struct fx_varea v[8];
	unsigned n;
	uint64_t word[SNAP_PAGES];
	unsigned mapped[SNAP_PAGES], refs[SNAP_PAGES];
	paddr_t pa[SNAP_PAGES];
};

static void take(struct aspace *as, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	s->n = fx_vareas(as, s->v, 8);
	for (unsigned i = 0; i < SNAP_PAGES; i++) {
		unsigned flags;

		s->word[i] = fx_has_varea(as, at(i)) ? fx_read_obj(as, at(i)) : ~0ull;
		if (pt_query(as->pt, at(i), &s->pa[i], &flags, NULL) == E_OK) {
			s->mapped[i] = flags | 0x10000;
			s->refs[i] = page_refcount(pa_to_page(s->pa[i]));
		}
	}
}

static int same(const struct snap *a, const struct snap *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* A parent with several objects, populated, part of it forked already. */
static struct aspace *failure_setup(void)
{
	struct aspace *old;

	fx_setup(3);
	map_anon(fx_as, 0, 8, RW, VAREA_POPULATE);
	map_anon(fx_as, 9, 6, RO, VAREA_POPULATE);
	map_anon(fx_as, 16, 8, RW, 0);
	for (unsigned i = 0; i < 8; i++)
		*fx_word(fx_as, at(i)) = 0x40 + i;
	old = fork_of(fx_as);
	wr(fx_as, 17, 0x17);
	wr(old, 18, 0x18);
	return old;
}

static void test_fork_fails_cleanly_at_every_allocation(void)
{
	struct aspace *old = failure_setup(), *c = NULL;
	struct snap before, after, obefore, oafter;
	uint64_t data = fx_data_frames(), heap = heap_pages();
	unsigned k, tables = (unsigned)fake_pt_alloc_live();
	int rc = E_NOMEM;

	take(fx_as, &before);
	take(old, &obefore);
	for (k = 0; k < 300 && rc; k++) {
		fx_hog_all_but(k);
		rc = aspace_fork(fx_as, &c);
		fx_hog_release();
		if (rc) {
			EXPECT_EQ(rc, E_NOMEM);
			take(fx_as, &after);
			take(old, &oafter);
			EXPECT_TRUE(same(&before, &after));
			EXPECT_TRUE(same(&obefore, &oafter));
			EXPECT_EQ_U(fx_data_frames(), data);
			EXPECT_EQ_U(heap_pages(), heap);
			EXPECT_EQ_U(fake_pt_alloc_live(), tables);
			check(fx_as);
		}
	}
	EXPECT_OK(rc);
	EXPECT_GT(k, 1);
	/* The child's table root, from the table allocator. */
	aspace_destroy(c);     /* its backups collapse; the parent's leaves stay read-only */
	take(fx_as, &before);
	fake_pt_alloc_fail_at(1);
	EXPECT_EQ(aspace_fork(fx_as, &c), E_NOMEM);
	EXPECT_TRUE(fake_pt_alloc_failed());
	fake_pt_alloc_fail_at(0);
	take(fx_as, &after);
	EXPECT_TRUE(same(&before, &after));
	EXPECT_EQ_U(heap_pages(), heap);
	aspace_destroy(old);
	fx_teardown();
}

/* A copy-on-write fault: its page node, its frame, a table page each fail. */
static void test_cow_fault_fails_cleanly(void)
{
	struct aspace *c = failure_setup();
	struct snap pb, pa, cb, ca;
	uint64_t data = fx_data_frames(), heap = heap_pages();
	enum fault_result r = FAULT_OOM;
	unsigned k;

	EXPECT_EQ_U(rd(c, 3), 0x43);      /* mapped read-only in both */
	take(fx_as, &pb);
	take(c, &cb);
	for (k = 0; k < 50 && r == FAULT_OOM; k++) {
		fx_hog_all_but(k);
		r = fx_fault(c, at(3), FAULT_WRITE);
		fx_hog_release();
		if (r == FAULT_OOM) {
			take(fx_as, &pa);
			take(c, &ca);
			EXPECT_TRUE(same(&pb, &pa));
			EXPECT_TRUE(same(&cb, &ca));
			EXPECT_EQ_U(fx_data_frames(), data);
			EXPECT_EQ_U(heap_pages(), heap);
		}
	}
	EXPECT_EQ(r, FAULT_FIXED_COW);
	EXPECT_GT(k, 1);
	check(c);
	/*
	 * The only leaf of its table: the copy replaces it in place
	 * (pt_replace()), so no table is freed or allocated: with every
	 * table allocation failing the fault still succeeds, and the shared
	 * frame loses exactly the child's leaf reference.
	 */
	{
		uintptr_t far = U + (8ul << 20);
		paddr_t pa0, pa1;
		unsigned refs;
		uint64_t attempts, tables;

		ASSERT_OK(aspace_map_anon(fx_as, &far, PG, 0, RW, MAP_FIXED));
		ASSERT_EQ(fx_fault(fx_as, far, FAULT_WRITE), FAULT_FIXED);
		*fx_word(fx_as, far) = 0xfa;
		aspace_destroy(c);
		c = fork_of(fx_as);
		ASSERT_EQ(fx_fault(c, far, FAULT_READ), FAULT_FIXED);
		ASSERT_OK(pt_query(c->pt, far, &pa0, NULL, NULL));
		refs = page_refcount(pa_to_page(pa0));
		data = fx_data_frames();
		attempts = fake_pt_alloc_attempts();
		tables = c->pt->table_pages;
		fake_pt_alloc_fail_at(1);
		EXPECT_EQ(fx_fault(c, far, FAULT_WRITE), FAULT_FIXED_COW);
		EXPECT_FALSE(fake_pt_alloc_failed());
		fake_pt_alloc_fail_at(0);
		EXPECT_EQ_U(fake_pt_alloc_attempts(), attempts);
		EXPECT_EQ_U(c->pt->table_pages, tables);
		ASSERT_OK(pt_query(c->pt, far, &pa1, NULL, NULL));
		EXPECT_TRUE(pa1 != pa0);
		EXPECT_EQ(page_refcount(pa_to_page(pa0)), refs - 1);
		EXPECT_EQ_U(fx_data_frames(), data + 1);
		check(c);
		*fx_word(c, far) = 0xcc;
		EXPECT_EQ_U(*fx_word(fx_as, far), 0xfa);
	}
	check(c);
	aspace_destroy(c);
	fx_teardown();
}

KTEST_SUITE(fork_host,
	KTEST_CASE(test_child_sees_snapshot_writes_stay_private),
	KTEST_CASE(test_physical_vareas_are_shared),
	KTEST_CASE(test_isolation_matrix),
	KTEST_CASE(test_fork_of_10000_pages_takes_no_data_frame),
	KTEST_CASE(test_protect_ro_before_and_rw_after_fork_stays_cow),
	KTEST_CASE(test_refork_keeps_cow_pages_cow),
	KTEST_CASE(test_fork_with_unpopulated_pages),
	KTEST_CASE(test_zero_page_across_fork),
	KTEST_CASE(test_unmap_in_parent_while_child_reads),
	KTEST_CASE(test_whole_unmap_frees_own_pages_and_keeps_shared_ones),
	KTEST_CASE(test_chains_collapse),
	KTEST_CASE(test_empty_levels_are_skipped_and_stay_right),
	KTEST_CASE(test_storm_returns_every_frame),
	KTEST_CASE(test_fork_fails_cleanly_at_every_allocation),
	KTEST_CASE(test_cow_fault_fails_cleanly));
