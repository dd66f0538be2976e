/*
 * Host tests of aspace_remap() (mremap) and aspace_discard()
 * (madvise(MADV_DONTNEED)), mm/aspace_remap.c, over the fake MMU and
 * RAM: one behaviour per case, each ending with the aspace checker, the
 * table audit and the frame count (fx_teardown()).  The model test
 * (aspace_model_host.c) mixes both with everything else; the allocation
 * failure sweeps are in fail_sweep_host.c.
 */
#include <string.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/layout.h>
#include <mm/page.h>
#include "aspace_fixture.h"
#include "testlib.h"
#include "fake_mmu.h"
#include "fake_ram.h"

#define U 0x100000ul        /* where the cases map */
#define FAR 0x800000ul      /* a free destination far above */
#define MAXV 16

static struct fx_varea v[MAXV];

static uintptr_t at(uint64_t page)
{
	return U + page * PG;
}

static void map_anon(struct aspace *as, uintptr_t a, uint64_t pages, unsigned perms)
{
	ASSERT_OK(aspace_map_anon(as, &a, pages * PG, 0, perms, MAP_FIXED));
}

/* Write @tag to the first word of the page at @a through a write fault. */
static void put(struct aspace *as, uintptr_t a, uint64_t tag)
{
	enum fault_result r = fx_fault(as, a, FAULT_WRITE);

	ASSERT_TRUE(r == FAULT_FIXED || r == FAULT_FIXED_COW);
	*fx_word(as, a) = tag;
}

/* The first word of the page at @a through a read fault and its leaf (checked against the object). */
static uint64_t rd(struct aspace *as, uintptr_t a)
{
	uint64_t *w;

	if (fx_fault(as, a, FAULT_READ) != FAULT_FIXED || !(w = fx_word(as, a))) {
		ktest_fail(__FILE__, __LINE__, "read fault at %#lx", (unsigned long)a);
		return ~0ull;
	}
	if (*w != fx_read_obj(as, a))
		ktest_fail(__FILE__, __LINE__, "%#lx: leaf and object differ", (unsigned long)a);
	return *w;
}

/* The frame mapped at @a (faulted in for reading first). */
static paddr_t frame_at(struct aspace *as, uintptr_t a)
{
	struct aspace_query q;

	if (fx_fault(as, a, FAULT_READ) != FAULT_FIXED || aspace_query(as, a, &q) || !q.mapped) {
		ktest_fail(__FILE__, __LINE__, "nothing mapped at %#lx", (unsigned long)a);
		return 0;
	}
	return q.pa;
}

static void check(struct aspace *as)
{
	EXPECT_EQ(aspace_check(as), 0);
	EXPECT_EQ(pt_audit(as->pt), 0);
}

static void expect_varea(unsigned i, uintptr_t start, uint64_t pages, unsigned perms)
{
	EXPECT_EQ_U(v[i].start, start);
	EXPECT_EQ_U(v[i].size, pages * PG);
	EXPECT_EQ(v[i].perms, perms);
}

/* @pages written pages at @a, page i holding @base + i. */
static void fill(uintptr_t a, uint64_t pages, unsigned perms, uint64_t base)
{
	map_anon(fx_as, a, pages, RW);
	for (uint64_t i = 0; i < pages; i++)
		put(fx_as, a + i * PG, base + i);
	if (perms != RW)
		ASSERT_OK(aspace_protect(fx_as, a, pages * PG, perms));
}

static void expect_contents(struct aspace *as, uintptr_t a, uint64_t pages, uint64_t base)
{
	for (uint64_t i = 0; i < pages; i++)
		EXPECT_EQ_U(fx_read_obj(as, a + i * PG), base + i);
}

/* ---- resizing in place ----------------------------------------------------------------- */

static void test_shrink_unmaps_tail_and_frees_frames(void)
{
	uintptr_t n = 0;

	fx_setup(3);
	fill(at(0), 4, RW, 0x10);
	EXPECT_EQ(fx_data_frames(), 4);
	ASSERT_OK(aspace_remap(fx_as, at(0), 4 * PG, 2 * PG, 0, &n));
	EXPECT_EQ_U(n, at(0));
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), 1);
	expect_varea(0, at(0), 2, RW);
	EXPECT_FALSE(fx_has_varea(fx_as, at(2)));
	EXPECT_EQ(fx_data_frames(), 2);
	EXPECT_EQ_U(rd(fx_as, at(1)), 0x11);
	check(fx_as);
	fx_teardown();
}

static void test_grow_in_place_keeps_contents_new_part_zero_one_varea(void)
{
	uintptr_t n = 0;

	fx_setup(3);
	fill(at(0), 2, RW, 0x20);
	ASSERT_OK(aspace_remap(fx_as, at(0), 2 * PG, 5 * PG, 0, &n));
	EXPECT_EQ_U(n, at(0));
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), 1);
	expect_varea(0, at(0), 5, RW);
	expect_contents(fx_as, at(0), 2, 0x20);
	for (unsigned i = 2; i < 5; i++)
		EXPECT_EQ_U(rd(fx_as, at(i)), 0);
	put(fx_as, at(4), 0x99);
	EXPECT_EQ_U(rd(fx_as, at(4)), 0x99);
	EXPECT_EQ(fx_data_frames(), 3);           /* the reads mapped the zero page */
	check(fx_as);
	fx_teardown();
}

static void test_grow_blocked_without_maymove_is_enomem_and_changes_nothing(void)
{
	struct fx_varea before[MAXV];
	uintptr_t n = 0x5000;
	unsigned nv;

	fx_setup(3);
	fill(at(0), 2, RW, 0x30);
	map_anon(fx_as, at(3), 1, RO);
	nv = fx_vareas(fx_as, before, MAXV);
	EXPECT_EQ(aspace_remap(fx_as, at(0), 2 * PG, 4 * PG, 0, &n), E_NOMEM);
	EXPECT_EQ_U(n, 0x5000);
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), nv);
	EXPECT_EQ(memcmp(v, before, nv * sizeof(v[0])), 0);
	expect_contents(fx_as, at(0), 2, 0x30);
	EXPECT_EQ(fx_data_frames(), 2);
	check(fx_as);
	fx_teardown();
}

/* ---- moving --------------------------------------------------------------------------------- */

static void test_maymove_moves_the_frames_without_copying(void)
{
	paddr_t pa[3];
	uintptr_t n = 0;

	fx_setup(3);
	fill(at(0), 3, RW, 0x40);
	map_anon(fx_as, at(3), 1, RO);   /* blocks growth in place */
	for (unsigned i = 0; i < 3; i++)
		pa[i] = frame_at(fx_as, at(i));
	EXPECT_EQ(fx_data_frames(), 3);
	ASSERT_OK(aspace_remap(fx_as, at(0), 3 * PG, 5 * PG, REMAP_MAYMOVE, &n));
	EXPECT_EQ_U(n, PG);                       /* the lowest free range */
	EXPECT_FALSE(fx_has_varea(fx_as, at(0)));
	EXPECT_FALSE(fx_has_varea(fx_as, at(2)));
	EXPECT_EQ(fx_data_frames(), 3);           /* no page copied */
	for (unsigned i = 0; i < 3; i++) {
		EXPECT_EQ_U(frame_at(fx_as, n + i * PG), pa[i]);
		EXPECT_EQ_U(rd(fx_as, n + i * PG), 0x40 + i);
	}
	EXPECT_EQ_U(rd(fx_as, n + 3 * PG), 0);
	EXPECT_EQ_U(rd(fx_as, n + 4 * PG), 0);
	EXPECT_EQ(fx_data_frames(), 3);           /* the reads mapped the zero page */
	check(fx_as);
	fx_teardown();
}

static void test_moving_the_middle_splits_the_varea(void)
{
	uintptr_t n = 0;

	fx_setup(3);
	fill(at(0), 6, RW, 0x50);
	ASSERT_OK(aspace_remap(fx_as, at(2), 2 * PG, 3 * PG, REMAP_MAYMOVE, &n));
	EXPECT_EQ_U(n, PG);
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 4);   /* the moved part and its tail: two objects */
	expect_varea(0, PG, 2, RW);
	expect_varea(1, PG + 2 * PG, 1, RW);
	expect_varea(2, at(0), 2, RW);
	expect_varea(3, at(4), 2, RW);
	expect_contents(fx_as, at(0), 2, 0x50);
	expect_contents(fx_as, at(4), 2, 0x54);
	expect_contents(fx_as, n, 2, 0x52);
	EXPECT_EQ_U(rd(fx_as, n + 2 * PG), 0);
	EXPECT_EQ(fx_data_frames(), 6);           /* the read mapped the zero page */
	check(fx_as);
	fx_teardown();
}

static void test_fixed_moves_to_a_free_range(void)
{
	uintptr_t n = FAR;

	fx_setup(3);
	fill(at(0), 4, RO, 0x60);
	ASSERT_OK(aspace_remap(fx_as, at(1), 2 * PG, 2 * PG, REMAP_MAYMOVE | REMAP_FIXED, &n));
	EXPECT_EQ_U(n, FAR);
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 3);
	expect_varea(0, at(0), 1, RO);
	expect_varea(1, at(3), 1, RO);
	expect_varea(2, FAR, 2, RO);
	expect_contents(fx_as, FAR, 2, 0x61);
	EXPECT_EQ(fx_data_frames(), 4);
	check(fx_as);
	fx_teardown();
}

static void test_fixed_unmaps_the_occupant(void)
{
	uintptr_t n = FAR;

	fx_setup(3);
	fill(at(0), 2, RW, 0x70);
	fill(FAR - PG, 4, RX, 0x80);    /* [FAR - PG, FAR + 3 PG) */
	EXPECT_EQ(fx_data_frames(), 6);
	ASSERT_OK(aspace_remap(fx_as, at(0), 2 * PG, 3 * PG, REMAP_MAYMOVE | REMAP_FIXED, &n));
	EXPECT_EQ_U(n, FAR);
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 3);
	expect_varea(0, FAR - PG, 1, RX);
	expect_varea(1, FAR, 2, RW);
	expect_varea(2, FAR + 2 * PG, 1, RW);
	EXPECT_EQ(fx_data_frames(), 3);           /* the occupant's three frames went */
	expect_contents(fx_as, FAR, 2, 0x70);
	EXPECT_EQ_U(rd(fx_as, FAR + 2 * PG), 0);
	EXPECT_EQ_U(rd(fx_as, FAR - PG), 0x80);
	check(fx_as);
	fx_teardown();
}

/*
 * A fixed move that also shrinks takes only new_size bytes to the
 * destination: what lies beyond new_size there stays mapped.
 */
static void test_fixed_shrinking_move_leaves_what_is_past_the_new_size(void)
{
	uintptr_t n = FAR;

	fx_setup(3);
	fill(at(0), 4, RW, 0x90);
	fill(FAR + PG, 2, RO, 0xa0);
	ASSERT_OK(aspace_remap(fx_as, at(0), 4 * PG, PG, REMAP_MAYMOVE | REMAP_FIXED, &n));
	EXPECT_EQ_U(n, FAR);
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 2);
	expect_varea(0, FAR, 1, RW);
	expect_varea(1, FAR + PG, 2, RO);
	expect_contents(fx_as, FAR, 1, 0x90);
	expect_contents(fx_as, FAR + PG, 2, 0xa0);
	EXPECT_EQ(fx_data_frames(), 3);
	check(fx_as);
	fx_teardown();
}

static void test_fixed_overlapping_the_source_is_einval(void)
{
	uintptr_t n;

	fx_setup(3);
	fill(at(0), 4, RW, 0xb0);
	n = at(2);
	EXPECT_EQ(aspace_remap(fx_as, at(0), 4 * PG, 4 * PG, REMAP_MAYMOVE | REMAP_FIXED, &n),
	          E_INVAL);
	n = at(0) - 2 * PG;   /* the new range's end reaches into the old one */
	EXPECT_EQ(aspace_remap(fx_as, at(0), 4 * PG, 3 * PG, REMAP_MAYMOVE | REMAP_FIXED, &n),
	          E_INVAL);
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), 1);
	expect_varea(0, at(0), 4, RW);
	expect_contents(fx_as, at(0), 4, 0xb0);
	check(fx_as);
	fx_teardown();
}

static void test_range_across_vareas_or_unmapped_is_enoent(void)
{
	uintptr_t n = FAR;

	fx_setup(3);
	fill(at(0), 2, RW, 0xc0);
	fill(at(2), 2, RO, 0xc2);
	EXPECT_EQ(aspace_remap(fx_as, at(1), 2 * PG, 2 * PG, REMAP_MAYMOVE, &n), E_NOENT);
	EXPECT_EQ(aspace_remap(fx_as, at(5), PG, 2 * PG, REMAP_MAYMOVE, &n), E_NOENT);
	EXPECT_EQ(aspace_remap(fx_as, at(3), 2 * PG, PG, 0, &n), E_NOENT);
	EXPECT_EQ(aspace_remap(fx_as, at(2), 3 * PG, 4 * PG, REMAP_MAYMOVE | REMAP_FIXED, &n),
	          E_NOENT);
	EXPECT_EQ_U(n, FAR);
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), 2);
	expect_contents(fx_as, at(0), 4, 0xc0);
	check(fx_as);
	fx_teardown();
}

static void test_bad_arguments_change_nothing(void)
{
	const unsigned MF = REMAP_MAYMOVE | REMAP_FIXED;
	struct fx_varea before[MAXV];
	uintptr_t n = FAR, k = KERNEL_VAREA_BASE;
	unsigned nv;

	fx_setup(3);
	fill(at(0), 4, RW, 0xd0);
	map_anon(fx_as, FAR, 1, RO);
	nv = fx_vareas(fx_as, before, MAXV);
	EXPECT_EQ(aspace_remap(fx_as, at(0) + 8, PG, 2 * PG, REMAP_MAYMOVE, &n), E_ALIGN);
	EXPECT_EQ(aspace_remap(fx_as, at(0), PG + 8, 2 * PG, REMAP_MAYMOVE, &n), E_ALIGN);
	EXPECT_EQ(aspace_remap(fx_as, at(0), PG, PG / 2, REMAP_MAYMOVE, &n), E_ALIGN);
	n = FAR + 8;
	EXPECT_EQ(aspace_remap(fx_as, at(0), PG, PG, MF, &n), E_ALIGN);
	n = FAR;
	EXPECT_EQ(aspace_remap(fx_as, at(0), 0, PG, REMAP_MAYMOVE, &n), E_INVAL);
	EXPECT_EQ(aspace_remap(fx_as, at(0), PG, 0, REMAP_MAYMOVE, &n), E_INVAL);
	EXPECT_EQ(aspace_remap(fx_as, at(0), PG, 2 * PG, 1u << 5, &n), E_INVAL);
	EXPECT_EQ(aspace_remap(fx_as, at(0), PG, PG, REMAP_FIXED, &n), E_INVAL);
	EXPECT_EQ(aspace_remap(&kernel_aspace, KERNEL_VAREA_BASE, PG, 2 * PG, REMAP_MAYMOVE, &k),
	          E_INVAL);
	EXPECT_EQ_U(k, KERNEL_VAREA_BASE);
	/* Past the user half, wrapping, below the base. */
	EXPECT_EQ(aspace_remap(fx_as, fx_as->end, PG, PG, 0, &n), E_RANGE);
	n = fx_as->end - PG;
	EXPECT_NE(aspace_remap(fx_as, at(0), PG, 2 * PG, MF, &n), E_OK);
	n = 0;
	EXPECT_NE(aspace_remap(fx_as, at(0), PG, PG, MF, &n), E_OK);
	EXPECT_NE(aspace_remap(fx_as, at(0), ~(uintptr_t)0 - PG + 1, PG, 0, &n), E_OK);
	EXPECT_NE(aspace_remap(fx_as, at(0), -(uint64_t)(2 * PG), PG, 0, &n), E_OK);
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), nv);
	EXPECT_EQ(memcmp(v, before, nv * sizeof(v[0])), 0);
	expect_contents(fx_as, at(0), 4, 0xd0);
	EXPECT_EQ(fx_data_frames(), 4);
	check(fx_as);
	fx_teardown();
}

/* ---- after fork; permissions ---------------------------------------------------------------- */

static void test_move_after_fork_keeps_parent_and_child_apart(void)
{
	struct aspace *child = NULL;
	uintptr_t n = 0, m = FAR;

	fx_setup(3);
	fill(at(0), 3, RW, 0xe0);
	map_anon(fx_as, at(3), 1, RO);
	ASSERT_OK(aspace_fork(fx_as, &child));
	/* The parent's range moves (it cannot grow in place). */
	ASSERT_OK(aspace_remap(fx_as, at(0), 3 * PG, 4 * PG, REMAP_MAYMOVE, &n));
	EXPECT_EQ_U(n, PG);
	expect_contents(fx_as, n, 3, 0xe0);
	expect_contents(child, at(0), 3, 0xe0);
	put(fx_as, n + PG, 0x1111);
	put(child, at(2), 0x2222);
	EXPECT_EQ_U(rd(fx_as, n + PG), 0x1111);
	EXPECT_EQ_U(rd(fx_as, n + 2 * PG), 0xe2);
	EXPECT_EQ_U(rd(child, at(1)), 0xe1);
	EXPECT_EQ_U(rd(child, at(2)), 0x2222);
	/* The child's moves too, with FIXED. */
	ASSERT_OK(aspace_remap(child, at(0), 3 * PG, 3 * PG, REMAP_MAYMOVE | REMAP_FIXED, &m));
	EXPECT_EQ_U(rd(child, FAR), 0xe0);
	EXPECT_EQ_U(rd(child, FAR + PG), 0xe1);
	EXPECT_EQ_U(rd(child, FAR + 2 * PG), 0x2222);
	put(child, FAR, 0x3333);
	EXPECT_EQ_U(rd(fx_as, n), 0xe0);
	EXPECT_EQ_U(rd(fx_as, n + 3 * PG), 0);
	check(child);
	check(fx_as);
	aspace_destroy(child);
	fx_teardown();
}

static void test_growth_after_fork_is_a_second_varea(void)
{
	struct aspace *child = NULL;
	uintptr_t n = 0;

	fx_setup(3);
	fill(at(0), 2, RW, 0xf0);
	ASSERT_OK(aspace_fork(fx_as, &child));
	ASSERT_OK(aspace_remap(child, at(0), 2 * PG, 4 * PG, 0, &n));
	EXPECT_EQ_U(n, at(0));
	ASSERT_EQ(fx_vareas(child, v, MAXV), 2);
	expect_varea(0, at(0), 2, RW);
	expect_varea(1, at(2), 2, RW);
	put(child, at(3), 0x44);
	put(child, at(0), 0x45);
	EXPECT_EQ_U(rd(child, at(1)), 0xf1);
	EXPECT_EQ_U(rd(fx_as, at(0)), 0xf0);
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), 1);
	check(child);
	aspace_destroy(child);
	fx_teardown();
}

static void test_prot_none_and_read_only_keep_their_perms(void)
{
	uintptr_t n = 0, m = FAR;
	struct aspace_query q;

	fx_setup(3);
	map_anon(fx_as, at(0), 2, 0);
	map_anon(fx_as, at(2), 1, RW);
	ASSERT_OK(aspace_remap(fx_as, at(0), 2 * PG, 3 * PG, REMAP_MAYMOVE, &n));
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 3);   /* moved, its tail, the RW page */
	expect_varea(0, n, 2, 0);
	expect_varea(1, n + 2 * PG, 1, 0);
	EXPECT_EQ(fx_fault(fx_as, n + 2 * PG, FAULT_READ), FAULT_DENIED);
	fill(at(4), 2, RO, 0x55);
	ASSERT_OK(aspace_remap(fx_as, at(4), 2 * PG, 3 * PG, REMAP_MAYMOVE | REMAP_FIXED, &m));
	ASSERT_OK(aspace_query(fx_as, FAR + 2 * PG, &q));
	EXPECT_EQ(q.perms, RO);
	ASSERT_OK(aspace_query(fx_as, FAR, &q));
	EXPECT_EQ(q.perms, RO);
	EXPECT_EQ(fx_fault(fx_as, FAR, FAULT_WRITE), FAULT_DENIED);
	EXPECT_EQ_U(rd(fx_as, FAR + PG), 0x56);
	ASSERT_OK(aspace_query(fx_as, FAR + PG, &q));
	EXPECT_EQ(q.mmu_flags, RO | MMU_USER);
	check(fx_as);
	fx_teardown();
}

/* A stack varea that moves lands where its guard page below is free. */
static void test_moved_stack_keeps_a_free_guard_page(void)
{
	uintptr_t n = 0, s = at(0);

	fx_setup(3);
	map_anon(fx_as, PG, 2, RW);
	ASSERT_OK(aspace_map_anon(fx_as, &s, 2 * PG, 0, RW, MAP_FIXED | VAREA_STACK));
	map_anon(fx_as, at(2), 1, RO);
	ASSERT_OK(aspace_remap(fx_as, at(0), 2 * PG, 3 * PG, REMAP_MAYMOVE, &n));
	EXPECT_EQ_U(n, 4 * PG);                   /* not 3 PG: page 3 PG is its guard */
	EXPECT_EQ(fx_fault(fx_as, n - PG, FAULT_READ), FAULT_STACK_GUARD);
	check(fx_as);
	fx_teardown();
}

/*
 * After a part of an object moved, an object mapped where that part was
 * does not merge into the part that stayed: the merge would take the
 * moved part's offsets, and with them its pages.
 */
static void test_mapping_where_a_moved_part_was_leaves_it_alone(void)
{
	uintptr_t n = FAR;

	fx_setup(3);
	fill(at(0), 4, RW, 0x100);
	ASSERT_OK(aspace_remap(fx_as, at(2), 2 * PG, 2 * PG, REMAP_MAYMOVE | REMAP_FIXED, &n));
	map_anon(fx_as, at(2), 2, RW);
	expect_contents(fx_as, FAR, 2, 0x102);
	EXPECT_EQ_U(rd(fx_as, at(2)), 0);
	put(fx_as, at(3), 0x77);
	EXPECT_EQ_U(rd(fx_as, FAR + PG), 0x103);
	put(fx_as, FAR, 0x78);
	EXPECT_EQ_U(rd(fx_as, at(2)), 0);
	expect_contents(fx_as, at(0), 2, 0x100);
	EXPECT_EQ(fx_data_frames(), 5);           /* 4 filled, 1 put; reads map the zero page */
	check(fx_as);
	fx_teardown();
}

/* ---- discard ---------------------------------------------------------------------------------- */

static void test_discard_reads_zero_frees_frames_keeps_perms(void)
{
	struct aspace_query q;

	fx_setup(3);
	fill(at(0), 4, RO, 0x200);
	EXPECT_EQ(fx_data_frames(), 4);
	ASSERT_OK(aspace_discard(fx_as, at(1), 2 * PG));
	EXPECT_EQ(fx_data_frames(), 2);
	EXPECT_EQ_U(rd(fx_as, at(0)), 0x200);
	EXPECT_EQ_U(rd(fx_as, at(1)), 0);
	EXPECT_EQ_U(rd(fx_as, at(2)), 0);
	EXPECT_EQ_U(rd(fx_as, at(3)), 0x203);
	for (unsigned i = 0; i < 4; i++) {
		ASSERT_OK(aspace_query(fx_as, at(i), &q));
		EXPECT_EQ(q.perms, RO);
	}
	EXPECT_EQ(fx_fault(fx_as, at(1), FAULT_WRITE), FAULT_DENIED);
	check(fx_as);
	fx_teardown();
}

static void test_discard_across_vareas_and_holes_is_enoent_but_done(void)
{
	fx_setup(3);
	fill(at(1), 2, RW, 0x300);
	fill(at(3), 2, RX, 0x310);
	fill(at(6), 1, RW, 0x320);
	EXPECT_EQ(aspace_discard(fx_as, at(0), 8 * PG), E_NOENT);
	for (unsigned i = 1; i < 7; i++)
		if (i != 5)
			EXPECT_EQ_U(fx_read_obj(fx_as, at(i)), 0);
	EXPECT_EQ(fx_data_frames(), 0);
	EXPECT_FALSE(fx_has_varea(fx_as, at(0)));
	EXPECT_FALSE(fx_has_varea(fx_as, at(5)));
	EXPECT_EQ(fx_fault(fx_as, at(3), FAULT_EXEC), FAULT_FIXED);
	EXPECT_EQ(aspace_discard(fx_as, at(8), PG), E_NOENT);
	EXPECT_EQ(aspace_discard(fx_as, at(0) + 8, PG), E_ALIGN);
	EXPECT_EQ(aspace_discard(fx_as, at(0), 0), E_INVAL);
	EXPECT_EQ(aspace_discard(&kernel_aspace, KERNEL_VAREA_BASE, PG), E_INVAL);
	check(fx_as);
	fx_teardown();
}

static void test_discard_in_the_child_keeps_the_parents_data(void)
{
	struct aspace *child = NULL;

	fx_setup(3);
	fill(at(0), 3, RW, 0x400);
	ASSERT_OK(aspace_fork(fx_as, &child));
	ASSERT_OK(aspace_discard(child, at(0), 3 * PG));
	for (unsigned i = 0; i < 3; i++) {
		EXPECT_EQ_U(rd(child, at(i)), 0);
		EXPECT_EQ_U(rd(fx_as, at(i)), 0x400 + i);
	}
	put(fx_as, at(1), 0x55);
	EXPECT_EQ_U(rd(child, at(1)), 0);
	check(child);
	aspace_destroy(child);
	/* And in the parent, after the child is gone. */
	ASSERT_OK(aspace_discard(fx_as, at(1), PG));
	EXPECT_EQ_U(rd(fx_as, at(1)), 0);
	EXPECT_EQ_U(rd(fx_as, at(2)), 0x402);
	check(fx_as);
	fx_teardown();
}

static void test_discard_leaves_physical_mappings_alone(void)
{
	uintptr_t a = at(0);
	uint64_t *ram = pa_to_va(FAKE_RAM_BASE);
	struct aspace_query q;

	fx_setup(3);
	ASSERT_OK(aspace_map_phys(fx_as, &a, FAKE_RAM_BASE, 2 * PG, 0, RW,
	                          MAP_FIXED | VAREA_POPULATE));
	ram[0] = 0xabcdef;
	ASSERT_OK(aspace_discard(fx_as, at(0), 2 * PG));
	/* The leaves may go; the memory stays, and comes back there. */
	ASSERT_EQ(fx_fault(fx_as, at(0), FAULT_READ), FAULT_FIXED);
	ASSERT_OK(aspace_query(fx_as, at(0), &q));
	EXPECT_TRUE(q.mapped);
	EXPECT_EQ_U(q.pa, FAKE_RAM_BASE);
	EXPECT_STREQ(q.obj_name, "phys");
	EXPECT_EQ_U(*fx_word(fx_as, at(0)), 0xabcdef);
	EXPECT_EQ(fx_data_frames(), 0);
	check(fx_as);
	fx_teardown();
}

/* ---- physical blocks ------------------------------------------------------------------------- */

/*
 * Moving a page out of a 2 MiB block needs a table page to split the
 * block; when there is none the remap fails with E_NOMEM, the vareas as
 * they were.
 */
static void test_moving_out_of_a_block_without_a_table_page_fails_cleanly(void)
{
	uintptr_t a = 1ul << 30, n = 0;
	paddr_t pa = FAKE_RAM_BASE + (4ull << 20);
	struct aspace_query q;

	fx_setup(3);
	ASSERT_OK(aspace_map_phys(fx_as, &a, pa, 2ul << 20, 0, RO, MAP_FIXED | VAREA_POPULATE));
	fake_pt_alloc_fail_at(1);
	EXPECT_EQ(aspace_remap(fx_as, a + PG, PG, 2 * PG, REMAP_MAYMOVE, &n), E_NOMEM);
	fake_pt_alloc_fail_at(0);
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), 1);
	expect_varea(0, a, 512, RO);
	check(fx_as);
	ASSERT_OK(aspace_remap(fx_as, a + PG, PG, 2 * PG, REMAP_MAYMOVE, &n));
	ASSERT_OK(aspace_query(fx_as, a, &q));
	EXPECT_EQ_U(q.pa, pa);
	EXPECT_EQ_U(frame_at(fx_as, n), pa + PG);
	EXPECT_EQ_U(frame_at(fx_as, a + 2 * PG), pa + 2 * PG);
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), 4);
	check(fx_as);
	fx_teardown();
}

KTEST_SUITE(remap_host,
	KTEST_CASE(test_shrink_unmaps_tail_and_frees_frames),
	KTEST_CASE(test_grow_in_place_keeps_contents_new_part_zero_one_varea),
	KTEST_CASE(test_grow_blocked_without_maymove_is_enomem_and_changes_nothing),
	KTEST_CASE(test_maymove_moves_the_frames_without_copying),
	KTEST_CASE(test_moving_the_middle_splits_the_varea),
	KTEST_CASE(test_fixed_moves_to_a_free_range),
	KTEST_CASE(test_fixed_unmaps_the_occupant),
	KTEST_CASE(test_fixed_shrinking_move_leaves_what_is_past_the_new_size),
	KTEST_CASE(test_fixed_overlapping_the_source_is_einval),
	KTEST_CASE(test_range_across_vareas_or_unmapped_is_enoent),
	KTEST_CASE(test_bad_arguments_change_nothing),
	KTEST_CASE(test_move_after_fork_keeps_parent_and_child_apart),
	KTEST_CASE(test_growth_after_fork_is_a_second_varea),
	KTEST_CASE(test_prot_none_and_read_only_keep_their_perms),
	KTEST_CASE(test_moved_stack_keeps_a_free_guard_page),
	KTEST_CASE(test_mapping_where_a_moved_part_was_leaves_it_alone),
	KTEST_CASE(test_discard_reads_zero_frees_frames_keeps_perms),
	KTEST_CASE(test_discard_across_vareas_and_holes_is_enoent_but_done),
	KTEST_CASE(test_discard_in_the_child_keeps_the_parents_data),
	KTEST_CASE(test_discard_leaves_physical_mappings_alone),
	KTEST_CASE(test_moving_out_of_a_block_without_a_table_page_fails_cleanly));
