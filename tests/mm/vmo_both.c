/*
 * Memory objects (<mm/vmo.h>) and the mappings over them, in the kernel
 * (QEMU, both arches: user aspaces switched in and touched with
 * copy_to_user / copy_from_user through the real trap path) and on the
 * host (the same code over the fake arch).  Shared mappings in two
 * aspaces and across fork, snapshot clones at depth with either side
 * destroyed first, slices, decommit, shrink, pins, the physical lookup,
 * cache policies in the tables, cache maintenance, private copy-on-write
 * mappings over objects, madvise DONTNEED, and every bad argument.
 * Every aspace is checked (aspace_check, pt_audit) before it goes; data
 * frames are counted around each step, and every object must be gone at
 * the end of each case.
 *
 * What differs between kernel and host is in the helpers just below.
 */
#include <string.h>
#include <arch/arch.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include "testlib.h"
#include <mm/aspace.h>
#include <mm/heap.h>
#include <mm/page.h>
#include <mm/pt.h>
#include <mm/usercopy.h>
#include <mm/vmo.h>

#if KTEST_HOST
#include "aspace_fixture.h"
#include "fake_arch.h"

static void setup(void)
{
	fx_setup(4);
}

static void teardown(void)
{
	fx_teardown();
}

static uint64_t data_frames(void)
{
	return fx_data_frames();
}

#else /* the kernel */
#include <mm/kmap.h>

#define RO (MMU_READ)
#define RW (MMU_READ | MMU_WRITE)
#define PG PAGE_SIZE

static uint64_t used_at_start;
static struct aspace *live[4];

static uint64_t used_frames(void)
{
	struct pmm_stats st;
	struct heap_stats hs;

	heap_free_frames_settled();
	pmm_stats(&st);
	heap_stats(&hs);
	return st.total - st.reserved - st.free - hs.slab_pages - hs.large_pages;
}

static void setup(void)
{
	used_at_start = used_frames() - kernel_pt.table_pages;
}

static void teardown(void)
{
}

/* Frames in use since setup() that are neither heap nor table pages. */
static uint64_t data_frames(void)
{
	uint64_t tables = kernel_pt.table_pages;

	for (unsigned i = 0; i < 4; i++)
		tables += live[i] ? live[i]->pt->table_pages : 0;
	return used_frames() - used_at_start - tables;
}
#endif

#define BASE 0x10000000ul
#define OTHER 0x30000000ul

static uint64_t objects_at_start;

static void begin(void)
{
	setup();
	objects_at_start = vmo_count();
}

static void end(void)
{
	aspace_switch(NULL);
	EXPECT_EQ(vmo_count(), objects_at_start);
	teardown();
}

static struct aspace *new_as(void)
{
	struct aspace *as = NULL;

	ASSERT_OK(aspace_create("vmo", &as));
#if !KTEST_HOST
	for (unsigned i = 0; i < 4; i++)
		if (!live[i]) {
			live[i] = as;
			break;
		}
#endif
	return as;
}

static void done(struct aspace *as)
{
	EXPECT_EQ(aspace_check(as), 0);
	EXPECT_EQ(pt_audit(as->pt), 0);
	aspace_destroy(as);
#if !KTEST_HOST
	for (unsigned i = 0; i < 4; i++)
		if (live[i] == as)
			live[i] = NULL;
#endif
}

static uint64_t obj_word(struct vmo *v, uint64_t offset)
{
	uint64_t w = ~0ull;

	EXPECT_OK(vmo_read(v, offset, &w, sizeof(w)));
	return w;
}

static void set_word(struct vmo *v, uint64_t offset, uint64_t w)
{
	EXPECT_OK(vmo_write(v, offset, &w, sizeof(w)));
}

static int mapped(struct aspace *as, uintptr_t addr, struct aspace_query *q)
{
	struct aspace_query tmp;

	if (!q)
		q = &tmp;
	return aspace_query(as, addr, q) == E_OK && q->mapped;
}

static struct vmo *new_vmo(uint64_t pages, unsigned flags, const char *name)
{
	struct vmo *v = NULL;

	ASSERT_OK(vmo_create(pages * PG, flags, name, &v));
	return v;
}

static void map_shared(struct aspace *as, uintptr_t addr, struct vmo *v, uint64_t off,
                       uint64_t pages)
{
	uintptr_t a = addr;

	ASSERT_OK(aspace_map(as, &a, pages * PG, 0, RW, MAP_FIXED, vmo_obj(v), off));
}

/* ---- shared mappings -------------------------------------------------------------- */

static void test_two_aspaces_share_writes_and_survive_unmap(void)
{
	begin();
	struct aspace *a = new_as(), *b = new_as();
	struct vmo *v = new_vmo(4, 0, "shared");

	map_shared(a, BASE, v, 0, 4);
	map_shared(b, OTHER, v, 0, 4);
	map_shared(b, OTHER + 8 * PG, v, 2 * PG, 2);   /* the same aspace, twice */
	vmo_put(v);                                      /* the mappings hold it */
	ASSERT_OK(tl_user_put(a, BASE + PG, 11));
	EXPECT_EQ_U(tl_user_get(b, OTHER + PG), 11);
	ASSERT_OK(tl_user_put(b, OTHER + 2 * PG, 22));
	EXPECT_EQ_U(tl_user_get(a, BASE + 2 * PG), 22);
	EXPECT_EQ_U(tl_user_get(b, OTHER + 8 * PG), 22);
	EXPECT_EQ(data_frames(), 2);
	EXPECT_EQ(aspace_check(a), 0);
	EXPECT_EQ(aspace_check(b), 0);

	/* Either side's unmap leaves the other's data where it was. */
	ASSERT_OK(aspace_unmap(a, BASE, 4 * PG));
	EXPECT_EQ(aspace_check(b), 0);
	EXPECT_EQ_U(tl_user_get(b, OTHER + PG), 11);
	EXPECT_EQ_U(tl_user_get(b, OTHER + 2 * PG), 22);
	map_shared(a, BASE, v, 0, 4);   /* b's mappings hold it */
	EXPECT_EQ_U(tl_user_get(a, BASE + 2 * PG), 22);
	done(b);
	EXPECT_EQ(aspace_check(a), 0);
	EXPECT_EQ_U(tl_user_get(a, BASE + PG), 11);
	EXPECT_EQ(data_frames(), 2);
	done(a);
	EXPECT_EQ(data_frames(), 0);
	end();
}

static void test_shared_mapping_stays_shared_across_fork(void)
{
	begin();
	struct aspace *a = new_as(), *c = NULL;
	struct vmo *v = new_vmo(2, 0, "fork-shared");
	uintptr_t priv = BASE + 16 * PG;

	map_shared(a, BASE, v, 0, 2);
	ASSERT_OK(aspace_map_anon(a, &priv, PG, 0, RW, MAP_FIXED));
	ASSERT_OK(tl_user_put(a, BASE, 1));
	ASSERT_OK(tl_user_put(a, priv, 2));
	ASSERT_OK(aspace_fork(a, &c));
#if !KTEST_HOST
	live[2] = c;
#endif
	ASSERT_OK(tl_user_put(c, BASE, 10));
	EXPECT_EQ_U(tl_user_get(a, BASE), 10);
	ASSERT_OK(tl_user_put(a, BASE + PG, 20));
	EXPECT_EQ_U(tl_user_get(c, BASE + PG), 20);
	EXPECT_EQ_U(obj_word(v, PG), 20);
	/* The private page beside it is copied on write as before. */
	ASSERT_OK(tl_user_put(c, priv, 3));
	EXPECT_EQ_U(tl_user_get(a, priv), 2);
	done(a);
	EXPECT_EQ_U(tl_user_get(c, BASE), 10);
	EXPECT_EQ_U(obj_word(v, 0), 10);
	done(c);
	vmo_put(v);
	EXPECT_EQ(data_frames(), 0);
	end();
}

/* The bug this module fixes: an anonymous object is private to one mapping. */
static void test_second_map_of_an_anonymous_object_is_refused(void)
{
	begin();
	struct aspace *a = new_as(), *b = new_as();
	struct mem_obj *obj = anon_obj_create(2 * PG);
	uintptr_t x = BASE, y = OTHER;

	ASSERT_NOT_NULL(obj);
	ASSERT_OK(aspace_map(a, &x, 2 * PG, 0, RW, MAP_FIXED, obj, 0));
	EXPECT_EQ(aspace_map(b, &y, 2 * PG, 0, RW, MAP_FIXED, obj, 0), E_BUSY);
	y = BASE + 8 * PG;
	EXPECT_EQ(aspace_map(a, &y, 2 * PG, 0, RW, MAP_FIXED, obj, 0), E_BUSY);
	EXPECT_EQ(aspace_query(b, OTHER, &(struct aspace_query){ 0 }), E_NOENT);
	mem_obj_put(obj);
	ASSERT_OK(tl_user_put(a, BASE, 5));
	done(b);
	EXPECT_EQ_U(tl_user_get(a, BASE), 5);
	done(a);
	end();
}

/* ---- clones and slices --------------------------------------------------------------- */

static void fill(struct vmo *v, uint64_t pages, uint64_t tag)
{
	for (uint64_t i = 0; i < pages; i++)
		set_word(v, i * PG, tag + i);
}

static void test_snapshot_clone_keeps_contents_both_ways(void)
{
	begin();
	struct aspace *a = new_as(), *b = new_as();
	struct vmo *v = new_vmo(8, 0, "parent"), *c = NULL;

	fill(v, 8, 100);
	map_shared(a, BASE, v, 0, 8);
	EXPECT_EQ_U(tl_user_get(a, BASE + 3 * PG), 103);
	EXPECT_EQ_U(tl_user_get(a, BASE + 7 * PG), 107);
	EXPECT_EQ(data_frames(), 8);
	ASSERT_OK(vmo_clone(v, 2 * PG, 4 * PG, "clone", &c));
	EXPECT_EQ(data_frames(), 8);                     /* nothing copied */
	EXPECT_FALSE(mapped(a, BASE + 3 * PG, NULL));    /* the cloned range's leaves went */
	EXPECT_TRUE(mapped(a, BASE + 7 * PG, NULL));     /* the rest stayed */
	map_shared(b, OTHER, c, 0, 4);
	EXPECT_EQ_U(tl_user_get(b, OTHER), 102);
	/* The parent writes: the clone keeps the old contents. */
	ASSERT_OK(tl_user_put(a, BASE + 2 * PG, 7));
	EXPECT_EQ_U(tl_user_get(b, OTHER), 102);
	EXPECT_EQ_U(obj_word(c, 0), 102);
	/* The clone writes: the parent keeps its own. */
	ASSERT_OK(tl_user_put(b, OTHER + PG, 8));
	EXPECT_EQ_U(tl_user_get(a, BASE + 3 * PG), 103);
	EXPECT_EQ_U(obj_word(v, 3 * PG), 103);
	EXPECT_EQ_U(obj_word(c, PG), 8);
	set_word(v, 4 * PG, 9);
	EXPECT_EQ_U(obj_word(c, 2 * PG), 104);
	EXPECT_EQ(aspace_check(a), 0);
	EXPECT_EQ(aspace_check(b), 0);
	done(a);
	done(b);
	vmo_put(v);
	EXPECT_EQ_U(obj_word(c, 0), 102);
	EXPECT_EQ_U(obj_word(c, PG), 8);
	EXPECT_EQ_U(obj_word(c, 2 * PG), 104);
	EXPECT_EQ_U(obj_word(c, 3 * PG), 105);
	vmo_put(c);
	EXPECT_EQ(data_frames(), 0);
	end();
}

/* Clones of clones, each written after it was taken, parents destroyed first or last. */
static void test_clones_at_depth_with_the_parent_destroyed_first(void)
{
	enum { DEPTH = 5, PAGES = 3 };
	begin();
	struct vmo *level[DEPTH];

	level[0] = new_vmo(PAGES, 0, "depth0");
	fill(level[0], PAGES, 0);
	for (int d = 1; d < DEPTH; d++) {
		ASSERT_OK(vmo_clone(level[d - 1], 0, PAGES * PG, "depth", &level[d]));
		set_word(level[d - 1], (uint64_t)(d % PAGES) * PG, 1000 + d);   /* the parent moves on */
	}
	/*
	 * Each level was taken before its parent's write, so it shows the
	 * first contents, but for its own write, made when its child was
	 * taken: level d has 1000 + d + 1 at page (d + 1) % PAGES.
	 */
	for (int d = 0; d < DEPTH; d++)
		for (uint64_t p = 0; p < PAGES; p++)
			EXPECT_EQ_U(obj_word(level[d], p * PG),
			            d + 1 < DEPTH && (uint64_t)((d + 1) % PAGES) == p ? 1001u + d : p);
	/* The root and a middle level go first; the others keep their contents. */
	vmo_put(level[0]);
	vmo_put(level[2]);
	EXPECT_EQ_U(obj_word(level[1], 0), 0);
	EXPECT_EQ_U(obj_word(level[1], 2 * PG), 1002);
	EXPECT_EQ_U(obj_word(level[3], PG), 1004);
	EXPECT_EQ_U(obj_word(level[3], 2 * PG), 2);
	EXPECT_EQ_U(obj_word(level[4], 0), 0);
	vmo_put(level[3]);
	EXPECT_EQ_U(obj_word(level[4], PG), 1);
	EXPECT_EQ_U(obj_word(level[4], 2 * PG), 2);
	vmo_put(level[1]);
	vmo_put(level[4]);
	EXPECT_EQ(data_frames(), 0);
	end();
}

static void test_slice_shows_the_parent_pages(void)
{
	begin();
	struct aspace *a = new_as();
	struct vmo *v = new_vmo(6, 0, "whole"), *s = NULL;
	struct vmo_run rv, rs;
	size_t n;

	ASSERT_OK(vmo_commit(v, 0, 6 * PG));
	fill(v, 6, 50);
	ASSERT_OK(vmo_slice(v, 2 * PG, 3 * PG, "slice", &s));
	EXPECT_EQ_U(obj_word(s, 0), 52);
	map_shared(a, BASE, s, 0, 3);
	ASSERT_OK(tl_user_put(a, BASE + PG, 77));
	EXPECT_EQ_U(obj_word(v, 3 * PG), 77);
	set_word(v, 4 * PG, 88);
	EXPECT_EQ_U(tl_user_get(a, BASE + 2 * PG), 88);
	ASSERT_OK(vmo_lookup(v, 3 * PG, PG, &rv, 1, &n));
	ASSERT_OK(vmo_lookup(s, PG, PG, &rs, 1, &n));
	EXPECT_EQ_U(rv.pa, rs.pa);
	EXPECT_EQ(data_frames(), 6);
	vmo_put(v);                   /* the slice holds it */
	EXPECT_EQ_U(obj_word(s, 0), 52);
	done(a);
	vmo_put(s);
	EXPECT_EQ(data_frames(), 0);
	end();
}

/* ---- commit, decommit, resize ---------------------------------------------------- */

static void test_decommit_frees_frames_and_leaves(void)
{
	begin();
	struct aspace *a = new_as(), *b = new_as();
	struct vmo *v = new_vmo(8, 0, "decommit");
	struct vmo_info info;

	ASSERT_OK(vmo_commit(v, 0, 8 * PG));
	EXPECT_EQ(data_frames(), 8);
	map_shared(a, BASE, v, 0, 8);
	map_shared(b, OTHER, v, 0, 8);
	for (int i = 0; i < 8; i++) {
		ASSERT_OK(tl_user_put(a, BASE + i * PG, 40 + i));
		EXPECT_EQ_U(tl_user_get(b, OTHER + i * PG), 40 + i);
	}
	ASSERT_OK(vmo_decommit(v, 2 * PG, 4 * PG));
	EXPECT_EQ(data_frames(), 4);
	vmo_info(v, &info);
	EXPECT_EQ_U(info.committed, 4);
	EXPECT_EQ_U(info.mappings, 2);
	for (int i = 2; i < 6; i++) {
		EXPECT_FALSE(mapped(a, BASE + i * PG, NULL));
		EXPECT_FALSE(mapped(b, OTHER + i * PG, NULL));
	}
	EXPECT_TRUE(mapped(b, OTHER + 7 * PG, NULL));
	EXPECT_EQ_U(tl_user_get(b, OTHER + 3 * PG), 0);
	EXPECT_EQ_U(tl_user_get(a, BASE + 7 * PG), 47);
	EXPECT_EQ(data_frames(), 5);     /* the read committed a zero page */
	ASSERT_OK(vmo_zero(v, 6 * PG, 2 * PG));
	EXPECT_EQ_U(tl_user_get(a, BASE + 7 * PG), 0);
	EXPECT_EQ(data_frames(), 5);
	done(a);
	done(b);
	vmo_put(v);
	EXPECT_EQ(data_frames(), 0);
	end();
}

static void test_shrink_removes_leaves_in_every_aspace(void)
{
	begin();
	struct aspace *a = new_as(), *b = new_as();
	struct vmo *v = new_vmo(8, VMO_RESIZABLE, "resize");
	uint64_t w;

	map_shared(a, BASE, v, 0, 8);
	map_shared(b, OTHER, v, 4 * PG, 4);
	for (int i = 0; i < 8; i++)
		ASSERT_OK(tl_user_put(a, BASE + i * PG, 60 + i));
	EXPECT_EQ_U(tl_user_get(b, OTHER + PG), 65);
	EXPECT_EQ_U(tl_user_get(b, OTHER), 64);
	ASSERT_OK(vmo_resize(v, 5 * PG));
	EXPECT_EQ(data_frames(), 5);
	EXPECT_EQ_U(vmo_size(v), 5 * PG);
	for (int i = 5; i < 8; i++)
		EXPECT_FALSE(mapped(a, BASE + i * PG, NULL));
	EXPECT_FALSE(mapped(b, OTHER + PG, NULL));
	EXPECT_TRUE(mapped(b, OTHER, NULL));
	/* Past the end: the fault is refused, the copy fails. */
	aspace_switch(b);
	EXPECT_EQ(copy_from_user(&w, OTHER + PG, sizeof(w)), E_FAULT);
	EXPECT_EQ(aspace_check(a), 0);
	EXPECT_EQ(aspace_check(b), 0);
	/* Growing again gives zeros. */
	ASSERT_OK(vmo_resize(v, 8 * PG));
	EXPECT_EQ_U(tl_user_get(b, OTHER + PG), 0);
	EXPECT_EQ_U(tl_user_get(a, BASE + 4 * PG), 64);
	done(a);
	done(b);
	vmo_put(v);
	EXPECT_EQ(data_frames(), 0);
	end();
}

/* ---- pins and physical pages ---------------------------------------------------- */

static void test_pinned_pages_survive_unmap_and_return_at_unpin(void)
{
	begin();
	struct aspace *a = new_as();
	struct vmo *v = new_vmo(4, 0, "pinned");
	struct vmo_run runs[4], again[4];
	size_t n, m;
	struct aspace_query q;

	map_shared(a, BASE, v, 0, 4);
	for (int i = 0; i < 4; i++)
		ASSERT_OK(tl_user_put(a, BASE + i * PG, 90 + i));
	ASSERT_OK(vmo_pin(v, PG, 2 * PG));
	ASSERT_OK(vmo_lookup(v, 0, 4 * PG, runs, 4, &n));
	/* The lookup matches the tables, page by page. */
	for (uint64_t i = 0, r = 0, in = 0; i < 4; i++) {
		ASSERT_TRUE(mapped(a, BASE + i * PG, &q));
		EXPECT_EQ_U(q.pa, runs[r].pa + in);
		in += PG;
		if (in == runs[r].size) {
			r++;
			in = 0;
		}
	}
	EXPECT_EQ(vmo_decommit(v, 0, 4 * PG), E_BUSY);
	EXPECT_EQ(vmo_decommit(v, 2 * PG, PG), E_BUSY);
	ASSERT_OK(vmo_decommit(v, 3 * PG, PG));
	done(a);
	vmo_put(v);                    /* the pin holds it */
	EXPECT_EQ(vmo_count(), objects_at_start + 1);
	EXPECT_EQ(data_frames(), 3);   /* page 0 is the object's, 1 and 2 pinned */
	ASSERT_OK(vmo_lookup(v, PG, 2 * PG, again, 4, &m));
	EXPECT_EQ_U(again[0].pa, runs[0].pa + (runs[0].size > PG ? PG : 0) +
	                                 (runs[0].size > PG ? 0 : runs[1].pa - runs[0].pa));
	EXPECT_EQ_U(obj_word(v, PG), 91);
	EXPECT_EQ(vmo_unpin(v, PG, PG), E_NOENT);
	ASSERT_OK(vmo_unpin(v, PG, 2 * PG));   /* the last reference: all goes */
	EXPECT_EQ(vmo_count(), objects_at_start);
	EXPECT_EQ(data_frames(), 0);
	end();
}

static void test_contiguous_object_is_one_run(void)
{
	begin();
	struct aspace *a = new_as();
	struct vmo *v = new_vmo(5, VMO_CONTIGUOUS, "dma");
	struct vmo_run run;
	struct aspace_query q;
	size_t n;

	ASSERT_OK(vmo_lookup(v, 0, 5 * PG, &run, 1, &n));
	EXPECT_EQ(n, 1);
	EXPECT_EQ_U(run.size, 5 * PG);
	EXPECT_EQ(data_frames(), 8);          /* rounded up to a power of two */
	map_shared(a, BASE, v, 0, 5);
	ASSERT_OK(tl_user_put(a, BASE + 4 * PG, 33));
	ASSERT_TRUE(mapped(a, BASE + 4 * PG, &q));
	EXPECT_EQ_U(q.pa, run.pa + 4 * PG);
	EXPECT_EQ_U(obj_word(v, 4 * PG), 33);
	EXPECT_EQ(vmo_decommit(v, 0, PG), E_NOTSUP);
	ASSERT_OK(vmo_pin(v, 0, 5 * PG));
	ASSERT_OK(vmo_unpin(v, 0, 5 * PG));
	done(a);
	vmo_put(v);
	EXPECT_EQ(data_frames(), 0);
	end();
}

/* ---- cache policy -------------------------------------------------------------------- */

static void policy_in_tables(unsigned policy, unsigned memtype)
{
	struct aspace *a = new_as();
	struct vmo *v = new_vmo(2, 0, "policy");
	struct aspace_query q;
	uint64_t w = 0;

	ASSERT_OK(vmo_commit(v, 0, 2 * PG));
	ASSERT_OK(vmo_set_cache(v, policy));
	map_shared(a, BASE, v, 0, 2);
	aspace_switch(a);
	ASSERT_OK(copy_from_user(&w, BASE, sizeof(w)));
	ASSERT_TRUE(mapped(a, BASE, &q));
	EXPECT_EQ(q.mmu_flags & MMU_MEMTYPE, memtype);
	EXPECT_EQ(pt_audit(a->pt), 0);
	EXPECT_EQ(aspace_check(a), 0);
	EXPECT_EQ(vmo_set_cache(v, VMO_CACHED), E_BUSY);   /* mapped */
	EXPECT_EQ(vmo_read(v, 0, &w, sizeof(w)), E_NOTSUP);
	done(a);
	ASSERT_OK(vmo_set_cache(v, VMO_CACHED));
	vmo_put(v);
}

static void test_uncached_and_write_combining_mappings_have_those_attributes(void)
{
	begin();
	policy_in_tables(VMO_UNCACHED, MMU_UNCACHED);
	policy_in_tables(VMO_WC, MMU_WC);
	policy_in_tables(VMO_DEVICE, MMU_DEVICE);
	EXPECT_EQ(data_frames(), 0);
	end();
}

static void test_cache_maintenance_runs(void)
{
	begin();
	struct vmo *v = new_vmo(3, 0, "maint");
	int want = arch_cache_line() ? E_OK : E_NOTSUP;

	ASSERT_OK(vmo_commit(v, 0, 2 * PG));
	set_word(v, 8, 42);
#if KTEST_HOST
	unsigned long before = fake_cache_ops;
#endif
	EXPECT_EQ(vmo_cache_op(v, 0, 3 * PG, ARCH_CACHE_CLEAN), want);
	EXPECT_EQ(vmo_cache_op(v, 8, 100, ARCH_CACHE_FLUSH), want);
	/* An invalidate after the clean loses nothing. */
	EXPECT_EQ(vmo_cache_op(v, 0, PG, ARCH_CACHE_CLEAN), want);
	EXPECT_EQ(vmo_cache_op(v, 0, PG, ARCH_CACHE_INVAL), want);
	EXPECT_EQ_U(obj_word(v, 8), 42);
#if KTEST_HOST
	EXPECT_EQ(fake_cache_ops - before, 5);   /* two committed pages, then one, one, one */
#endif
	EXPECT_EQ(vmo_cache_op(v, 0, PG, 0), E_INVAL);
	EXPECT_EQ(vmo_cache_op(v, 0, PG, 8), E_INVAL);
	EXPECT_EQ(vmo_cache_op(v, 2 * PG, 2 * PG, ARCH_CACHE_CLEAN), E_RANGE);
	vmo_put(v);
	end();
}

/* ---- private mappings ---------------------------------------------------------------- */

static void test_private_mapping_over_an_object_copies_on_write(void)
{
	begin();
	struct aspace *a = new_as(), *c = NULL;
	struct vmo *v = new_vmo(4, 0, "image");
	uintptr_t x = BASE;
	struct aspace_query q;

	fill(v, 3, 200);                       /* page 3 stays a hole */
	ASSERT_OK(aspace_map_private(a, &x, 4 * PG, 0, RW, MAP_FIXED, vmo_obj(v), 0));
	EXPECT_EQ_U(tl_user_get(a, BASE + PG), 201);
	ASSERT_TRUE(mapped(a, BASE + PG, &q));
	EXPECT_FALSE(q.mmu_flags & MMU_WRITE);     /* the object's frame, read-only */
	ASSERT_OK(tl_user_put(a, BASE + PG, 5));
	EXPECT_EQ_U(obj_word(v, PG), 201);         /* the object is untouched */
	EXPECT_EQ_U(tl_user_get(a, BASE + PG), 5);
	set_word(v, 2 * PG, 9);                    /* not copied yet: seen */
	EXPECT_EQ_U(tl_user_get(a, BASE + 2 * PG), 9);
	EXPECT_EQ_U(tl_user_get(a, BASE + 3 * PG), 0);     /* a hole: a zero page of its own */
	set_word(v, 3 * PG, 77);                   /* the object fills the hole later: */
	EXPECT_EQ_U(tl_user_get(a, BASE + 3 * PG), 0);     /* the mapping keeps its zeros */
	EXPECT_EQ(aspace_check(a), 0);
	ASSERT_OK(aspace_fork(a, &c));
#if !KTEST_HOST
	live[2] = c;
#endif
	EXPECT_EQ_U(tl_user_get(c, BASE + PG), 5);
	ASSERT_OK(tl_user_put(c, BASE, 6));
	EXPECT_EQ_U(tl_user_get(a, BASE), 200);
	EXPECT_EQ_U(obj_word(v, 0), 200);
	/* Decommitting the object's page drops the read-only leaves over it. */
	ASSERT_OK(vmo_decommit(v, 2 * PG, PG));
	EXPECT_EQ_U(tl_user_get(a, BASE + 2 * PG), 0);
	/* DONTNEED on the private mapping: the object's page shows again. */
	ASSERT_OK(aspace_decommit(a, BASE, 2 * PG));
	EXPECT_EQ_U(tl_user_get(a, BASE + PG), 201);
	EXPECT_EQ_U(tl_user_get(c, BASE + PG), 5);
	EXPECT_EQ(aspace_check(a), 0);
	EXPECT_EQ(aspace_check(c), 0);
	vmo_put(v);                                /* the mappings hold it */
	done(c);
	done(a);
	EXPECT_EQ(data_frames(), 0);
	end();
}

/* The ELF loader's case: .data private over frames given at creation. */
static void test_private_mapping_over_physical_frames(void)
{
	begin();
	struct aspace *a = new_as();
	struct page *pg = page_alloc(0, PAGE_ZERO);
	struct mem_obj *obj;
	uintptr_t x = BASE;

	ASSERT_NOT_NULL(pg);
	*(uint64_t *)page_to_va(pg) = 123;
	obj = phys_obj_create(page_to_pa(pg), PG, 0);
	ASSERT_NOT_NULL(obj);
	ASSERT_OK(aspace_map_private(a, &x, PG, 0, RW, MAP_FIXED, obj, 0));
	mem_obj_put(obj);
	EXPECT_EQ_U(tl_user_get(a, BASE), 123);
	ASSERT_OK(tl_user_put(a, BASE, 7));
	EXPECT_EQ_U(*(uint64_t *)page_to_va(pg), 123);
	EXPECT_EQ_U(tl_user_get(a, BASE), 7);
	done(a);
	page_put(pg);
	EXPECT_EQ(data_frames(), 0);
	end();
}

/* madvise(DONTNEED) on private anonymous memory: zero-fill on the next touch. */
static void test_dontneed_zero_fills_private_anonymous_pages(void)
{
	begin();
	struct aspace *a = new_as(), *c = NULL;
	uintptr_t x = BASE;

	ASSERT_OK(aspace_map_anon(a, &x, 4 * PG, 0, RW, MAP_FIXED));
	for (int i = 0; i < 4; i++)
		ASSERT_OK(tl_user_put(a, BASE + i * PG, 300 + i));
	ASSERT_OK(aspace_decommit(a, BASE, PG));
	EXPECT_EQ_U(tl_user_get(a, BASE), 0);
	EXPECT_EQ_U(tl_user_get(a, BASE + PG), 301);
	ASSERT_OK(aspace_fork(a, &c));
#if !KTEST_HOST
	live[2] = c;
#endif
	/* Pages shared with the parent since the fork: the child gets zeros, the parent keeps its. */
	ASSERT_OK(aspace_decommit(c, BASE + PG, 2 * PG));
	EXPECT_EQ_U(tl_user_get(c, BASE + PG), 0);
	EXPECT_EQ_U(tl_user_get(c, BASE + 2 * PG), 0);
	EXPECT_EQ_U(tl_user_get(c, BASE + 3 * PG), 303);
	EXPECT_EQ_U(tl_user_get(a, BASE + PG), 301);
	EXPECT_EQ_U(tl_user_get(a, BASE + 2 * PG), 302);
	EXPECT_EQ(aspace_decommit(a, BASE + 2 * PG, 8 * PG), E_NOENT);   /* a hole */
	EXPECT_EQ_U(tl_user_get(a, BASE + 2 * PG), 302);
	EXPECT_EQ(aspace_check(a), 0);
	EXPECT_EQ(aspace_check(c), 0);
	done(c);
	done(a);
	EXPECT_EQ(data_frames(), 0);
	end();
}

/* ---- user copies -------------------------------------------------------------------- */

static void test_read_and_write_from_user_buffers(void)
{
	begin();
	struct aspace *a = new_as();
	struct vmo *v = new_vmo(3, 0, "user");
	uintptr_t x = BASE;
	char buf[100];

	ASSERT_OK(aspace_map_anon(a, &x, 2 * PG, 0, RW, MAP_FIXED));
	ASSERT_OK(tl_user_put(a, BASE + PG - 4, 0x1122334455667788ull));
	aspace_switch(a);
	/* Across a page boundary on both sides. */
	ASSERT_OK(vmo_write_user(v, PG - 2, BASE + PG - 4, 8));
	ASSERT_OK(vmo_read(v, PG - 2, buf, 8));
	EXPECT_EQ_U(*(uint64_t *)(void *)buf, 0x1122334455667788ull);
	ASSERT_OK(vmo_read_user(v, 2 * PG - 50, BASE + 10, 100));   /* zeros past the write */
	EXPECT_EQ_U(tl_user_get(a, BASE + 56), 0);
	ASSERT_OK(vmo_read_user(v, PG - 2, BASE + 3 * 8, 8));
	EXPECT_EQ_U(tl_user_get(a, BASE + 24), 0x1122334455667788ull);
	aspace_switch(a);
	EXPECT_EQ(vmo_write_user(v, 0, BASE + 2 * PG - 4, 8), E_FAULT);
	EXPECT_EQ(vmo_read_user(v, 0, OTHER, 8), E_FAULT);
	done(a);
	vmo_put(v);
	EXPECT_EQ(data_frames(), 0);
	end();
}

/* ---- bad arguments ---------------------------------------------------------------------- */

static void test_bad_arguments_change_nothing(void)
{
	begin();
	struct aspace *a = new_as();
	struct vmo *v = new_vmo(4, 0, "args"), *r = new_vmo(4, VMO_RESIZABLE, "resizable");
	struct vmo *d = new_vmo(1, 0, "device"), *out = NULL;
	struct vmo_run runs[1];
	struct vmo_info before, after;
	size_t n;
	uintptr_t x = BASE;
	char buf[16] = { 0 };

	ASSERT_OK(vmo_commit(v, 0, 2 * PG));
	ASSERT_OK(vmo_commit(r, 0, 4 * PG));
	ASSERT_OK(vmo_pin(r, 3 * PG, PG));
	ASSERT_OK(vmo_set_cache(d, VMO_DEVICE));
	vmo_info(v, &before);
	uint64_t data = data_frames(), objects = vmo_count();

	EXPECT_EQ(vmo_create(0, 0, "x", &out), E_INVAL);
	EXPECT_EQ(vmo_create(PG + 1, 0, "x", &out), E_ALIGN);
	EXPECT_EQ(vmo_create(PG, 0x80, "x", &out), E_INVAL);
	EXPECT_EQ(vmo_create(PG, VMO_RESIZABLE | VMO_CONTIGUOUS, "x", &out), E_INVAL);
	EXPECT_EQ(vmo_create(8ull << 20, VMO_CONTIGUOUS, "x", &out), E_RANGE);
	EXPECT_EQ(vmo_read(v, 4 * PG - 8, buf, 16), E_RANGE);
	EXPECT_EQ(vmo_write(v, ~0ull - 4, buf, 16), E_OVERFLOW);
	EXPECT_EQ(vmo_write(v, 0, buf, 0), E_INVAL);
	EXPECT_EQ(vmo_write(NULL, 0, buf, 8), E_INVAL);
	EXPECT_EQ(vmo_commit(v, 1, PG), E_ALIGN);
	EXPECT_EQ(vmo_commit(v, 2 * PG, 4 * PG), E_RANGE);
	EXPECT_EQ(vmo_decommit(v, 0, PG + 8), E_ALIGN);
	EXPECT_EQ(vmo_zero(v, 4 * PG, PG), E_RANGE);
	EXPECT_EQ(vmo_pin(v, 0, 3 * PG), E_NOENT);          /* page 2 not committed */
	EXPECT_EQ(vmo_unpin(v, 0, PG), E_NOENT);
	EXPECT_EQ(vmo_resize(v, 8 * PG), E_NOTSUP);         /* not resizable */
	EXPECT_EQ(vmo_resize(r, 2 * PG), E_BUSY);           /* a pin past the end */
	EXPECT_EQ(vmo_resize(r, 3 * PG + 1), E_ALIGN);
	EXPECT_EQ(vmo_clone(d, 0, PG, "x", &out), E_NOTSUP); /* a device object */
	EXPECT_EQ(vmo_clone(r, 2 * PG, 2 * PG, "x", &out), E_BUSY);   /* pinned */
	EXPECT_EQ(vmo_clone(v, 0, 5 * PG, "x", &out), E_RANGE);
	EXPECT_EQ(vmo_slice(r, 0, PG, "x", &out), E_NOTSUP);
	EXPECT_EQ(vmo_slice(v, PG, 0, "x", &out), E_INVAL);
	EXPECT_EQ(vmo_lookup(v, 0, 3 * PG, runs, 1, &n), E_NOENT);
	EXPECT_EQ(vmo_set_cache(v, 9), E_INVAL);
	EXPECT_EQ(vmo_set_cache(r, VMO_WC), E_BUSY);        /* pinned */
	EXPECT_EQ(aspace_map(a, &x, 5 * PG, 0, RW, MAP_FIXED, vmo_obj(v), 0), E_RANGE);
	EXPECT_EQ(aspace_map(a, &x, PG, 0, RW, MAP_FIXED, vmo_obj(v), 4 * PG), E_RANGE);
	EXPECT_EQ(aspace_map_private(a, &x, PG, 0, RW, MAP_FIXED, vmo_obj(d), 0), E_NOTSUP);
	EXPECT_EQ(aspace_map_private(a, &x, PG, 0, RW, MAP_FIXED | VAREA_DEVICE, vmo_obj(v), 0),
	          E_INVAL);
	EXPECT_EQ(aspace_decommit(a, BASE, PG), E_NOENT);
	EXPECT_EQ(aspace_query(a, BASE, &(struct aspace_query){ 0 }), E_NOENT);

	vmo_info(v, &after);
	EXPECT_EQ(memcmp(&before, &after, sizeof(before)), 0);
	EXPECT_EQ(data_frames(), data);
	EXPECT_EQ(vmo_count(), objects);
	ASSERT_OK(vmo_unpin(r, 3 * PG, PG));
	done(a);
	vmo_put(v);
	vmo_put(r);
	vmo_put(d);
	EXPECT_EQ(data_frames(), 0);
	end();
}

/* The list the shell's vmos command prints. */
struct seen {
	unsigned n;
	int found_clone;
	uint32_t parent;
};

static int look(void *ctx, const struct vmo_info *i)
{
	struct seen *s = ctx;

	s->n++;
	if (!strcmp(i->name, "listed-clone") && i->clone && i->parent_id == s->parent &&
	    i->size == 2 * PG)
		s->found_clone = 1;
	return 0;
}

static void test_live_objects_are_listed(void)
{
	begin();
	struct vmo *v = new_vmo(2, 0, "listed"), *c = NULL;
	struct vmo_info info;
	struct seen s = { 0, 0, 0 };

	vmo_info(v, &info);
	s.parent = info.id;
	ASSERT_OK(vmo_clone(v, 0, 2 * PG, "listed-clone", &c));
	ASSERT_OK(vmo_traverse(look, &s));
	EXPECT_EQ_U(s.n, vmo_count());
	EXPECT_TRUE(s.found_clone);
	vmo_put(c);
	vmo_put(v);
	end();
}

/* The closing note's figures: printed, and held under a bound. */
static void test_metadata_per_object_and_per_page(void)
{
	uint64_t obj, page;

	vmo_metadata(&obj, &page);
	ktest_log("vmo metadata: %llu bytes per object, %llu per committed page",
	          (unsigned long long)obj, (unsigned long long)page);
	EXPECT_LE(obj, 512);
	EXPECT_LE(page, 64);
}

KTEST_SUITE(vmo,
            KTEST_CASE(test_two_aspaces_share_writes_and_survive_unmap),
            KTEST_CASE(test_shared_mapping_stays_shared_across_fork),
            KTEST_CASE(test_second_map_of_an_anonymous_object_is_refused),
            KTEST_CASE(test_snapshot_clone_keeps_contents_both_ways),
            KTEST_CASE(test_clones_at_depth_with_the_parent_destroyed_first),
            KTEST_CASE(test_slice_shows_the_parent_pages),
            KTEST_CASE(test_decommit_frees_frames_and_leaves),
            KTEST_CASE(test_shrink_removes_leaves_in_every_aspace),
            KTEST_CASE(test_pinned_pages_survive_unmap_and_return_at_unpin),
            KTEST_CASE(test_contiguous_object_is_one_run),
            KTEST_CASE(test_uncached_and_write_combining_mappings_have_those_attributes),
            KTEST_CASE(test_cache_maintenance_runs),
            KTEST_CASE(test_private_mapping_over_an_object_copies_on_write),
            KTEST_CASE(test_private_mapping_over_physical_frames),
            KTEST_CASE(test_dontneed_zero_fills_private_anonymous_pages),
            KTEST_CASE(test_read_and_write_from_user_buffers),
            KTEST_CASE(test_bad_arguments_change_nothing),
            KTEST_CASE(test_live_objects_are_listed),
            KTEST_CASE(test_metadata_per_object_and_per_page));
