/*
 * Host tests of address spaces (mm/aspace*.c, mm/varea.c, mm/anon.c,
 * mm/phys_obj.c) over the fake MMU and RAM: one behaviour per case, each
 * ending with the aspace checker, the table audit and the frame count
 * (fx_teardown()).  The randomized and failure-injection tests are in
 * test_aspace_model.c.
 */
#include <string.h>
#include <lib/err.h>
#include <mm/kmap.h>
#include <lib/ktest.h>
#include <mm/heap.h>
#include <mm/layout.h>
#include <mm/page.h>
#include "aspace_fixture.h"
#include "testlib.h"
#include "fake_mmu.h"
#include "fake_ram.h"

#define U 0x100000ul        /* a user address for fixed maps */
#define MAXV 16

static struct fx_varea v[MAXV];

/* Map @pages of anonymous memory at U + @page * PG exactly. */
static void map_at(uint64_t page, uint64_t pages, unsigned perms, unsigned flags)
{
	uintptr_t a = U + page * PG;

	ASSERT_OK(aspace_map_anon(fx_as, &a, pages * PG, 0, perms, flags | MAP_FIXED));
	ASSERT_EQ_U(a, U + page * PG);
}

/* Write @tag into the page at U + @page * PG through a write fault. */
static void put(uint64_t page, uint64_t tag)
{
	ASSERT_EQ(fx_fault(fx_as, U + page * PG, FAULT_WRITE), FAULT_FIXED);
	*fx_word(fx_as, U + page * PG) = tag;
}

static uint64_t get(uint64_t page)
{
	return fx_read_obj(fx_as, U + page * PG);
}

static void expect_varea(unsigned i, uint64_t page, uint64_t pages, unsigned perms)
{
	EXPECT_EQ_U(v[i].start, U + page * PG);
	EXPECT_EQ_U(v[i].size, pages * PG);
	EXPECT_EQ(v[i].perms, perms);
}

static void check(void)
{
	EXPECT_EQ(aspace_check(fx_as), 0);
	EXPECT_EQ(pt_audit(fx_as->pt), 0);
}

/* ---- lazy anonymous memory ------------------------------------------------------ */

static void test_lazy_map_takes_no_frame(void)
{
	uintptr_t a = 0;
	struct aspace_query q;

	fx_setup(3);
	ASSERT_OK(aspace_map_anon(fx_as, &a, 4 * PG, 0, RW, 0));
	EXPECT_EQ_U(a, PG);                        /* first fit from the bottom */
	ASSERT_OK(aspace_query(fx_as, a + PG, &q));
	EXPECT_EQ_U(q.start, a);
	EXPECT_EQ_U(q.size, 4 * PG);
	EXPECT_FALSE(q.mapped);
	EXPECT_STREQ(q.obj_name, "anon");
	EXPECT_EQ(fx_data_frames(), 0);
	EXPECT_EQ(fake_pt_alloc_live(), 2);        /* the two roots: kernel and user */
	check();
	fx_teardown();
}

static void test_first_read_sees_zeros(void)
{
	uintptr_t a = 0;
	uint64_t *w;

	fx_setup(3);
	ASSERT_OK(aspace_map_anon(fx_as, &a, 4 * PG, 0, RW, 0));
	EXPECT_EQ(fx_fault(fx_as, a + 2 * PG + 24, FAULT_READ), FAULT_FIXED);
	w = fx_word(fx_as, a + 2 * PG);
	ASSERT_NOT_NULL(w);
	for (unsigned i = 0; i < PG / 8; i++)
		if (w[i])
			ktest_fail(__FILE__, __LINE__, "word %u of a fresh page is %#llx", i,
			           (unsigned long long)w[i]);
	EXPECT_EQ(fx_as->stats.populated, 1);
	EXPECT_EQ(fx_as->stats.faults[FAULT_FIXED], 1);
	check();
	fx_teardown();
}

static void test_first_write_takes_one_frame_unmap_frees_it(void)
{
	uintptr_t a = 0;
	struct aspace_query q;

	fx_setup(3);
	ASSERT_OK(aspace_map_anon(fx_as, &a, 4 * PG, 0, RW, 0));
	EXPECT_EQ(fx_fault(fx_as, a + PG, FAULT_WRITE), FAULT_FIXED);
	EXPECT_EQ(fx_data_frames(), 1);
	*fx_word(fx_as, a + PG) = 0xfeedface;
	ASSERT_OK(aspace_query(fx_as, a + PG, &q));
	EXPECT_TRUE(q.mapped);
	EXPECT_EQ(q.mmu_flags, RW | MMU_USER);
	EXPECT_EQ(page_refcount(pa_to_page(q.pa)), 2);   /* the index and the leaf */
	EXPECT_EQ_U(fx_read_obj(fx_as, a + PG), 0xfeedface);
	check();
	ASSERT_OK(aspace_unmap(fx_as, a + PG, PG));
	EXPECT_EQ(fx_data_frames(), 0);
	EXPECT_EQ(page_refcount(pa_to_page(q.pa)), 0);
	check();
	fx_teardown();
}

static void test_populate_maps_every_page_now(void)
{
	uintptr_t a = 0;
	struct aspace_query q;

	fx_setup(3);
	ASSERT_OK(aspace_map_anon(fx_as, &a, 5 * PG, 0, RO, VAREA_POPULATE));
	EXPECT_EQ(fx_data_frames(), 0);          /* read-only: the zero page, five times */
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), 1);
	EXPECT_EQ(v[0].resident, 5);
	ASSERT_OK(aspace_query(fx_as, a + 4 * PG, &q));
	EXPECT_TRUE(q.mapped);
	EXPECT_EQ(q.mmu_flags, RO | MMU_USER);
	EXPECT_EQ_U(q.pa, anon_zero_pa());
	EXPECT_EQ(*fx_word(fx_as, a + 4 * PG), 0);
	check();
	ASSERT_OK(aspace_unmap(fx_as, a, 5 * PG));
	a = 0;
	ASSERT_OK(aspace_map_anon(fx_as, &a, 5 * PG, 0, RW, VAREA_POPULATE));
	EXPECT_EQ(fx_data_frames(), 5);          /* writable: a page each, as MAP_POPULATE */
	ASSERT_OK(aspace_query(fx_as, a + 4 * PG, &q));
	EXPECT_EQ(q.mmu_flags, RW | MMU_USER);
	EXPECT_NE(q.pa, anon_zero_pa());
	check();
	ASSERT_OK(aspace_unmap(fx_as, a, 5 * PG));
	EXPECT_EQ(fx_data_frames(), 0);
	fx_teardown();
}

/* ---- faults ------------------------------------------------------------------------ */

/* The leaf at U + @page * PG: its frame and flags (0 when unmapped). */
static paddr_t leaf(uint64_t page, unsigned *flags)
{
	struct aspace_query q;

	ASSERT_OK(aspace_query(fx_as, U + page * PG, &q));
	*flags = q.mmu_flags;
	return q.mapped ? q.pa : 0;
}

static void test_read_fault_maps_the_zero_page_write_gets_a_frame(void)
{
	unsigned flags;
	paddr_t pa;

	fx_setup(3);
	map_at(0, 3, RW, 0);
	EXPECT_EQ(fx_fault(fx_as, U, FAULT_READ), FAULT_FIXED);
	EXPECT_EQ(fx_fault(fx_as, U + PG, FAULT_READ), FAULT_FIXED);
	EXPECT_EQ_U(leaf(0, &flags), anon_zero_pa());
	EXPECT_EQ(flags, RO | MMU_USER);             /* never writable */
	EXPECT_EQ_U(leaf(1, &flags), anon_zero_pa());
	EXPECT_EQ(fx_data_frames(), 0);
	EXPECT_EQ(*fx_word(fx_as, U), 0);
	check();
	/* A write replaces the leaf with a zeroed page of its own. */
	put(0, 0x55);
	pa = leaf(0, &flags);
	EXPECT_NE(pa, anon_zero_pa());
	EXPECT_EQ(flags, RW | MMU_USER);
	EXPECT_EQ(fx_data_frames(), 1);
	EXPECT_EQ_U(get(0), 0x55);
	EXPECT_EQ_U(leaf(1, &flags), anon_zero_pa());  /* its neighbour still reads zeros */
	EXPECT_EQ(*fx_word(fx_as, U + PG), 0);
	/* A write to a page never touched takes a frame at once. */
	put(2, 0x66);
	EXPECT_EQ(fx_data_frames(), 2);
	check();
	ASSERT_OK(aspace_unmap(fx_as, U, 3 * PG));
	EXPECT_EQ(fx_data_frames(), 0);
	fx_teardown();
}

static void test_zero_page_stays_read_only_through_protect_and_discard(void)
{
	unsigned flags;

	fx_setup(3);
	map_at(0, 2, RO, 0);
	EXPECT_EQ(fx_fault(fx_as, U, FAULT_READ), FAULT_FIXED);
	/* Adding write access must not make the zero page's leaf writable. */
	ASSERT_OK(aspace_protect(fx_as, U, 2 * PG, RW));
	EXPECT_EQ(leaf(0, &flags), 0);
	check();
	EXPECT_EQ(fx_fault(fx_as, U, FAULT_READ), FAULT_FIXED);
	EXPECT_EQ_U(leaf(0, &flags), anon_zero_pa());
	EXPECT_EQ(flags, RO | MMU_USER);
	put(0, 0x77);
	EXPECT_EQ(fx_data_frames(), 1);
	/* DONTNEED: the page goes, the next read finds the zero page again. */
	ASSERT_OK(aspace_discard(fx_as, U, 2 * PG));
	EXPECT_EQ(fx_data_frames(), 0);
	EXPECT_EQ(fx_fault(fx_as, U, FAULT_READ), FAULT_FIXED);
	EXPECT_EQ_U(leaf(0, &flags), anon_zero_pa());
	EXPECT_EQ_U(get(0), 0);
	check();
	fx_teardown();
}

static void test_write_after_protect_read_only_is_denied(void)
{
	fx_setup(3);
	map_at(0, 2, RW, 0);
	put(0, 7);
	ASSERT_OK(aspace_protect(fx_as, U, 2 * PG, RO));
	EXPECT_EQ(fx_fault(fx_as, U, FAULT_WRITE), FAULT_DENIED);
	EXPECT_EQ(fx_fault(fx_as, U + PG, FAULT_WRITE), FAULT_DENIED);
	EXPECT_EQ(fx_as->stats.faults[FAULT_DENIED], 2);
	EXPECT_EQ(fx_fault(fx_as, U + PG, FAULT_READ), FAULT_FIXED);
	EXPECT_EQ_U(get(0), 7);                  /* the content survived */
	check();
	fx_teardown();
}

static void test_denied_accesses(void)
{
	fx_setup(3);
	map_at(0, 1, RO, 0);
	map_at(2, 1, 0, 0);
	map_at(4, 1, RX, 0);
	EXPECT_EQ(fx_fault(fx_as, U, FAULT_EXEC), FAULT_DENIED);       /* not executable */
	EXPECT_EQ(fx_fault(fx_as, U + 2 * PG, FAULT_READ), FAULT_DENIED);   /* no access */
	EXPECT_EQ(fx_fault(fx_as, U + 4 * PG, FAULT_EXEC), FAULT_FIXED);
	EXPECT_EQ(fx_fault(fx_as, U + 4 * PG, FAULT_WRITE), FAULT_DENIED);
	/* The kernel never executes user pages, mapped or not. */
	struct fault f = { .addr = U + 4 * PG, .access = FAULT_EXEC, .user = 0,
	                   .kind = FAULT_PERMISSION };
	EXPECT_EQ(aspace_fault(fx_as, &f), FAULT_DENIED);
	check();
	fx_teardown();
}

static void test_fault_without_varea(void)
{
	fx_setup(3);
	map_at(1, 1, RW, 0);
	EXPECT_EQ(fx_fault(fx_as, U, FAULT_READ), FAULT_NO_VAREA);
	EXPECT_EQ(fx_fault(fx_as, U + 2 * PG, FAULT_WRITE), FAULT_NO_VAREA);
	EXPECT_EQ(fx_fault(fx_as, 0, FAULT_READ), FAULT_NO_VAREA);      /* page 0 */
	EXPECT_EQ(fx_fault(fx_as, KERNEL_VAREA_BASE, FAULT_READ), FAULT_NO_VAREA);
	EXPECT_EQ(fx_as->stats.faults[FAULT_NO_VAREA], 4);
	fx_teardown();
}

static void test_stack_guard_page(void)
{
	uintptr_t a = 0, b = 0;

	fx_setup(3);
	ASSERT_OK(aspace_map_anon(fx_as, &a, PG, 0, RW, 0));
	ASSERT_OK(aspace_map_anon(fx_as, &b, 4 * PG, 0, RW, VAREA_STACK));
	EXPECT_EQ_U(b, a + 2 * PG);              /* a free guard page between */
	EXPECT_EQ(fx_fault(fx_as, b - PG + 8, FAULT_WRITE), FAULT_STACK_GUARD);
	EXPECT_EQ(fx_fault(fx_as, b - 2 * PG, FAULT_WRITE), FAULT_FIXED);
	EXPECT_EQ(fx_as->stats.faults[FAULT_STACK_GUARD], 1);
	/* Nothing is placed in a stack's guard page. */
	ASSERT_OK(aspace_unmap(fx_as, a, PG));
	a = 0;
	ASSERT_OK(aspace_map_anon(fx_as, &a, 2 * PG, 0, RW, 0));
	EXPECT_EQ_U(a, b + 4 * PG);
	a = 0;
	ASSERT_OK(aspace_map_anon(fx_as, &a, PG, 0, RW, 0));
	EXPECT_EQ_U(a, PG);
	check();
	fx_teardown();
}

static void test_fault_on_mapped_page_is_fixed_and_flushed(void)
{
	uintptr_t a = 0;
	struct fault f = { .access = FAULT_WRITE, .kind = FAULT_PERMISSION, .user = 1 };

	fx_setup(3);
	ASSERT_OK(aspace_map_anon(fx_as, &a, PG, 0, RW, VAREA_POPULATE));
	f.addr = a + 100;
	fake_tlb_mark();
	EXPECT_EQ(aspace_fault(fx_as, &f), FAULT_FIXED);
	EXPECT_TRUE(fake_tlb_covered(fx_as->pt->asid, a, PG));
	EXPECT_EQ(fx_data_frames(), 1);          /* nothing new */
	EXPECT_EQ(fx_as->stats.populated, 1);
	check();
	fx_teardown();
}

static void test_user_fault_on_kernel_aspace_is_denied(void)
{
	uintptr_t a = 0;
	struct fault f = { .access = FAULT_READ, .kind = FAULT_PERMISSION, .user = 1 };
	struct aspace_query q;

	fx_setup(3);
	ASSERT_OK(aspace_map_anon(&kernel_aspace, &a, 2 * PG, 0, RW, VAREA_POPULATE));
	EXPECT_EQ_U(a, KERNEL_VAREA_BASE);
	ASSERT_OK(aspace_query(&kernel_aspace, a, &q));
	EXPECT_EQ(q.mmu_flags, RW | MMU_GLOBAL);
	f.addr = a;
	EXPECT_EQ(aspace_fault(&kernel_aspace, &f), FAULT_DENIED);
	EXPECT_EQ(aspace_check(&kernel_aspace), 0);
	ASSERT_OK(aspace_unmap(&kernel_aspace, a, 2 * PG));
	fx_teardown();
}

static void test_fault_under_its_own_lock_panics(void)
{
	uintptr_t a = 0;

	fx_setup(3);
	ASSERT_OK(aspace_map_anon(fx_as, &a, PG, 0, RW, 0));
	spin_lock(&fx_as->lock);
	EXPECT_PANIC(fx_fault(fx_as, a, FAULT_WRITE), "with its lock held");
	spin_unlock(&fx_as->lock);
	EXPECT_EQ(fx_fault(fx_as, a, FAULT_WRITE), FAULT_FIXED);
	fx_teardown();
}

/* ---- unmap --------------------------------------------------------------------------- */

static void test_unmap_middle_splits(void)
{
	fx_setup(3);
	map_at(0, 6, RW, 0);
	for (unsigned i = 0; i < 6; i++)
		put(i, 100 + i);
	ASSERT_OK(aspace_unmap(fx_as, U + 2 * PG, 2 * PG));
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 2);
	expect_varea(0, 0, 2, RW);
	expect_varea(1, 4, 2, RW);
	EXPECT_EQ(v[0].resident, 2);
	EXPECT_EQ(v[1].resident, 2);
	EXPECT_EQ_U(get(1), 101);
	EXPECT_EQ_U(get(4), 104);
	EXPECT_EQ(fx_data_frames(), 4);
	EXPECT_EQ(fx_fault(fx_as, U + 2 * PG, FAULT_READ), FAULT_NO_VAREA);
	check();
	fx_teardown();
}

static void test_unmap_shrinks_either_end(void)
{
	fx_setup(3);
	map_at(0, 6, RW, 0);
	for (unsigned i = 0; i < 6; i++)
		put(i, 100 + i);
	ASSERT_OK(aspace_unmap(fx_as, U, 2 * PG));          /* the head */
	ASSERT_OK(aspace_unmap(fx_as, U + 5 * PG, 3 * PG)); /* the tail, and beyond */
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 1);
	expect_varea(0, 2, 3, RW);
	EXPECT_EQ(v[0].resident, 3);
	EXPECT_EQ_U(get(2), 102);
	EXPECT_EQ_U(get(4), 104);
	EXPECT_EQ(fx_data_frames(), 3);
	check();
	fx_teardown();
}

/*
 * Table policy (aspace_pt_unmap()): an unmap keeps the tables another
 * varea still overlaps, even empty, and frees those no varea reaches.
 */
static void test_unmap_keeps_tables_a_neighbour_overlaps(void)
{
	fx_setup(3);
	map_at(0, 1, RW, 0);
	map_at(2, 1, RW, 0);                     /* the same 2 MiB table */
	put(0, 1);
	put(2, 2);
	uint64_t tables = fx_as->pt->table_pages;

	ASSERT_OK(aspace_unmap(fx_as, U + 2 * PG, PG));
	EXPECT_EQ_U(fx_as->pt->table_pages, tables);
	ASSERT_OK(aspace_unmap(fx_as, U, PG));   /* the last varea: every table goes */
	EXPECT_EQ_U(fx_as->pt->table_pages, 1);
	check();
	fx_teardown();
}

static void test_unmap_keeps_an_empty_table_until_its_last_varea_goes(void)
{
	fx_setup(3);
	map_at(0, 1, RW, 0);
	map_at(8, 1, RW, 0);                     /* the same 2 MiB table, never touched */
	put(0, 1);
	uint64_t tables = fx_as->pt->table_pages;

	ASSERT_OK(aspace_unmap(fx_as, U, PG));
	EXPECT_EQ_U(fx_as->pt->table_pages, tables);   /* empty, kept for page 8 */
	check();
	put(8, 8);                                       /* faults into the kept table */
	EXPECT_EQ_U(fx_as->pt->table_pages, tables);
	ASSERT_OK(aspace_unmap(fx_as, U + 8 * PG, PG));
	EXPECT_EQ_U(fx_as->pt->table_pages, 1);
	check();
	fx_teardown();
}

/*
 * With the frame allocator behind the walker (as in the kernel), tables
 * that empty become the aspace's spares, at most PT_SPARES: the next
 * fault there takes its tables from them, not from the allocator, and
 * destroying the aspace gives every one back.
 */
static void test_emptied_tables_are_spares_for_the_next_fault(void)
{
	const uintptr_t far = 0x40000000;         /* alone in its 1 GiB */
	struct aspace *as;
	uintptr_t a;
	uint64_t tables, free_before;

	fx_setup(4);
	aspace_destroy(fx_as);                    /* its root is the counting allocator's */
	fx_as = NULL;
	fake_pt_alloc_suspend();
	heap_shrink();
	free_before = pmm_free_frames();
	ASSERT_OK(aspace_create("spares", &as));
	for (int round = 0; round < 3; round++) {
		uint64_t frames;

		a = far;
		ASSERT_OK(aspace_map_anon(as, &a, PG, 0, RW, MAP_FIXED));
		frames = pmm_free_frames();
		ASSERT_EQ(fx_fault(as, far, FAULT_WRITE), FAULT_FIXED);
		if (round == 0) {
			tables = as->pt->table_pages;     /* the root and three below it */
			EXPECT_EQ_U(tables, 4);
			EXPECT_EQ_U(as->pt->nspares, 0);
		} else {
			/* The data page only: its three tables were spares. */
			EXPECT_EQ_U(frames - pmm_free_frames(), 1);
			EXPECT_EQ_U(as->pt->table_pages, tables);
			EXPECT_EQ_U(as->pt->nspares, 0);
		}
		EXPECT_EQ(aspace_check(as), 0);
		EXPECT_EQ(pt_audit(as->pt), 0);
		ASSERT_OK(aspace_unmap(as, far, PG));
		EXPECT_EQ_U(as->pt->table_pages, 1);
		EXPECT_EQ_U(as->pt->nspares, tables - 1);
	}
	/* More tables empty at once than it keeps: the rest are freed. */
	for (unsigned i = 0; i < PT_SPARES + 2; i++) {
		a = far + i * (2ul << 20);            /* a leaf table each */
		ASSERT_OK(aspace_map_anon(as, &a, PG, 0, RW, MAP_FIXED));
		ASSERT_EQ(fx_fault(as, a, FAULT_WRITE), FAULT_FIXED);
	}
	EXPECT_EQ_U(as->pt->nspares, 0);
	ASSERT_OK(aspace_unmap(as, far, (PT_SPARES + 2) * (2ul << 20)));
	EXPECT_EQ_U(as->pt->table_pages, 1);
	EXPECT_EQ_U(as->pt->nspares, PT_SPARES);
	EXPECT_EQ(aspace_check(as), 0);
	aspace_destroy(as);
	heap_shrink();
	EXPECT_EQ_U(pmm_free_frames(), free_before);
	fake_pt_alloc_resume();
	fx_teardown();
}

/* The checker knows the policy: an empty table no varea overlaps is a leak. */
static void test_check_reports_an_empty_table_no_varea_needs(void)
{
	const uintptr_t far = 0x40000000;        /* 1 GiB: tables of its own, no varea */
	struct page *p;

	fx_setup(3);
	p = page_alloc(0, PAGE_ZERO);
	ASSERT_NOT_NULL(p);
	ASSERT_OK(pt_map(fx_as->pt, far, page_to_pa(p), PG, MMU_READ | MMU_USER));
	/* Keep the leaf table as if a varea below far still needed it. */
	ASSERT_OK(pt_unmap_keep(fx_as->pt, far, PG, far + PG, UINTPTR_MAX, NULL, NULL));
	EXPECT_EQ(aspace_check(fx_as), 1);
	EXPECT_EQ(pt_audit(fx_as->pt), 0);       /* the table itself is well formed */
	ASSERT_OK(pt_unmap(fx_as->pt, far, PG, NULL, NULL));   /* no bounds: it goes */
	EXPECT_EQ_U(fx_as->pt->table_pages, 1);
	check();
	page_free(p, 0);
	fx_teardown();
}

static void test_unmap_spanning_several_vareas(void)
{
	fx_setup(3);
	map_at(0, 3, RW, 0);
	map_at(3, 2, RO, 0);          /* different perms: stays a varea of its own */
	map_at(6, 3, RW, 0);          /* after a hole */
	for (unsigned i = 0; i < 9; i++)
		if (i != 5)
			EXPECT_EQ(fx_fault(fx_as, U + i * PG, i == 3 || i == 4 ? FAULT_READ : FAULT_WRITE),
			          FAULT_FIXED);
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 3);
	ASSERT_OK(aspace_unmap(fx_as, U + PG, 7 * PG));
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 2);
	expect_varea(0, 0, 1, RW);
	expect_varea(1, 8, 1, RW);
	EXPECT_EQ(fx_data_frames(), 2);
	check();
	ASSERT_OK(aspace_unmap(fx_as, U, 100 * PG));
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), 0);
	EXPECT_EQ(fx_data_frames(), 0);
	EXPECT_EQ(fake_pt_alloc_live(), 2);       /* empty tables went too: the roots stay */
	check();
	fx_teardown();
}

static void test_unmap_of_nothing_is_fine(void)
{
	fx_setup(3);
	EXPECT_OK(aspace_unmap(fx_as, U, 64 * PG));
	map_at(10, 1, RW, 0);
	EXPECT_OK(aspace_unmap(fx_as, U, 10 * PG));
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), 1);
	check();
	fx_teardown();
}

/* ---- protect -------------------------------------------------------------------------- */

static void test_protect_middle_splits_in_three(void)
{
	struct aspace_query q;

	fx_setup(3);
	map_at(0, 6, RW, VAREA_POPULATE);
	for (unsigned i = 0; i < 6; i++)
		*fx_word(fx_as, U + i * PG) = 200 + i;
	ASSERT_OK(aspace_protect(fx_as, U + 2 * PG, 2 * PG, RO));
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 3);
	expect_varea(0, 0, 2, RW);
	expect_varea(1, 2, 2, RO);
	expect_varea(2, 4, 2, RW);
	EXPECT_EQ(v[1].resident, 2);
	ASSERT_OK(aspace_query(fx_as, U + 3 * PG, &q));
	EXPECT_EQ(q.mmu_flags, RO | MMU_USER);
	ASSERT_OK(aspace_query(fx_as, U + 4 * PG, &q));
	EXPECT_EQ(q.mmu_flags, RW | MMU_USER);
	for (unsigned i = 0; i < 6; i++)
		EXPECT_EQ_U(get(i), 200 + i);
	check();
	/* Back to RW: the three are one again. */
	ASSERT_OK(aspace_protect(fx_as, U + 2 * PG, 2 * PG, RW));
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 1);
	expect_varea(0, 0, 6, RW);
	EXPECT_EQ(v[0].resident, 6);
	EXPECT_EQ(fx_data_frames(), 6);
	check();
	fx_teardown();
}

static void test_protect_either_end(void)
{
	fx_setup(3);
	map_at(0, 4, RW, 0);
	ASSERT_OK(aspace_protect(fx_as, U, PG, RO));
	ASSERT_OK(aspace_protect(fx_as, U + 3 * PG, PG, RX));
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 3);
	expect_varea(0, 0, 1, RO);
	expect_varea(1, 1, 2, RW);
	expect_varea(2, 3, 1, RX);
	check();
	fx_teardown();
}

static void test_protect_spanning_several_vareas(void)
{
	struct aspace_query q;

	fx_setup(3);
	map_at(0, 2, RW, VAREA_POPULATE);
	map_at(2, 2, RO, VAREA_POPULATE);
	map_at(4, 2, RX, VAREA_POPULATE);
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 3);
	ASSERT_OK(aspace_protect(fx_as, U + PG, 4 * PG, RO));
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 3);
	expect_varea(0, 0, 1, RW);
	expect_varea(1, 1, 4, RO);             /* merged across the old boundaries */
	expect_varea(2, 5, 1, RX);
	EXPECT_EQ(v[1].resident, 4);
	for (unsigned i = 1; i < 5; i++) {
		ASSERT_OK(aspace_query(fx_as, U + i * PG, &q));
		EXPECT_EQ(q.mmu_flags, RO | MMU_USER);
	}
	check();
	fx_teardown();
}

static void test_protect_with_a_hole_changes_nothing(void)
{
	fx_setup(3);
	map_at(0, 2, RW, VAREA_POPULATE);
	map_at(3, 2, RW, VAREA_POPULATE);
	EXPECT_EQ(aspace_protect(fx_as, U, 5 * PG, RO), E_NOENT);
	EXPECT_EQ(aspace_protect(fx_as, U + 5 * PG, PG, RO), E_NOENT);
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 2);
	expect_varea(0, 0, 2, RW);
	expect_varea(1, 3, 2, RW);
	EXPECT_EQ(*fx_word(fx_as, U) + 1, 1);
	EXPECT_EQ(fx_fault(fx_as, U + 4 * PG, FAULT_WRITE), FAULT_FIXED);
	check();
	fx_teardown();
}

static void test_protect_to_no_access_keeps_the_pages(void)
{
	fx_setup(3);
	map_at(0, 3, RW, 0);
	put(1, 0xabc);
	ASSERT_OK(aspace_protect(fx_as, U, 3 * PG, 0));
	EXPECT_NULL(fx_word(fx_as, U + PG));     /* no leaf ... */
	EXPECT_EQ(fx_data_frames(), 1);          /* ... but the page is kept */
	EXPECT_EQ(fx_fault(fx_as, U + PG, FAULT_READ), FAULT_DENIED);
	ASSERT_OK(aspace_protect(fx_as, U + PG, PG, RO));
	EXPECT_EQ(fx_fault(fx_as, U + PG, FAULT_READ), FAULT_FIXED);
	EXPECT_EQ_U(*fx_word(fx_as, U + PG), 0xabc);
	check();
	fx_teardown();
}

/* ---- fixed maps over what is there ---------------------------------------------------- */

static void test_fixed_map_replaces_the_middle(void)
{
	fx_setup(3);
	map_at(0, 6, RW, 0);
	for (unsigned i = 0; i < 6; i++)
		put(i, 300 + i);
	map_at(2, 2, RO, 0);
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 3);
	expect_varea(0, 0, 2, RW);
	expect_varea(1, 2, 2, RO);
	expect_varea(2, 4, 2, RW);
	EXPECT_EQ(v[1].resident, 0);
	EXPECT_EQ(fx_data_frames(), 4);          /* the two replaced pages are gone */
	EXPECT_EQ_U(get(2), 0);                  /* the new memory is zero */
	EXPECT_EQ_U(get(1), 301);
	EXPECT_EQ_U(get(4), 304);
	check();
	fx_teardown();
}

static void test_fixed_map_over_several(void)
{
	fx_setup(3);
	map_at(0, 2, RW, VAREA_POPULATE);
	map_at(2, 2, RO, VAREA_POPULATE);
	map_at(5, 2, RW, VAREA_POPULATE);
	map_at(1, 5, RX, VAREA_POPULATE);
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 3);
	expect_varea(0, 0, 1, RW);
	expect_varea(1, 1, 5, RX);
	expect_varea(2, 6, 1, RW);
	EXPECT_EQ(fx_data_frames(), 2);          /* read-only ones map the zero page */
	check();
	fx_teardown();
}

static void test_map_without_fixed_refuses_overlap(void)
{
	uintptr_t a = U + PG;

	fx_setup(3);
	map_at(0, 2, RW, 0);
	EXPECT_EQ(aspace_map_anon(fx_as, &a, PG, 0, RW, 0), E_EXIST);
	EXPECT_EQ_U(a, U + PG);
	a = U + 2 * PG;
	EXPECT_OK(aspace_map_anon(fx_as, &a, PG, 0, RO, 0));   /* right after: fine */
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), 2);
	check();
	fx_teardown();
}

/* ---- merging --------------------------------------------------------------------------- */

static void test_many_small_maps_merge_into_one(void)
{
	uintptr_t a;

	fx_setup(3);
	for (unsigned i = 0; i < 1000; i++) {
		a = 0;
		ASSERT_OK(aspace_map_anon(fx_as, &a, PG, 0, RW, 0));
		ASSERT_EQ_U(a, PG + i * PG);
	}
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 1);
	EXPECT_EQ_U(v[0].size, 1000 * PG);
	EXPECT_EQ(fx_fault(fx_as, PG + 999 * PG, FAULT_WRITE), FAULT_FIXED);
	check();
	fx_teardown();
}

static void test_fixed_maps_in_any_order_merge(void)
{
	uint64_t seed = 12345;
	unsigned order[256];

	fx_setup(3);
	for (unsigned i = 0; i < 256; i++)
		order[i] = i;
	for (unsigned i = 255; i > 0; i--) {
		unsigned j = tl_rand(&seed) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	/* Populated and written, so merging moves pages between objects. */
	for (unsigned i = 0; i < 256; i++) {
		map_at(order[i], 1, RW, VAREA_POPULATE);
		*fx_word(fx_as, U + order[i] * PG) = 1000 + order[i];
	}
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 1);
	expect_varea(0, 0, 256, RW);
	EXPECT_EQ(v[0].resident, 256);
	for (unsigned i = 0; i < 256; i++)
		EXPECT_EQ_U(get(i), 1000 + i);
	EXPECT_EQ(fx_data_frames(), 256);
	check();
	fx_teardown();
}

/*
 * Pieces of a split object merge with a neighbour's object, in both
 * directions of page movement; the object keeps count of its vareas, or
 * the later merges here would be refused.
 */
static void test_split_pieces_merge_with_neighbours(void)
{
	fx_setup(3);
	/* The neighbour has more pages: its pages stay, the piece's move. */
	map_at(0, 5, RW, 0);
	put(0, 50);
	ASSERT_OK(aspace_protect(fx_as, U + 2 * PG, PG, RO));
	map_at(5, 3, RW, VAREA_POPULATE);
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), 3);
	ASSERT_OK(aspace_protect(fx_as, U + 2 * PG, PG, RW));
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 1);
	expect_varea(0, 0, 8, RW);
	/* The new varea has as many pages: the piece's move into its object. */
	map_at(20, 5, RW, VAREA_POPULATE);
	ASSERT_OK(aspace_protect(fx_as, U + 22 * PG, PG, RO));
	map_at(18, 2, RW, VAREA_POPULATE);
	put(18, 58);
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), 4);
	ASSERT_OK(aspace_protect(fx_as, U + 22 * PG, PG, RW));
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 2);
	expect_varea(1, 18, 7, RW);
	EXPECT_EQ_U(get(0), 50);
	EXPECT_EQ_U(get(18), 58);
	EXPECT_EQ(fx_data_frames(), 1 + 3 + 5 + 2);
	check();
	fx_teardown();
}

static void test_incompatible_neighbours_do_not_merge(void)
{
	fx_setup(3);
	map_at(0, 1, RW, 0);
	map_at(1, 1, RO, 0);                     /* perms */
	map_at(2, 1, RO, VAREA_STACK);           /* flags */
	ASSERT_OK(aspace_map_phys(fx_as, &(uintptr_t){ U + 3 * PG }, FAKE_RAM_BASE, PG, 0, RO,
	                          MAP_FIXED));   /* object kind */
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), 4);
	check();
	fx_teardown();
}

/* ---- physical objects ------------------------------------------------------------------- */

static void test_phys_maps_blocks_and_takes_no_frames(void)
{
	uintptr_t a = 0;
	paddr_t pa = FAKE_RAM_BASE + (4ull << 20);   /* 2 MiB aligned */
	struct aspace_query q;
	uint64_t leaf;
	unsigned refs;

	fx_setup(3);
	refs = page_refcount(pa_to_page(pa));
	ASSERT_OK(aspace_map_phys(fx_as, &a, pa, 4ull << 20, 2ull << 20, RW, VAREA_POPULATE));
	EXPECT_EQ_U(a & ((2ull << 20) - 1), 0);
	ASSERT_OK(pt_query(fx_as->pt, a + 0x1000, NULL, NULL, &leaf));
	EXPECT_EQ_U(leaf, 2ull << 20);
	EXPECT_EQ(fake_pt_alloc_live(), 3);      /* two roots and one level-1 table */
	EXPECT_EQ(fx_vareas(fx_as, v, MAXV), 1);
	EXPECT_EQ(v[0].resident, 1024);
	ASSERT_OK(aspace_query(fx_as, a + (3ull << 20), &q));
	EXPECT_EQ_U(q.pa, pa + (3ull << 20));
	EXPECT_STREQ(q.obj_name, "phys");
	check();
	/* Unmapping a page inside a block splits the block, and the varea. */
	ASSERT_OK(aspace_unmap(fx_as, a + (1ull << 20), PG));
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 2);
	EXPECT_EQ(v[0].resident, 256);
	EXPECT_EQ(v[1].resident, 767);
	check();
	ASSERT_OK(aspace_unmap(fx_as, a, 4ull << 20));
	EXPECT_EQ(page_refcount(pa_to_page(pa)), refs);   /* never taken */
	fx_teardown();
}

/* A sealed physical mapping never gets more than it was mapped with. */
static void test_sealed_phys_mapping_cannot_be_widened(void)
{
	uintptr_t a = U;
	struct aspace_query q;

	fx_setup(3);
	ASSERT_OK(aspace_map_phys_sealed(fx_as, &a, FAKE_RAM_BASE, 2 * PG, MMU_READ | MMU_EXEC,
	                                 MAP_FIXED));
	EXPECT_EQ(aspace_protect(fx_as, a, PG, RW), E_PERM);
	EXPECT_EQ(aspace_protect(fx_as, a, 2 * PG, MMU_READ | MMU_WRITE), E_PERM);
	ASSERT_OK(aspace_query(fx_as, a, &q));
	EXPECT_EQ(q.perms, MMU_READ | MMU_EXEC);   /* nothing changed */
	EXPECT_OK(aspace_protect(fx_as, a, PG, MMU_READ));
	EXPECT_OK(aspace_protect(fx_as, a, 2 * PG, MMU_READ | MMU_EXEC));
	a = U + 4 * PG;
	EXPECT_OK(aspace_map_phys_sealed(fx_as, &a, FAKE_RAM_BASE, PG, MMU_READ, MAP_FIXED));
	EXPECT_EQ(aspace_protect(fx_as, a, PG, MMU_READ | MMU_EXEC), E_PERM);
	check();
	fx_teardown();
}

static void test_phys_lazy_and_device(void)
{
	uintptr_t a = 0;
	struct aspace_query q;

	fx_setup(3);
	ASSERT_OK(aspace_map_phys(fx_as, &a, 0x10000000, 4 * PG, 0, RW, VAREA_DEVICE));
	ASSERT_OK(aspace_query(fx_as, a, &q));
	EXPECT_FALSE(q.mapped);
	EXPECT_EQ(fx_fault(fx_as, a + 2 * PG, FAULT_WRITE), FAULT_FIXED);
	ASSERT_OK(aspace_query(fx_as, a + 2 * PG, &q));
	EXPECT_TRUE(q.mapped);
	EXPECT_EQ_U(q.pa, 0x10002000);
	EXPECT_EQ(q.mmu_flags, RW | MMU_USER | MMU_DEVICE);
	EXPECT_EQ(fx_data_frames(), 0);
	check();
	fx_teardown();
}

static void test_contiguous_phys_maps_merge(void)
{
	uintptr_t a;

	fx_setup(3);
	for (unsigned i = 0; i < 8; i++) {
		a = U + i * PG;
		ASSERT_OK(aspace_map_phys(fx_as, &a, FAKE_RAM_BASE + i * PG, PG, 0, RO,
		                          MAP_FIXED | VAREA_POPULATE));
	}
	ASSERT_EQ(fx_vareas(fx_as, v, MAXV), 1);
	expect_varea(0, 0, 8, RO);
	check();
	fx_teardown();
}

/* ---- gap search and scale ------------------------------------------------------------------ */

static void test_gap_search_honours_alignment(void)
{
	uintptr_t a = 0, b = 0, c = 0;

	fx_setup(3);
	ASSERT_OK(aspace_map_anon(fx_as, &a, 3 * PG, 0, RW, 0));
	ASSERT_OK(aspace_map_anon(fx_as, &b, PG, 16 * PG, RO, 0));
	EXPECT_EQ_U(b, 16 * PG);
	ASSERT_OK(aspace_map_anon(fx_as, &c, 8 * PG, 8 * PG, RX, 0));
	EXPECT_EQ_U(c, 8 * PG);                  /* fits the hole below b */
	c = 0;
	ASSERT_OK(aspace_map_anon(fx_as, &c, 2 * PG, 0, RX, 0));
	EXPECT_EQ_U(c, 4 * PG);                  /* the first fit */
	c = 0;
	ASSERT_OK(aspace_map_anon(fx_as, &c, PG, 1ul << 30, RO, 0));
	EXPECT_EQ_U(c, 1ul << 30);
	check();
	fx_teardown();
}

static void test_gap_search_when_full(void)
{
	uintptr_t a = PG, b;
	uint64_t room;

	fx_setup(3);
	room = fx_as->end - fx_as->base;
	b = 0;
	EXPECT_EQ(aspace_map_anon(fx_as, &b, room + PG, 0, RW, 0), E_NOMEM);
	/* No access, so no pages: all but the top 16 pages. */
	ASSERT_OK(aspace_map_anon(fx_as, &a, room - 16 * PG, 0, 0, MAP_FIXED));
	b = 0;
	EXPECT_EQ(aspace_map_anon(fx_as, &b, 32 * PG, 0, RW, 0), E_NOMEM);
	EXPECT_EQ(aspace_map_anon(fx_as, &b, 16 * PG, 32 * PG, RW, 0), E_NOMEM);
	ASSERT_OK(aspace_map_anon(fx_as, &b, 16 * PG, 0, RW, 0));
	EXPECT_EQ_U(b, fx_as->end - 16 * PG);
	check();
	fx_teardown();
}

static void test_ten_thousand_vareas_lookups(void)
{
	enum { N = 10000 };
	static uintptr_t starts[N];
	uint64_t seed = 99;
	struct aspace_query q;
	uintptr_t a;

	fx_setup(4);
	/* Neighbours alternate perms, so none merge. */
	for (unsigned i = 0; i < N; i++) {
		a = 0;
		ASSERT_OK(aspace_map_anon(fx_as, &a, PG * (1 + i % 3), 0, i % 2 ? RO : RW, 0));
	}
	EXPECT_EQ(fx_as->nvareas, N);
	EXPECT_EQ(fx_vareas(fx_as, NULL, 0), N);
	a = PG;
	for (unsigned i = 0; i < N; i++) {
		starts[i] = a;
		a += PG * (1 + i % 3);
	}
	for (unsigned k = 0; k < 20000; k++) {
		unsigned i = tl_rand(&seed) % N;
		uintptr_t at = starts[i] + (tl_rand(&seed) % (1 + i % 3)) * PG + 8;

		ASSERT_OK(aspace_query(fx_as, at, &q));
		ASSERT_EQ_U(q.start, starts[i]);
		ASSERT_EQ_U(q.size, PG * (1 + i % 3));
		ASSERT_EQ(q.perms, i % 2 ? RO : RW);
	}
	EXPECT_EQ(aspace_query(fx_as, a, &q), E_NOENT);
	/* Holes every 10th varea, found again first-fit from the bottom. */
	for (unsigned i = 5; i < N; i += 10)
		ASSERT_OK(aspace_unmap(fx_as, starts[i], PG * (1 + i % 3)));
	for (unsigned i = 5; i < N; i += 10) {
		uintptr_t b = 0;

		ASSERT_OK(aspace_map_anon(fx_as, &b, PG * (1 + i % 3), 0, RX, 0));
		ASSERT_EQ_U(b, starts[i]);
	}
	check();
	fx_teardown();
}

/* ---- bad input ----------------------------------------------------------------------------- */

static void test_bad_input_changes_nothing(void)
{
	struct fx_varea before[4], after[4];
	uint64_t tables, data, w = U + 4 * PG;
	uintptr_t a;
	struct mem_obj *obj;
	const struct {
		uintptr_t addr;
		uint64_t size, align;
		unsigned perms, flags;
		int rc;
	} maps[] = {
		{ U, 0, 0, RW, MAP_FIXED, E_INVAL },                    /* size 0 */
		{ U, 100, 0, RW, MAP_FIXED, E_ALIGN },                  /* size */
		{ U + 1, PG, 0, RW, MAP_FIXED, E_ALIGN },               /* address */
		{ U, PG, 3 * PG, RW, 0, E_ALIGN },                      /* align not 2^n */
		{ U, PG, PG / 2, RW, 0, E_ALIGN },                      /* align below a page */
		{ U + PG, PG, 2 * PG, RW, MAP_FIXED, E_ALIGN },         /* addr vs align */
		{ U, PG, 0, RW | MMU_EXEC, MAP_FIXED, E_PERM },         /* W+X */
		{ U, PG, 0, RW | 0x80, MAP_FIXED, E_INVAL },            /* unknown perm */
		{ U, PG, 0, MMU_USER | RW, MAP_FIXED, E_INVAL },        /* not a varea perm */
		{ U, PG, 0, MMU_WRITE, MAP_FIXED, E_INVAL },            /* write, no read */
		{ U, PG, 0, RW, MAP_FIXED | (1u << 20), E_INVAL },      /* unknown flag */
		{ ~(uintptr_t)0 & ~PAGE_MASK, 2 * PG, 0, RW, MAP_FIXED, E_OVERFLOW },
		{ KERNEL_VAREA_BASE, PG, 0, RW, MAP_FIXED, E_RANGE },   /* kernel half */
		{ 0, PG, 0, RW, MAP_FIXED, E_RANGE },                   /* page 0 */
		{ U + 4 * PG, PG, 0, RW, 0, E_EXIST },                  /* no MAP_FIXED */
		{ 0, 1ull << 40, 0, RW, 0, E_NOMEM },                   /* too big anywhere */
	};

	fx_setup(3);
	map_at(4, 2, RW, VAREA_POPULATE);
	*fx_word(fx_as, w) = 77;
	tables = fake_pt_alloc_live();
	data = fx_data_frames();
	ASSERT_EQ(fx_vareas(fx_as, before, 4), 1);
	for (unsigned i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		a = maps[i].addr;
		EXPECT_EQ(aspace_map_anon(fx_as, &a, maps[i].size, maps[i].align, maps[i].perms,
		                          maps[i].flags), maps[i].rc);
		EXPECT_EQ_U(a, maps[i].addr);
	}
	a = U;
	EXPECT_EQ(aspace_map(fx_as, &a, PG, 0, RW, MAP_FIXED, NULL, 0), E_INVAL);
	obj = anon_obj_create(4 * PG);
	ASSERT_NOT_NULL(obj);
	EXPECT_EQ(aspace_map(fx_as, &a, PG, 0, RW, MAP_FIXED, obj, 100), E_ALIGN);
	EXPECT_EQ(aspace_map(fx_as, &a, 2 * PG, 0, RW, MAP_FIXED, obj, ~0ull & ~PAGE_MASK),
	          E_OVERFLOW);
	EXPECT_EQ(obj->refcount, 1);
	mem_obj_put(obj);
	EXPECT_EQ(aspace_map_phys(fx_as, &a, 0x1001, PG, 0, RW, MAP_FIXED), E_ALIGN);
	EXPECT_EQ(aspace_map_phys(fx_as, &a, ~0ull & ~PAGE_MASK, 2 * PG, 0, RW, MAP_FIXED),
	          E_OVERFLOW);

	EXPECT_EQ(aspace_unmap(fx_as, U, 0), E_INVAL);
	EXPECT_EQ(aspace_unmap(fx_as, U + 1, PG), E_ALIGN);
	EXPECT_EQ(aspace_unmap(fx_as, U, 10), E_ALIGN);
	EXPECT_EQ(aspace_unmap(fx_as, ~(uintptr_t)0 & ~PAGE_MASK, 2 * PG), E_OVERFLOW);
	EXPECT_EQ(aspace_unmap(fx_as, KERNEL_VAREA_BASE, PG), E_RANGE);
	EXPECT_EQ(aspace_unmap(fx_as, 0, 8 * PG), E_RANGE);

	EXPECT_EQ(aspace_protect(fx_as, w, 0, RO), E_INVAL);
	EXPECT_EQ(aspace_protect(fx_as, w + 8, PG, RO), E_ALIGN);
	EXPECT_EQ(aspace_protect(fx_as, w, PG, RW | MMU_EXEC), E_PERM);
	EXPECT_EQ(aspace_protect(fx_as, w, PG, 0x40 | MMU_READ), E_INVAL);
	EXPECT_EQ(aspace_protect(fx_as, w, PG, MMU_EXEC), E_INVAL);
	EXPECT_EQ(aspace_protect(fx_as, w, 3 * PG, RO), E_NOENT);
	EXPECT_EQ(aspace_protect(fx_as, U, 5 * PG, RO), E_NOENT);
	EXPECT_EQ(aspace_protect(fx_as, KERNEL_VAREA_BASE, PG, RO), E_RANGE);

	ASSERT_EQ(fx_vareas(fx_as, after, 4), 1);
	EXPECT_EQ(memcmp(before, after, sizeof(before[0])), 0);
	EXPECT_EQ(fake_pt_alloc_live(), tables);
	EXPECT_EQ(fx_data_frames(), data);
	EXPECT_EQ_U(*fx_word(fx_as, w), 77);
	EXPECT_EQ(fx_word(fx_as, w + PG) != NULL, 1);
	check();
	fx_teardown();
}

/* ---- a foreign object --------------------------------------------------------------- */

/*
 * A memory object of the test's own: one shared frame mapped everywhere,
 * a split hook that refuses on demand, and counts of what the aspace
 * called.
 */
static struct {
	struct mem_obj obj;
	struct page *frame;
	int refuse_split, opens, closes, splits, merges, shrinks, faults, destroyed;
} tobj;

static enum fault_result tobj_fault(struct varea *va, const struct fault *f)
{
	tobj.faults++;
	return varea_map(va, f->addr & ~PAGE_MASK, page_to_pa(tobj.frame), PG) ? FAULT_OOM :
	       FAULT_FIXED;
}

static void tobj_open(struct varea *va) { (void)va; tobj.opens++; }
static void tobj_close(struct varea *va) { (void)va; tobj.closes++; }

static int tobj_split(struct varea *va, struct varea *upper, uintptr_t at)
{
	(void)va;
	(void)upper;
	(void)at;
	if (tobj.refuse_split)
		return E_BUSY;
	tobj.splits++;
	return E_OK;
}

static void tobj_shrink(struct varea *va, uintptr_t start, uint64_t size)
{
	(void)va;
	(void)start;
	(void)size;
	tobj.shrinks++;
}

static int tobj_can_merge(const struct varea *va, const struct varea *next)
{
	return va->obj == next->obj && next->offset == va->offset + va->size;
}

static void tobj_merge(struct varea *va, struct varea *next)
{
	(void)va;
	(void)next;
	tobj.merges++;
}

static void tobj_destroy(struct mem_obj *obj)
{
	(void)obj;
	tobj.destroyed++;
}

static const struct mem_obj_ops tobj_ops = {
	.name = "test", .fault = tobj_fault, .open = tobj_open, .close = tobj_close,
	.split = tobj_split, .shrink = tobj_shrink, .can_merge = tobj_can_merge,
	.merge = tobj_merge, .destroy = tobj_destroy,
};

static void test_foreign_object_hooks_and_refused_split(void)
{
	uintptr_t a = U;
	struct fx_varea before[4], after[4];

	fx_setup(3);
	memset(&tobj, 0, sizeof(tobj));
	tobj.obj.ops = &tobj_ops;
	tobj.obj.refcount = 1;
	tobj.frame = page_alloc(0, PAGE_ZERO);
	ASSERT_NOT_NULL(tobj.frame);
	ASSERT_OK(aspace_map(fx_as, &a, 4 * PG, 0, RO, MAP_FIXED | VAREA_POPULATE, &tobj.obj, 0));
	EXPECT_EQ(tobj.obj.refcount, 2);
	EXPECT_EQ(tobj.opens, 1);
	EXPECT_EQ(tobj.faults, 4);
	map_at(4, 2, RW, VAREA_POPULATE);        /* an anon neighbour, which splits fine */
	put(5, 555);
	ASSERT_EQ(fx_vareas(fx_as, before, 4), 2);
	/* Every path that has to split refuses, and changes nothing. */
	tobj.refuse_split = 1;
	EXPECT_EQ(aspace_unmap(fx_as, U + PG, PG), E_BUSY);
	EXPECT_EQ(aspace_protect(fx_as, U + PG, 2 * PG, 0), E_BUSY);
	a = U + PG;
	EXPECT_EQ(aspace_map_anon(fx_as, &a, PG, 0, RW, MAP_FIXED), E_BUSY);
	a = U + 3 * PG;                          /* the anon one splits, then this refuses */
	EXPECT_EQ(aspace_map_anon(fx_as, &a, 2 * PG, 0, RW, MAP_FIXED), E_BUSY);
	ASSERT_EQ(fx_vareas(fx_as, after, 4), 2);
	EXPECT_EQ(memcmp(before, after, 2 * sizeof(before[0])), 0);
	EXPECT_EQ_U(get(5), 555);
	EXPECT_EQ(tobj.obj.refcount, 2);
	EXPECT_EQ(tobj.merges, 0);
	check();
	/* Allowed: split, then merged back by protecting again. */
	tobj.refuse_split = 0;
	ASSERT_OK(aspace_protect(fx_as, U + PG, PG, 0));
	EXPECT_EQ(tobj.splits, 2);
	EXPECT_EQ(tobj.obj.refcount, 4);
	ASSERT_OK(aspace_protect(fx_as, U + PG, PG, RO));
	EXPECT_EQ(tobj.merges, 2);
	EXPECT_EQ(fx_vareas(fx_as, after, 4), 2);
	ASSERT_OK(aspace_unmap(fx_as, U, PG));
	EXPECT_EQ(tobj.shrinks, 1);
	ASSERT_OK(aspace_unmap(fx_as, U, 4 * PG));
	EXPECT_EQ(tobj.closes, 1);
	EXPECT_EQ(tobj.obj.refcount, 1);
	EXPECT_EQ(page_refcount(tobj.frame), 1);   /* mappings took nothing */
	mem_obj_put(&tobj.obj);
	EXPECT_EQ(tobj.destroyed, 1);
	page_free(tobj.frame, 0);
	fx_teardown();
}

/* ---- objects and aspaces ------------------------------------------------------------------ */

/* The hooks are called with the aspace's lock held, as the aspace calls them. */
static void test_anon_page_read_and_write(void)
{
	uintptr_t a = 0;
	static uint64_t buf[PAGE_SIZE / 8];
	struct varea *va;
	struct mem_obj *obj;
	unsigned long irq;

	fx_setup(3);
	ASSERT_OK(aspace_map_anon(fx_as, &a, 2 * PG, 0, RW, 0));
	irq = spin_lock_irqsave(&fx_as->lock);
	va = aspace_find_locked(fx_as, a);
	obj = va->obj;
	buf[0] = 1;
	EXPECT_EQ(obj->ops->page_read(obj, va->offset, buf), E_NOENT);
	EXPECT_EQ_U(buf[0], 0);
	buf[0] = 0x5151;
	EXPECT_OK(obj->ops->page_write(obj, va->offset + PG, buf));
	spin_unlock_irqrestore(&fx_as->lock, irq);
	EXPECT_EQ(fx_data_frames(), 1);
	EXPECT_EQ(fx_fault(fx_as, a + PG, FAULT_READ), FAULT_FIXED);   /* finds it */
	EXPECT_EQ_U(*fx_word(fx_as, a + PG), 0x5151);
	EXPECT_EQ(fx_data_frames(), 1);
	irq = spin_lock_irqsave(&fx_as->lock);
	EXPECT_EQ(obj->ops->page_read(obj, va->offset + 2 * PG, buf), E_RANGE);
	EXPECT_EQ(obj->ops->page_read(obj, va->offset + 8, buf), E_RANGE);
	spin_unlock_irqrestore(&fx_as->lock, irq);
	check();
	fx_teardown();
}

static void test_expand_hooks(void)
{
	static uint64_t buf[PAGE_SIZE / 8];
	uintptr_t a = 0, p = U;
	struct varea *va;
	unsigned long irq;

	fx_setup(3);
	ASSERT_OK(aspace_map_anon(fx_as, &a, 2 * PG, 0, RW, 0));
	irq = spin_lock_irqsave(&fx_as->lock);
	va = aspace_find_locked(fx_as, a);
	EXPECT_EQ(va->obj->ops->page_write(va->obj, va->offset + 3 * PG, buf), E_RANGE);
	EXPECT_OK(va->obj->ops->expand(va, 2 * PG));      /* the object serves more now */
	EXPECT_OK(va->obj->ops->page_write(va->obj, va->offset + 3 * PG, buf));
	mem_obj_get(va->obj);                    /* someone else holds it: no growing */
	EXPECT_EQ(va->obj->ops->expand(va, PG), E_BUSY);
	mem_obj_put(va->obj);
	spin_unlock_irqrestore(&fx_as->lock, irq);
	ASSERT_OK(aspace_map_phys(fx_as, &p, FAKE_RAM_BASE, PG, 0, RO, MAP_FIXED));
	irq = spin_lock_irqsave(&fx_as->lock);
	va = aspace_find_locked(fx_as, p);
	EXPECT_EQ(va->obj->ops->expand(va, PG), E_RANGE);
	spin_unlock_irqrestore(&fx_as->lock, irq);
	check();
	fx_teardown();
}

static void test_switch_gives_an_asid(void)
{
	struct aspace *b;

	fx_setup(3);
	ASSERT_OK(aspace_create("b", &b));
	aspace_switch(fx_as);
	EXPECT_EQ_U(aspace_current(), fx_as);
	EXPECT_NE(fx_as->pt->asid, 0);
	aspace_switch(b);
	EXPECT_NE(b->pt->asid, 0);
	EXPECT_NE(b->pt->asid, fx_as->pt->asid);
	aspace_destroy(b);                       /* the current one: switched away */
	EXPECT_NULL(aspace_current());
	EXPECT_EQ(asid_in_use(), 1);
	fx_teardown();
}

static void test_destroy_frees_everything(void)
{
	struct aspace *b;
	uintptr_t a = 0;

	fx_setup(4);
	ASSERT_OK(aspace_create("b", &b));
	ASSERT_OK(aspace_map_anon(b, &a, 64 * PG, 0, RW, VAREA_POPULATE));
	a = 1ul << 39;
	ASSERT_OK(aspace_map_anon(b, &a, 2 * PG, 0, RO, VAREA_POPULATE | MAP_FIXED));
	ASSERT_OK(aspace_map_phys(b, &(uintptr_t){ 0 }, FAKE_RAM_BASE, 16 * PG, 0, RO,
	                          VAREA_POPULATE));
	EXPECT_EQ(fx_data_frames(), 64);         /* the read-only two map the zero page */
	aspace_destroy(b);
	EXPECT_EQ(fx_data_frames(), 0);
	fx_teardown();
}

KTEST_SUITE(aspace_host,
	KTEST_CASE(test_lazy_map_takes_no_frame),
	KTEST_CASE(test_first_read_sees_zeros),
	KTEST_CASE(test_first_write_takes_one_frame_unmap_frees_it),
	KTEST_CASE(test_populate_maps_every_page_now),
	KTEST_CASE(test_read_fault_maps_the_zero_page_write_gets_a_frame),
	KTEST_CASE(test_zero_page_stays_read_only_through_protect_and_discard),
	KTEST_CASE(test_write_after_protect_read_only_is_denied),
	KTEST_CASE(test_denied_accesses),
	KTEST_CASE(test_fault_without_varea),
	KTEST_CASE(test_stack_guard_page),
	KTEST_CASE(test_fault_on_mapped_page_is_fixed_and_flushed),
	KTEST_CASE(test_user_fault_on_kernel_aspace_is_denied),
	KTEST_CASE(test_fault_under_its_own_lock_panics),
	KTEST_CASE(test_unmap_middle_splits),
	KTEST_CASE(test_unmap_shrinks_either_end),
	KTEST_CASE(test_unmap_spanning_several_vareas),
	KTEST_CASE(test_unmap_of_nothing_is_fine),
	KTEST_CASE(test_unmap_keeps_tables_a_neighbour_overlaps),
	KTEST_CASE(test_unmap_keeps_an_empty_table_until_its_last_varea_goes),
	KTEST_CASE(test_check_reports_an_empty_table_no_varea_needs),
	KTEST_CASE(test_protect_middle_splits_in_three),
	KTEST_CASE(test_protect_either_end),
	KTEST_CASE(test_protect_spanning_several_vareas),
	KTEST_CASE(test_protect_with_a_hole_changes_nothing),
	KTEST_CASE(test_protect_to_no_access_keeps_the_pages),
	KTEST_CASE(test_fixed_map_replaces_the_middle),
	KTEST_CASE(test_fixed_map_over_several),
	KTEST_CASE(test_map_without_fixed_refuses_overlap),
	KTEST_CASE(test_many_small_maps_merge_into_one),
	KTEST_CASE(test_fixed_maps_in_any_order_merge),
	KTEST_CASE(test_split_pieces_merge_with_neighbours),
	KTEST_CASE(test_incompatible_neighbours_do_not_merge),
	KTEST_CASE(test_phys_maps_blocks_and_takes_no_frames),
	KTEST_CASE(test_sealed_phys_mapping_cannot_be_widened),
	KTEST_CASE(test_phys_lazy_and_device),
	KTEST_CASE(test_contiguous_phys_maps_merge),
	KTEST_CASE(test_gap_search_honours_alignment),
	KTEST_CASE(test_gap_search_when_full),
	KTEST_CASE(test_ten_thousand_vareas_lookups),
	KTEST_CASE(test_bad_input_changes_nothing),
	KTEST_CASE(test_foreign_object_hooks_and_refused_split),
	KTEST_CASE(test_anon_page_read_and_write),
	KTEST_CASE(test_expand_hooks),
	KTEST_CASE(test_switch_gives_an_asid),
	KTEST_CASE(test_destroy_frees_everything),
	KTEST_CASE(test_emptied_tables_are_spares_for_the_next_fault));
