/*
 * Host tests of the page-table walker (mm/pt.c, mm/pt_walk.c) over the fake
 * MMU (arch/fake/fake_mmu.c), with table pages from the fake RAM.  The
 * fake checks the walker's side of the arch contract on every call (break-
 * before-make, syncs before flushes, tables freed only after a whole
 * flush), so every case below also tests that.
 *
 * Every case builds its tables with setup() and ends with teardown(),
 * which audits them, destroys them and checks that every table page and
 * frame came back.
 */
#include <stdlib.h>
#include <string.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/page.h>
#include <mm/pt.h>
#include "fake_mmu.h"
#include "fake_ram.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define SZ_4K PT_LEVEL_SIZE(0)
#define SZ_2M PT_LEVEL_SIZE(1)
#define SZ_1G PT_LEVEL_SIZE(2)

#define KRW (MMU_READ | MMU_WRITE | MMU_GLOBAL)
#define KRX (MMU_READ | MMU_EXEC | MMU_GLOBAL)
#define KRO (MMU_READ | MMU_GLOBAL)
#define URW (MMU_READ | MMU_WRITE | MMU_USER)
#define URX (MMU_READ | MMU_EXEC | MMU_USER)
#define URO (MMU_READ | MMU_USER)

#define UASID 7

static struct pt kpt, upt;
static uint64_t frames_at_start;


/* The start of the kernel half of a @levels-level layout. */
static uintptr_t kbase(unsigned levels)
{
	return ~(((uintptr_t)1 << (pt_va_bits(levels) - 1)) - 1);
}

/*
 * Fresh fake RAM and MMU, a kernel table and a user table of @levels
 * levels.  With @shared, the kernel maps a page before the user table is
 * made, so the user root holds a copy of a kernel root entry.
 */
static void setup_tables(unsigned levels, int shared)
{
	fake_ram_setup();
	fake_mmu_reset(levels);
	fake_pt_alloc_install();
	frames_at_start = pmm_free_frames();
	ASSERT_OK(pt_create(&kpt, levels, 1, 0, NULL));
	if (shared)
		ASSERT_OK(pt_map(&kpt, kbase(levels), 0x1000, SZ_4K, KRO));
	ASSERT_OK(pt_create(&upt, levels, 0, UASID, &kpt));
}

static void setup(unsigned levels)
{
	setup_tables(levels, 0);
}

static void teardown(void)
{
	EXPECT_EQ(pt_audit(&upt), 0);
	EXPECT_EQ(pt_audit(&kpt), 0);
	EXPECT_EQ(fake_pt_alloc_live(), kpt.table_pages + upt.table_pages);
	pt_destroy(&upt);
	pt_destroy(&kpt);
	EXPECT_EQ(fake_pt_alloc_live(), 0);
	EXPECT_EQ(pmm_free_frames(), frames_at_start);
	EXPECT_EQ(fake_mmu_violations(), 0);
	pt_set_allocator(NULL);
}

/* ---- dumps ------------------------------------------------------------------ */

struct leaf {
	uintptr_t va;
	paddr_t pa;
	uint64_t size;
	unsigned flags, level;
};

/* Grown as needed, never freed: reused by every case. */
struct dump {
	struct leaf *l;
	size_t n, cap;
};

static int dump_fn(void *ctx, uintptr_t va, paddr_t pa, uint64_t size, unsigned flags,
                   unsigned level)
{
	struct dump *d = ctx;

	if (d->n && va <= d->l[d->n - 1].va)
		ktest_fail(__FILE__, __LINE__, "pt_walk not ascending at %#llx", (unsigned long long)va);
	if (size != PT_LEVEL_SIZE(level))
		ktest_fail(__FILE__, __LINE__, "leaf size %#llx at level %u",
		           (unsigned long long)size, level);
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 1024;
		d->l = realloc(d->l, d->cap * sizeof(*d->l));
		ASSERT_NOT_NULL(d->l);
	}
	d->l[d->n++] = (struct leaf){ va, pa, size, flags, level };
	return 0;
}

static void dump(const struct pt *pt, struct dump *d)
{
	d->n = 0;
	EXPECT_EQ(pt_walk(pt, dump_fn, d), 0);
}

static int dump_eq(const struct dump *a, const struct dump *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->l[i].va != b->l[i].va || a->l[i].pa != b->l[i].pa ||
		    a->l[i].size != b->l[i].size || a->l[i].flags != b->l[i].flags)
			return 0;
	return 1;
}

/* Everything an update that fails must leave as it was. */
struct snap {
	struct dump k, u;
	uint64_t kpages, upages, frames, live, writes;
};

static void snap_take(struct snap *s)
{
	dump(&kpt, &s->k);
	dump(&upt, &s->u);
	s->kpages = kpt.table_pages;
	s->upages = upt.table_pages;
	s->frames = pmm_free_frames();
	s->live = fake_pt_alloc_live();
	s->writes = fake_mmu_writes();
}

static struct snap before, after;

static void expect_unchanged(const char *what)
{
	snap_take(&after);
	if (!dump_eq(&before.k, &after.k) || !dump_eq(&before.u, &after.u))
		ktest_fail(__FILE__, __LINE__, "%s: mappings changed", what);
	if (before.kpages != after.kpages || before.upages != after.upages)
		ktest_fail(__FILE__, __LINE__, "%s: table_pages changed", what);
	if (before.frames != after.frames || before.live != after.live)
		ktest_fail(__FILE__, __LINE__, "%s: frames changed", what);
	if (before.writes != after.writes)
		ktest_fail(__FILE__, __LINE__, "%s: entries written", what);
}

/* ---- small helpers ------------------------------------------------------------ */

static int count_leaves(const struct pt *pt, unsigned level)
{
	static struct dump d;
	int n = 0;

	dump(pt, &d);
	for (size_t i = 0; i < d.n; i++)
		n += d.l[i].level == level;
	return n;
}

/* Query @va and expect it at @pa with @flags in a leaf of @size. */
static void expect_at(const struct pt *pt, uintptr_t va, paddr_t pa, unsigned flags, uint64_t size)
{
	paddr_t got_pa;
	unsigned got_flags;
	uint64_t got_size;
	int rc = pt_query(pt, va, &got_pa, &got_flags, &got_size);

	if (rc || got_pa != pa || got_flags != flags || got_size != size)
		ktest_fail(__FILE__, __LINE__,
		           "query %#llx: rc %d pa %#llx flags %#x size %#llx; expected pa %#llx flags %#x size %#llx",
		           (unsigned long long)va, rc, (unsigned long long)got_pa, got_flags,
		           (unsigned long long)got_size, (unsigned long long)pa, flags,
		           (unsigned long long)size);
}

/*
 * The largest leaf the walker must use at @va mapping @pa with @left bytes
 * to go.  A kernel root entry that holds a table keeps it (root entries
 * never change once made), so no root-level leaf can go there.
 */
static uint64_t best_leaf(const struct pt *pt, uintptr_t va, paddr_t pa, uint64_t left)
{
	unsigned top = pt->levels - 1;
	const pte_t *root = pa_to_va(pt->root_pa);
	pte_t slot = root[(va >> (PAGE_SHIFT + PT_INDEX_BITS * top)) % PT_ENTRIES];

	for (unsigned l = PT_MAX_BLOCK_LEVEL; l > 0; l--) {
		uint64_t s = PT_LEVEL_SIZE(l);

		if (pt->kernel && l == top && arch_pte_kind(slot, top) == PTE_TABLE)
			continue;
		if (!(va & (s - 1)) && !(pa & (s - 1)) && left >= s)
			return s;
	}
	return SZ_4K;
}

/* Expect [va, va + size) mapped to pa with the largest leaves possible. */
static void expect_best_leaves(const struct pt *pt, uintptr_t va, paddr_t pa, uint64_t size,
                               unsigned flags)
{
	for (uint64_t off = 0; off < size;) {
		uint64_t s = best_leaf(pt, va + off, pa + off, size - off);

		expect_at(pt, va + off, pa + off, flags, s);
		off += s;
	}
}

/* ---- map and query ---------------------------------------------------------------- */

static void test_map_and_query_pages(void)
{
	setup(3);
	uintptr_t va = 0x10000000;
	paddr_t pa = 0x87654000;

	ASSERT_OK(pt_map(&upt, va, pa, 3 * SZ_4K, URW));
	for (unsigned i = 0; i < 3; i++)
		expect_at(&upt, va + i * SZ_4K + 0x123, pa + i * SZ_4K + 0x123, URW, SZ_4K);
	EXPECT_EQ(pt_query(&upt, va + 3 * SZ_4K, NULL, NULL, NULL), E_NOENT);
	EXPECT_EQ(pt_query(&upt, va - 1, NULL, NULL, NULL), E_NOENT);
	EXPECT_EQ(pt_query(&upt, kbase(3), NULL, NULL, NULL), E_RANGE);
	EXPECT_EQ(pt_query(&kpt, va, NULL, NULL, NULL), E_RANGE);
	EXPECT_EQ(count_leaves(&upt, 0), 3);
	EXPECT_EQ(upt.table_pages, 3);   /* root, one 2 MiB-level and one 4 KiB-level table */
	teardown();
}

static void test_gib_aligned_range_is_one_gib_leaf(void)
{
	for (unsigned levels = 3; levels <= 4; levels++) {
		setup(levels);
		uintptr_t va = kbase(levels) + 5 * GiB;

		ASSERT_OK(pt_map(&kpt, va, 3 * GiB, GiB, KRW));
		EXPECT_EQ(count_leaves(&kpt, 2), 1);
		EXPECT_EQ(count_leaves(&kpt, 1) + count_leaves(&kpt, 0), 0);
		EXPECT_EQ(kpt.table_pages, levels - 2);   /* the 1 GiB leaf sits in the level-2 table */
		expect_at(&kpt, va + 0x12345678, 3 * GiB + 0x12345678, KRW, SZ_1G);
		teardown();
	}
}

static void test_leaves_follow_va_and_pa_alignment(void)
{
	static const struct {
		uint64_t va_off, pa, size;
	} cases[] = {
		{ 0, 4 * GiB, GiB + 2 * SZ_2M + 3 * SZ_4K },        /* 1 GiB, 2 MiB and 4 KiB */
		{ 0, 4 * GiB + SZ_2M, GiB },                         /* pa only 2 MiB-aligned */
		{ 0, 4 * GiB + SZ_4K, 4 * SZ_2M },                   /* pa only page-aligned */
		{ SZ_2M - 2 * SZ_4K, 6 * GiB - 2 * SZ_4K, GiB + SZ_2M },  /* congruent, misaligned start */
		{ GiB - SZ_4K, 8 * GiB, 2 * SZ_4K },                 /* across a table boundary */
	};

	for (unsigned levels = 3; levels <= 4; levels++) {
		for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			setup(levels);
			uintptr_t va = 3 * GiB + cases[i].va_off;

			ASSERT_OK(pt_map(&upt, va, cases[i].pa, cases[i].size, URX));
			expect_best_leaves(&upt, va, cases[i].pa, cases[i].size, URX);
			EXPECT_EQ(pt_query(&upt, va - SZ_4K, NULL, NULL, NULL), E_NOENT);
			EXPECT_EQ(pt_query(&upt, va + cases[i].size, NULL, NULL, NULL), E_NOENT);
			teardown();
		}
	}
}

static void test_map_over_a_mapping_fails_before_any_change(void)
{
	setup(4);
	uintptr_t va = 1ull << 39;   /* a new root entry: the walk would need tables */

	ASSERT_OK(pt_map(&upt, va + GiB + 5 * SZ_4K, 0x5000, SZ_4K, URO));
	ASSERT_OK(pt_map(&upt, va + 4 * GiB, 4 * GiB, GiB, URO));
	snap_take(&before);
	uint64_t attempts = fake_pt_alloc_attempts();

	fake_tlb_mark();
	EXPECT_EQ(pt_map(&upt, va, 0, 2 * GiB, URW), E_EXIST);            /* the page inside */
	EXPECT_EQ(pt_map(&upt, va + 4 * GiB - SZ_2M, 0, 2 * SZ_2M, URW), E_EXIST);  /* the block's edge */
	EXPECT_EQ(pt_map(&upt, va + 5 * GiB - SZ_4K, 0, SZ_4K, URW), E_EXIST);      /* inside the block */
	EXPECT_EQ(pt_map(&upt, va, 0, 8 * GiB, URW), E_EXIST);            /* both */
	expect_unchanged("map over a mapping");
	EXPECT_EQ(fake_pt_alloc_attempts(), attempts);
	EXPECT_EQ(fake_tlb_flushes(), 0);
	teardown();
}

static void test_map_flushes_what_it_maps(void)
{
	setup(3);
	fake_tlb_mark();
	ASSERT_OK(pt_map(&upt, 0x400000, 0x400000, 5 * SZ_4K, URW));
	EXPECT_TRUE(fake_tlb_covered(UASID, 0x400000, 5 * SZ_4K));
	teardown();
}

/* ---- unmap and protect ---------------------------------------------------------------- */

/* What the unmap callback saw; it also checks that the TLB was flushed first. */
struct removed_log {
	unsigned asid;
	unsigned n;
	uint64_t bytes;
	struct leaf first;
	uintptr_t prev_end;
};

static void removed_fn(void *ctx, uintptr_t va, paddr_t pa, uint64_t size, unsigned flags)
{
	struct removed_log *r = ctx;

	if (!fake_tlb_covered(r->asid, va, size))
		ktest_fail(__FILE__, __LINE__, "callback for %#llx before its TLB flush",
		           (unsigned long long)va);
	if (r->n && va < r->prev_end)
		ktest_fail(__FILE__, __LINE__, "callbacks not ascending at %#llx",
		           (unsigned long long)va);
	if (!r->n)
		r->first = (struct leaf){ va, pa, size, flags, 0 };
	r->prev_end = va + size;
	r->n++;
	r->bytes += size;
}

static void test_partial_unmap_splits_a_gib_block(void)
{
	setup(3);
	uintptr_t va = kbase(3) + 2 * GiB;
	paddr_t pa = GiB;
	uintptr_t hole = va + 3 * SZ_2M + SZ_4K;
	struct removed_log r = { .asid = 0 };

	ASSERT_OK(pt_map(&kpt, va, pa, GiB, KRW));
	fake_tlb_mark();
	ASSERT_OK(pt_unmap(&kpt, hole, SZ_4K, removed_fn, &r));
	EXPECT_EQ(r.n, 1);
	EXPECT_EQ_U(r.first.va, hole);
	EXPECT_EQ_U(r.first.pa, pa + (hole - va));
	EXPECT_EQ_U(r.first.size, SZ_4K);
	EXPECT_EQ(r.first.flags, KRW);
	EXPECT_TRUE(fake_tlb_covered(kpt.asid, va, GiB));   /* the block's break */
	EXPECT_EQ(pt_query(&kpt, hole, NULL, NULL, NULL), E_NOENT);
	expect_at(&kpt, va, pa, KRW, SZ_2M);
	expect_at(&kpt, hole - SZ_4K, pa + (hole - va) - SZ_4K, KRW, SZ_4K);
	expect_at(&kpt, hole + SZ_4K + 0x10, pa + (hole - va) + SZ_4K + 0x10, KRW, SZ_4K);
	expect_at(&kpt, va + GiB - 1, pa + GiB - 1, KRW, SZ_2M);
	EXPECT_EQ(count_leaves(&kpt, 1), 511);
	EXPECT_EQ(count_leaves(&kpt, 0), 511);
	EXPECT_EQ(kpt.table_pages, 3);
	teardown();
}

static void test_unmap_across_two_blocks_splits_both(void)
{
	setup(4);
	uintptr_t va = 7 * GiB;
	struct removed_log r = { .asid = UASID };

	ASSERT_OK(pt_map(&upt, va, 9 * GiB, 2 * GiB, URO));
	ASSERT_OK(pt_unmap(&upt, va + GiB - SZ_2M - SZ_4K, 2 * SZ_2M + 2 * SZ_4K, removed_fn, &r));
	EXPECT_EQ(r.n, 4);   /* a page and a 2 MiB block on each side */
	EXPECT_EQ_U(r.bytes, 2 * SZ_2M + 2 * SZ_4K);
	expect_at(&upt, va + GiB - SZ_2M - 2 * SZ_4K, 10 * GiB - SZ_2M - 2 * SZ_4K, URO, SZ_4K);
	expect_at(&upt, va + GiB + SZ_2M + SZ_4K, 10 * GiB + SZ_2M + SZ_4K, URO, SZ_4K);
	expect_at(&upt, va + GiB + 2 * SZ_2M, 10 * GiB + 2 * SZ_2M, URO, SZ_2M);
	EXPECT_EQ(upt.table_pages, 2 + 4);   /* two splits of each block */
	teardown();
}

static void test_partial_protect_splits_a_block(void)
{
	setup(3);
	uintptr_t va = 0x40000000 + 4 * SZ_2M;
	paddr_t pa = 0x80000000ull + 6 * SZ_2M;
	uintptr_t page = va + 17 * SZ_4K;

	ASSERT_OK(pt_map(&upt, va, pa, SZ_2M, URW));
	uint64_t pages = upt.table_pages;

	fake_tlb_mark();
	ASSERT_OK(pt_protect(&upt, page, SZ_4K, URO));
	EXPECT_TRUE(fake_tlb_covered(UASID, va, SZ_2M));
	EXPECT_EQ(upt.table_pages, pages + 1);
	expect_at(&upt, page, pa + 17 * SZ_4K, URO, SZ_4K);
	expect_at(&upt, page - SZ_4K, pa + 16 * SZ_4K, URW, SZ_4K);
	expect_at(&upt, page + SZ_4K, pa + 18 * SZ_4K, URW, SZ_4K);
	expect_at(&upt, va + SZ_2M - SZ_4K, pa + SZ_2M - SZ_4K, URW, SZ_4K);
	EXPECT_EQ(count_leaves(&upt, 0), 512);
	teardown();
}

static void test_protect_with_the_same_flags_changes_nothing(void)
{
	setup(3);
	uintptr_t va = 0x40000000;

	ASSERT_OK(pt_map(&upt, va, 0x40000000, GiB, URW));
	snap_take(&before);
	fake_tlb_mark();
	EXPECT_OK(pt_protect(&upt, va + SZ_4K, SZ_4K, URW));
	EXPECT_OK(pt_protect(&upt, va + GiB, 8 * SZ_4K, URO));   /* nothing mapped there */
	expect_unchanged("protect to the same flags");
	EXPECT_EQ(fake_tlb_flushes(), 0);
	teardown();
}

static void test_protect_rewrites_whole_leaves_in_place(void)
{
	setup(4);
	uintptr_t va = 0x7000000;

	ASSERT_OK(pt_map(&upt, va, 0x9000000, 8 * SZ_4K + SZ_2M, URW));
	uint64_t attempts = fake_pt_alloc_attempts(), pages = upt.table_pages;

	fake_tlb_mark();
	ASSERT_OK(pt_protect(&upt, va, 8 * SZ_4K + SZ_2M, URX));
	EXPECT_EQ(fake_pt_alloc_attempts(), attempts);
	EXPECT_EQ(upt.table_pages, pages);
	EXPECT_TRUE(fake_tlb_covered(UASID, va, 8 * SZ_4K + SZ_2M));
	expect_best_leaves(&upt, va, 0x9000000, 8 * SZ_4K + SZ_2M, URX);
	teardown();
}

/* Memory type is no permission: the fake flags a change made in place. */
static void test_protect_to_device_breaks_before_make(void)
{
	setup(3);
	uintptr_t va = kbase(3) + 64 * GiB;

	ASSERT_OK(pt_map(&kpt, va, 0x10000000, SZ_2M + SZ_4K, KRW));
	fake_tlb_mark();
	ASSERT_OK(pt_protect(&kpt, va, SZ_2M + SZ_4K, KRW | MMU_DEVICE));
	expect_at(&kpt, va, 0x10000000, KRW | MMU_DEVICE, SZ_2M);
	expect_at(&kpt, va + SZ_2M, 0x10000000 + SZ_2M, KRW | MMU_DEVICE, SZ_4K);
	EXPECT_TRUE(fake_tlb_covered(kpt.asid, va, SZ_2M + SZ_4K));
	teardown();
}

static void test_unmapping_everything_frees_every_table(void)
{
	static const struct {
		uintptr_t va;
		uint64_t size;
	} maps[] = {
		{ 0x1000, 3 * SZ_4K },
		{ 0x200000 - SZ_4K, 2 * SZ_4K },
		{ 3 * GiB - SZ_2M, 3 * SZ_2M },
		{ (1ull << 39) - SZ_4K, 2 * SZ_4K },   /* across a root entry */
		{ 5ull << 39, GiB + SZ_4K },
		{ (1ull << 47) - SZ_4K, SZ_4K },       /* the last user page */
	};

	setup(4);
	for (unsigned i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		ASSERT_OK(pt_map(&upt, maps[i].va, maps[i].va, maps[i].size, URW));
	EXPECT_GT(upt.table_pages, 10);
	EXPECT_EQ(pt_audit(&upt), 0);
	fake_tlb_mark();
	for (unsigned i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		ASSERT_OK(pt_unmap(&upt, maps[i].va, maps[i].size, NULL, NULL));
	EXPECT_EQ(upt.table_pages, 1);
	EXPECT_EQ(fake_pt_alloc_live(), 2);   /* the two roots */
	EXPECT_TRUE(fake_tlb_covered(UASID, 0, 1ull << 47));
	/* Unmapping where nothing is mapped does nothing. */
	fake_tlb_mark();
	ASSERT_OK(pt_unmap(&upt, 0, 1ull << 47, NULL, NULL));
	EXPECT_EQ(fake_tlb_flushes(), 0);
	teardown();
}

static void test_unmap_over_a_big_range_reports_every_leaf(void)
{
	setup(3);
	uintptr_t va = 0x100000000;
	struct removed_log r = { .asid = UASID };

	ASSERT_OK(pt_map(&upt, va, 0x100000000, 3 * SZ_2M, URW));
	ASSERT_OK(pt_map(&upt, va + 3 * SZ_2M, 0x200000000 + SZ_4K, 40 * SZ_4K, URO));
	ASSERT_OK(pt_unmap(&upt, 0, 1ull << 38, removed_fn, &r));
	EXPECT_EQ(r.n, 43);
	EXPECT_EQ_U(r.bytes, 3 * SZ_2M + 40 * SZ_4K);
	EXPECT_EQ_U(r.first.va, va);
	EXPECT_EQ_U(r.first.size, SZ_2M);
	EXPECT_EQ(upt.table_pages, 1);
	teardown();
}

/* pt_unmap_leaves(): the same leaves as removed_fn() sees, in batches of at most 32. */
struct batch_log {
	struct removed_log r;
	unsigned calls, largest;
};

static void removed_batch_fn(void *ctx, const struct pt_gone *g, unsigned n)
{
	struct batch_log *b = ctx;

	b->calls++;
	if (n > b->largest)
		b->largest = n;
	for (unsigned i = 0; i < n; i++)
		removed_fn(&b->r, g[i].va, g[i].pa, g[i].size, 0);
}

static void test_unmap_leaves_reports_every_leaf_in_batches(void)
{
	setup(3);
	uintptr_t va = 0x100000000;
	struct batch_log b = { .r = { .asid = UASID } };

	ASSERT_OK(pt_map(&upt, va, 0x100000000, 3 * SZ_2M, URW));
	ASSERT_OK(pt_map(&upt, va + 3 * SZ_2M, 0x200000000 + SZ_4K, 100 * SZ_4K, URO));
	ASSERT_OK(pt_unmap_leaves(&upt, 0, 1ull << 38, 0, UINTPTR_MAX, removed_batch_fn, &b));
	EXPECT_EQ(b.r.n, 103);
	EXPECT_EQ_U(b.r.bytes, 3 * SZ_2M + 100 * SZ_4K);
	EXPECT_EQ_U(b.r.first.va, va);
	EXPECT_EQ_U(b.r.first.pa, 0x100000000);
	EXPECT_EQ_U(b.r.first.size, SZ_2M);
	EXPECT_EQ(b.largest, 32);
	EXPECT_GE(b.calls, 4);
	EXPECT_EQ(upt.table_pages, 1);
	/* One page: the fast path hands it on as a batch of one. */
	ASSERT_OK(pt_map(&upt, va, 0x300000000, SZ_4K, URW));
	ASSERT_OK(pt_map(&upt, va + SZ_4K, 0x300001000, SZ_4K, URW));
	b = (struct batch_log){ .r = { .asid = UASID } };
	ASSERT_OK(pt_unmap_leaves(&upt, va, SZ_4K, 0, UINTPTR_MAX, removed_batch_fn, &b));
	EXPECT_EQ(b.calls, 1);
	EXPECT_EQ(b.r.n, 1);
	EXPECT_EQ_U(b.r.first.pa, 0x300000000);
	ASSERT_OK(pt_unmap(&upt, va + SZ_4K, SZ_4K, NULL, NULL));
	teardown();
}

static void test_top_page_of_the_address_space(void)
{
	for (unsigned levels = 3; levels <= 4; levels++) {
		setup(levels);
		uintptr_t top = ~(uintptr_t)0 - SZ_4K + 1;

		ASSERT_OK(pt_map(&kpt, top - SZ_4K, 0x3000, 2 * SZ_4K, KRO));
		expect_at(&kpt, ~(uintptr_t)0, 0x4fff, KRO, SZ_4K);
		EXPECT_EQ(pt_map(&kpt, top, 0x3000, 2 * SZ_4K, KRO), E_OVERFLOW);
		ASSERT_OK(pt_protect(&kpt, top, SZ_4K, KRW));
		expect_at(&kpt, top, 0x4000, KRW, SZ_4K);
		ASSERT_OK(pt_unmap(&kpt, top - SZ_4K, 2 * SZ_4K, NULL, NULL));
		/* The root and the table under its last entry, which the kernel
		 * table keeps even when empty: root entries never change. */
		EXPECT_EQ(kpt.table_pages, 2);
		teardown();
	}
}

/* riscv64 user roots copy kernel root entries: those must never change. */
static void test_kernel_root_entries_stay_when_emptied(void)
{
	for (unsigned levels = 3; levels <= 4; levels++) {
		setup(levels);
		uintptr_t va = kbase(levels) + 5 * SZ_2M;
		const pte_t *root = pa_to_va(kpt.root_pa);
		unsigned idx = (va >> (PAGE_SHIFT + PT_INDEX_BITS * (levels - 1))) % PT_ENTRIES;

		ASSERT_OK(pt_map(&kpt, va, 0x200000, SZ_4K, KRO));
		pte_t made = root[idx];
		EXPECT_EQ(arch_pte_kind(made, levels - 1), PTE_TABLE);
		ASSERT_OK(pt_unmap(&kpt, va, SZ_4K, NULL, NULL));
		EXPECT_EQ_U(root[idx], made);
		EXPECT_EQ(kpt.table_pages, 2);
		EXPECT_EQ(pt_audit(&kpt), 0);
		teardown();
	}
}

/* ---- failure atomicity ----------------------------------------------------------------- */

typedef int (*update_fn)(void);

/*
 * Run @update with the N-th table allocation failing, for N = 1, 2, ...
 * until it succeeds: every failure must be E_NOMEM and leave no trace,
 * and the success must take exactly @pages table pages.
 */
static void fail_every_n(update_fn update, uint64_t pages)
{
	for (unsigned n = 1; n <= pages + 1; n++) {
		snap_take(&before);
		fake_tlb_mark();
		fake_pt_alloc_fail_at(n);
		int rc = update();

		if (n <= pages) {
			EXPECT_EQ(rc, E_NOMEM);
			EXPECT_TRUE(fake_pt_alloc_failed());
			expect_unchanged("failed update");
			EXPECT_EQ(fake_tlb_flushes(), 0);
			continue;
		}
		EXPECT_OK(rc);
		EXPECT_FALSE(fake_pt_alloc_failed());
		EXPECT_EQ(fake_pt_alloc_live() - before.live, pages);
	}
	fake_pt_alloc_fail_at(0);
	EXPECT_EQ(pt_audit(&kpt) + pt_audit(&upt), 0);
}

/* Six new tables: on each side of a root boundary, down to 4 KiB at the ends. */
static int map_across_root_entries(void)
{
	uintptr_t va = (1ull << 39) - SZ_2M - 2 * SZ_4K;

	return pt_map(&upt, va, 8 * GiB - SZ_2M - 2 * SZ_4K, 2 * SZ_2M + 4 * SZ_4K, URW);
}

static void test_failed_map_leaves_no_trace(void)
{
	setup(4);
	fail_every_n(map_across_root_entries, 6);
	expect_best_leaves(&upt, (1ull << 39) - SZ_2M - 2 * SZ_4K, 8 * GiB - SZ_2M - 2 * SZ_4K,
	                   2 * SZ_2M + 4 * SZ_4K, URW);
	teardown();
}

/* Two 1 GiB blocks, each cut at 2 MiB and then 4 KiB: four tables. */
static uintptr_t blocks_va;

static void map_two_gib_blocks(unsigned levels)
{
	blocks_va = kbase(levels) + 10 * GiB;
	ASSERT_OK(pt_map(&kpt, blocks_va, 2 * GiB, 2 * GiB, KRW));
}

static int unmap_across_blocks(void)
{
	return pt_unmap(&kpt, blocks_va + GiB - SZ_4K, 2 * SZ_4K, NULL, NULL);
}

static int protect_across_blocks(void)
{
	return pt_protect(&kpt, blocks_va + GiB - SZ_4K, 2 * SZ_4K, KRO);
}

static void test_failed_unmap_split_leaves_no_trace(void)
{
	for (unsigned levels = 3; levels <= 4; levels++) {
		setup(levels);
		map_two_gib_blocks(levels);
		fail_every_n(unmap_across_blocks, 4);
		EXPECT_EQ(pt_query(&kpt, blocks_va + GiB, NULL, NULL, NULL), E_NOENT);
		expect_at(&kpt, blocks_va + GiB + SZ_4K, 3 * GiB + SZ_4K, KRW, SZ_4K);
		teardown();
	}
}

static void test_failed_protect_split_leaves_no_trace(void)
{
	for (unsigned levels = 3; levels <= 4; levels++) {
		setup(levels);
		map_two_gib_blocks(levels);
		fail_every_n(protect_across_blocks, 4);
		expect_at(&kpt, blocks_va + GiB, 3 * GiB, KRO, SZ_4K);
		expect_at(&kpt, blocks_va + GiB + SZ_4K, 3 * GiB + SZ_4K, KRW, SZ_4K);
		expect_at(&kpt, blocks_va + GiB + SZ_2M, 3 * GiB + SZ_2M, KRW, SZ_2M);
		teardown();
	}
}

/* A map that needs tables below existing ones and a big one of 4 KiB pages. */
static int map_many_pages(void)
{
	return pt_map(&upt, 5 * GiB - 3 * SZ_2M, 64 * GiB + SZ_4K, 6 * SZ_2M, URO);
}

static void test_failed_big_map_leaves_no_trace(void)
{
	setup(3);
	ASSERT_OK(pt_map(&upt, 5 * GiB - SZ_4K, 0, SZ_4K, URO));
	ASSERT_OK(pt_unmap(&upt, 5 * GiB - SZ_4K, SZ_4K, NULL, NULL));
	ASSERT_OK(pt_map(&upt, 4 * GiB, 0, SZ_4K, URO));   /* one table exists */
	fail_every_n(map_many_pages, 1 + 6);
	teardown();
}

static void test_create_fails_cleanly(void)
{
	struct pt extra;

	setup(3);
	snap_take(&before);
	fake_pt_alloc_fail_at(1);
	EXPECT_EQ(pt_create(&extra, 3, 0, 9, &kpt), E_NOMEM);
	expect_unchanged("failed create");
	EXPECT_EQ(pt_create(&extra, 2, 1, 0, NULL), E_INVAL);
	EXPECT_EQ(pt_create(&extra, 5, 1, 0, NULL), E_INVAL);
	EXPECT_EQ(pt_create(&extra, 3, 0, 9, NULL), E_INVAL);
	EXPECT_EQ(pt_create(&extra, 3, 0, 9, &upt), E_INVAL);   /* not a kernel table */
	EXPECT_EQ(pt_create(&extra, 4, 0, 9, &kpt), E_INVAL);   /* other depth */
	expect_unchanged("bad create");
	teardown();
}

/* ---- bad input ------------------------------------------------------------------------- */

enum { MAP, UNMAP, PROTECT };

struct bad {
	const char *what;
	int op;
	int kernel;        /* which table */
	uintptr_t va;      /* USER_END, KERNEL_START: a page below that edge of the half */
	paddr_t pa;
	uint64_t size;
	unsigned flags;
	int rc;
};

#define UVA 0x40000000ull
#define KVA 0xffffffc040000000ull   /* inside the kernel half of both depths */
#define TOP (~(uintptr_t)0 - SZ_4K + 1)
#define USER_END 1
#define KERNEL_START 2

static const struct bad bad_cases[] = {
	{ "unaligned va", MAP, 0, UVA + 8, 0, SZ_4K, URW, E_ALIGN },
	{ "unaligned pa", MAP, 0, UVA, 0x1800, SZ_4K, URW, E_ALIGN },
	{ "unaligned size", MAP, 0, UVA, 0, SZ_4K + 1, URW, E_ALIGN },
	{ "size 0", MAP, 0, UVA, 0, 0, URW, E_INVAL },
	{ "va wraps", MAP, 1, TOP, 0, 2 * SZ_4K, KRW, E_OVERFLOW },
	{ "pa wraps", MAP, 0, UVA, ~0ull - SZ_4K + 1, 2 * SZ_4K, URW, E_OVERFLOW },
	{ "kernel va in the user table", MAP, 0, KVA, 0, SZ_4K, URW, E_RANGE },
	{ "user va in the kernel table", MAP, 1, UVA, 0, SZ_4K, KRW, E_RANGE },
	{ "past the user half", MAP, 0, USER_END, 0, 2 * SZ_4K, URW, E_RANGE },
	{ "below the kernel half", MAP, 1, KERNEL_START, 0, 2 * SZ_4K, KRW, E_RANGE },
	{ "unmap past the user half", UNMAP, 0, USER_END, 0, 2 * SZ_4K, 0, E_RANGE },
	{ "protect below the kernel half", PROTECT, 1, KERNEL_START, 0, 2 * SZ_4K, KRO, E_RANGE },
	{ "user flag in the kernel table", MAP, 1, KVA, 0, SZ_4K, KRW | MMU_USER, E_RANGE },
	{ "no user flag in the user table", MAP, 0, UVA, 0, SZ_4K, MMU_READ, E_RANGE },
	{ "kernel leaf not global", MAP, 1, KVA, 0, SZ_4K, MMU_READ, E_RANGE },
	{ "global user leaf", MAP, 0, UVA, 0, SZ_4K, URW | MMU_GLOBAL, E_RANGE },
	{ "writable and executable", MAP, 0, UVA, 0, SZ_4K, URW | MMU_EXEC, E_PERM },
	{ "kernel W+X", MAP, 1, KVA, 0, SZ_4K, KRW | MMU_EXEC, E_PERM },
	{ "no read", MAP, 0, UVA, 0, SZ_4K, MMU_WRITE | MMU_USER, E_INVAL },
	{ "unknown flag", MAP, 0, UVA, 0, SZ_4K, URW | 0x100, E_INVAL },
	{ "two memory types", MAP, 0, UVA, 0, SZ_4K, URW | MMU_DEVICE | MMU_WC, E_INVAL },
	{ "already mapped", MAP, 0, UVA + SZ_2M, 0, SZ_4K, URW, E_EXIST },
	{ "unmap unaligned va", UNMAP, 0, UVA + 1, 0, SZ_4K, 0, E_ALIGN },
	{ "unmap unaligned size", UNMAP, 0, UVA, 0, 100, 0, E_ALIGN },
	{ "unmap size 0", UNMAP, 0, UVA, 0, 0, 0, E_INVAL },
	{ "unmap wraps", UNMAP, 1, TOP, 0, 2 * SZ_4K, 0, E_OVERFLOW },
	{ "unmap kernel va in the user table", UNMAP, 0, KVA, 0, SZ_4K, 0, E_RANGE },
	{ "unmap user va in the kernel table", UNMAP, 1, UVA, 0, SZ_4K, 0, E_RANGE },
	{ "protect unaligned", PROTECT, 0, UVA + SZ_2M + 4, 0, SZ_4K, URO, E_ALIGN },
	{ "protect size 0", PROTECT, 0, UVA + SZ_2M, 0, 0, URO, E_INVAL },
	{ "protect wraps", PROTECT, 1, TOP, 0, 2 * SZ_4K, KRO, E_OVERFLOW },
	{ "protect out of range", PROTECT, 0, KVA, 0, SZ_4K, URO, E_RANGE },
	{ "protect W+X", PROTECT, 0, UVA + SZ_2M, 0, SZ_4K, URW | MMU_EXEC, E_PERM },
	{ "protect to no read", PROTECT, 0, UVA + SZ_2M, 0, SZ_4K, MMU_USER, E_INVAL },
	{ "protect to kernel flags", PROTECT, 0, UVA + SZ_2M, 0, SZ_4K, KRO, E_RANGE },
	{ "protect unknown flag", PROTECT, 1, KVA, 0, SZ_4K, KRO | 0x100, E_INVAL },
};

static void test_bad_input_is_refused_without_change(void)
{
	for (unsigned levels = 3; levels <= 4; levels++) {
		setup(levels);
		/* Something to collide with, and blocks a bad split would touch. */
		ASSERT_OK(pt_map(&upt, UVA, 0, 2 * SZ_2M, URW));
		ASSERT_OK(pt_map(&kpt, KVA, 0, SZ_2M, KRW));
		snap_take(&before);
		uint64_t attempts = fake_pt_alloc_attempts();

		fake_tlb_mark();
		for (unsigned i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
			const struct bad *b = &bad_cases[i];
			struct pt *pt = b->kernel ? &kpt : &upt;
			uintptr_t va = b->va == USER_END ? upt.va_last + 1 - SZ_4K :
			               b->va == KERNEL_START ? kpt.va_start - SZ_4K : b->va;
			int rc;

			snap_take(&before);
			if (b->op == MAP)
				rc = pt_map(pt, va, b->pa, b->size, b->flags);
			else if (b->op == UNMAP)
				rc = pt_unmap(pt, va, b->size, NULL, NULL);
			else
				rc = pt_protect(pt, va, b->size, b->flags);
			if (rc != b->rc)
				ktest_fail(__FILE__, __LINE__, "%u levels, %s: %s, expected %s", levels,
				           b->what, err_str(rc), err_str(b->rc));
			expect_unchanged(b->what);
		}
		EXPECT_EQ(fake_pt_alloc_attempts(), attempts);
		EXPECT_EQ(fake_tlb_flushes(), 0);
		teardown();
	}
}

/* ---- audit, destroy, allocators --------------------------------------------------------- */

static unsigned idx(uintptr_t va, unsigned level)
{
	return (unsigned)(va >> (PAGE_SHIFT + PT_INDEX_BITS * level)) & (PT_ENTRIES - 1);
}

/* The table at @level on the way to @va (every table above it exists). */
static pte_t *table_at(const struct pt *pt, uintptr_t va, unsigned level)
{
	pte_t *t = pa_to_va(pt->root_pa);

	for (unsigned l = pt->levels - 1; l > level; l--) {
		pte_t e = t[idx(va, l)];

		ASSERT_EQ(arch_pte_kind(e, l), PTE_TABLE);
		t = pa_to_va(arch_pte_pa(e));
	}
	return t;
}

/*
 * Protect over one leaf table holding leaves of several kinds (decided
 * once per kind, apply_leaves()): each ends with the new flags, a memory
 * type change goes break-before-make (the fake MMU checks), leaves that
 * have the flags already are not written.
 */
static void test_protect_over_leaves_of_several_kinds(void)
{
	const uintptr_t va = 0x200000;
	const unsigned kinds[] = { URW, URO, URW | MMU_WC, URO, URW };
	uint64_t writes;

	setup(3);
	for (unsigned i = 0; i < 5; i++)
		ASSERT_OK(pt_map(&upt, va + 2 * i * SZ_4K, 0x100000 + 2 * i * SZ_4K, 2 * SZ_4K,
		                 kinds[i]));
	writes = fake_mmu_writes();
	ASSERT_OK(pt_protect(&upt, va, 10 * SZ_4K, URO));
	/* 4 leaves rewritten in place, 2 (write-combining) broken first, 4 kept */
	EXPECT_EQ(fake_mmu_writes() - writes, 4 + 2 * 2);
	for (unsigned i = 0; i < 10; i++) {
		paddr_t pa;
		unsigned flags;

		ASSERT_OK(pt_query(&upt, va + i * SZ_4K, &pa, &flags, NULL));
		EXPECT_EQ(flags, URO);
		EXPECT_EQ_U(pa, 0x100000 + i * SZ_4K);
	}
	EXPECT_EQ(fake_mmu_violations(), 0);
	teardown();
}

static void test_audit_reports_each_problem(void)
{
	setup(3);
	uintptr_t kva = kbase(3) + 3 * GiB, uva = 0x100000;

	ASSERT_OK(pt_map(&kpt, kva, 0x100000, 8 * SZ_4K, KRW));
	ASSERT_OK(pt_map(&upt, uva, 0x100000, 8 * SZ_4K, URW));
	EXPECT_EQ(pt_audit(&kpt) + pt_audit(&upt), 0);

	/* Bad leaves planted after the good ones, one problem each. */
	pte_t *kt = table_at(&kpt, kva, 0), *ut = table_at(&upt, uva, 0);
	unsigned k0 = idx(kva, 0) + 8, u0 = idx(uva, 0) + 8;
	const unsigned kbad[] = { KRW | MMU_EXEC, MMU_WRITE | MMU_GLOBAL, KRO | MMU_UNCACHED | MMU_WC,
	                          KRO | MMU_USER, MMU_READ };
	const unsigned ubad[] = { MMU_READ, URO | MMU_GLOBAL, URW | MMU_EXEC };

	for (unsigned i = 0; i < 5; i++)
		kt[k0 + i] = fake_pte_leaf_raw(0x300000 + i * SZ_4K, kbad[i]);
	EXPECT_EQ(pt_audit(&kpt), 6);   /* and the table's stored count is stale */
	pt_recount(&kpt);
	EXPECT_EQ(pt_audit(&kpt), 5);
	for (unsigned i = 0; i < 3; i++)
		ut[u0 + i] = fake_pte_leaf_raw(0x300000 + i * SZ_4K, ubad[i]);
	pt_recount(&upt);
	EXPECT_EQ(pt_audit(&upt), 3);
	for (unsigned i = 0; i < 5; i++)
		kt[k0 + i] = 0;
	for (unsigned i = 0; i < 3; i++)
		ut[u0 + i] = 0;
	pt_recount(&kpt);
	pt_recount(&upt);
	EXPECT_EQ(pt_audit(&kpt) + pt_audit(&upt), 0);

	/* A block whose address is not aligned to its size. */
	pte_t *u1 = table_at(&upt, uva, 1);

	u1[idx(uva, 1) + 1] = fake_pte_leaf_raw(SZ_2M + SZ_4K, URO);
	pt_recount(&upt);
	EXPECT_EQ(pt_audit(&upt), 1);
	u1[idx(uva, 1) + 1] = 0;
	pt_recount(&upt);

	/* An invalid entry that is not zero. */
	ut[u0] = 4;
	EXPECT_EQ(pt_audit(&upt), 1);
	ut[u0] = 0;

	/* A table page not counted, and empty: in the kernel's table both are
	 * problems; a user table may keep an empty table (pt_unmap_keep(),
	 * whose policy aspace_check() checks), so there only the count is. */
	struct page *p = page_alloc(0, PAGE_ZERO);
	pte_t *k1 = table_at(&kpt, kva, 1);

	ASSERT_NOT_NULL(p);
	k1[idx(kva, 1) + 2] = fake_pte_table_raw(page_to_pa(p));
	pt_recount(&kpt);
	EXPECT_EQ(pt_audit(&kpt), 2);
	k1[idx(kva, 1) + 2] = 0;
	pt_recount(&kpt);
	u1[idx(uva, 1) + 2] = fake_pte_table_raw(page_to_pa(p));
	pt_recount(&upt);
	EXPECT_EQ(pt_audit(&upt), 1);
	u1[idx(uva, 1) + 2] = 0;
	pt_recount(&upt);
	page_free(p, 0);
	upt.table_pages++;
	EXPECT_EQ(pt_audit(&upt), 1);
	upt.table_pages--;
	teardown();
}

/* The user root shares the kernel's root entries; destroying it leaves them. */
static void test_destroying_a_user_table_keeps_the_kernel_half(void)
{
	for (unsigned levels = 3; levels <= 4; levels++) {
		struct pt u2;

		setup_tables(levels, 1);
		ASSERT_OK(pt_create(&u2, levels, 0, 9, &kpt));
		ASSERT_OK(pt_map(&upt, 0x200000, 0x200000, 4 * SZ_4K, URW));
		ASSERT_OK(pt_map(&u2, 0x200000, 0x400000, SZ_2M + SZ_4K, URO));
		uint64_t kpages = kpt.table_pages;

		EXPECT_EQ(pt_audit(&u2), 0);
		pt_destroy(&u2);
		EXPECT_EQ(fake_pt_alloc_live(), kpt.table_pages + upt.table_pages);
		EXPECT_EQ(kpt.table_pages, kpages);
		expect_at(&kpt, kbase(levels), 0x1000, KRO, SZ_4K);
		teardown();
	}
}

static void test_default_allocator_takes_frames(void)
{
	fake_ram_setup();
	fake_mmu_reset(4);
	pt_set_allocator(NULL);
	uint64_t frames = pmm_free_frames();
	struct pt k;

	ASSERT_OK(pt_create(&k, 4, 1, 0, NULL));
	ASSERT_OK(pt_map(&k, kbase(4) + 3 * SZ_4K, 0x9000, 2 * SZ_4K, KRO));
	EXPECT_EQ(k.table_pages, 4);
	EXPECT_EQ(pmm_free_frames(), frames - 4);
	EXPECT_EQ(pt_audit(&k), 0);
	ASSERT_OK(pt_unmap(&k, kbase(4), SZ_2M, NULL, NULL));
	EXPECT_EQ(pmm_free_frames(), frames - 2);   /* the root and the kept root-level table */
	pt_destroy(&k);
	EXPECT_EQ(pmm_free_frames(), frames);
	EXPECT_EQ(fake_mmu_violations(), 0);
}

/* ---- randomized differential test ----------------------------------------------------- */

/*
 * The model: what is mapped in a window of the address space, as a map
 * from page to (pa, flags) kept as sorted runs of pages with consecutive
 * physical addresses and equal flags (offsets from the window's base).
 */
struct run {
	uint64_t off, size;
	paddr_t pa;
	unsigned flags;
};

static struct run *runs;
static size_t nruns, runs_cap;

/* Index of the first run that ends after @off. */
static size_t m_find(uint64_t off)
{
	size_t lo = 0, hi = nruns;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (runs[mid].off + runs[mid].size <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void m_insert(size_t i, struct run r)
{
	if (nruns == runs_cap) {
		runs_cap = runs_cap ? 2 * runs_cap : 256;
		runs = realloc(runs, runs_cap * sizeof(*runs));
		ASSERT_NOT_NULL(runs);
	}
	memmove(&runs[i + 1], &runs[i], (nruns - i) * sizeof(*runs));
	runs[i] = r;
	nruns++;
}

/* Make @off the start of a run if a run covers it. */
static void m_cut(uint64_t off)
{
	size_t i = m_find(off);
	struct run r;

	if (i == nruns || runs[i].off >= off)
		return;
	r = runs[i];
	runs[i].size = off - r.off;
	m_insert(i + 1, (struct run){ off, r.size - (off - r.off), r.pa + (off - r.off), r.flags });
}

/* Cut at both ends of [off, off + size); the runs inside are [*first, *end). */
static void m_span(uint64_t off, uint64_t size, size_t *first, size_t *end)
{
	m_cut(off);
	m_cut(off + size);
	*first = *end = m_find(off);
	while (*end < nruns && runs[*end].off < off + size)
		++*end;
}

static const struct run *m_lookup(uint64_t off)
{
	size_t i = m_find(off);

	return i < nruns && runs[i].off <= off ? &runs[i] : NULL;
}

static void m_merge(void)
{
	size_t j = 0;

	for (size_t i = 1; i < nruns; i++) {
		struct run *p = &runs[j];

		if (p->off + p->size == runs[i].off && p->pa + p->size == runs[i].pa &&
		    p->flags == runs[i].flags)
			p->size += runs[i].size;
		else
			runs[++j] = runs[i];
	}
	if (nruns)
		nruns = j + 1;
}

struct fuzz {
	struct pt *pt;
	uintptr_t base;
	uint64_t window;
	uint64_t rng;
	unsigned half;        /* MMU_GLOBAL or MMU_USER */
	uint64_t removed;     /* bytes the unmap callback reported */
	unsigned op;
	/* What the run exercised, for the log. */
	unsigned mapped, existed, nomem, unmapped, protected_, max_tables;
	size_t max_runs;
};

static uint64_t rnd(struct fuzz *f)
{
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return f->rng * 0x2545f4914f6cdd1dull;
}

static uint64_t below(struct fuzz *f, uint64_t n)
{
	return rnd(f) % n;
}

/* The walk's leaves, merged into runs like the model's. */
static struct run *seen;
static size_t nseen, seen_cap;

static int seen_fn(void *ctx, uintptr_t va, paddr_t pa, uint64_t size, unsigned flags,
                   unsigned level)
{
	struct fuzz *f = ctx;
	uint64_t off = va - f->base;
	struct run *last = nseen ? &seen[nseen - 1] : NULL;

	(void)level;
	if (off >= f->window || size > f->window - off) {
		ktest_fail(__FILE__, __LINE__, "leaf at %#llx outside the window", (unsigned long long)va);
		return 1;
	}
	if (last && last->off + last->size == off && last->pa + last->size == pa &&
	    last->flags == flags) {
		last->size += size;
		return 0;
	}
	if (nseen == seen_cap) {
		seen_cap = seen_cap ? 2 * seen_cap : 256;
		seen = realloc(seen, seen_cap * sizeof(*seen));
		ASSERT_NOT_NULL(seen);
	}
	seen[nseen++] = (struct run){ off, size, pa, flags };
	return 0;
}

static void fuzz_check_table(struct fuzz *f)
{
	nseen = 0;
	pt_walk(f->pt, seen_fn, f);
	for (size_t i = 0; i < nseen || i < nruns; i++) {
		if (i < nseen && i < nruns && seen[i].off == runs[i].off && seen[i].size == runs[i].size &&
		    seen[i].pa == runs[i].pa && seen[i].flags == runs[i].flags)
			continue;
		ktest_fail(__FILE__, __LINE__, "op %u: run %zu differs: table %#llx+%#llx -> %#llx %#x, "
		           "model %#llx+%#llx -> %#llx %#x", f->op, i,
		           i < nseen ? (unsigned long long)seen[i].off : 0ull,
		           i < nseen ? (unsigned long long)seen[i].size : 0ull,
		           i < nseen ? (unsigned long long)seen[i].pa : 0ull, i < nseen ? seen[i].flags : 0,
		           i < nruns ? (unsigned long long)runs[i].off : 0ull,
		           i < nruns ? (unsigned long long)runs[i].size : 0ull,
		           i < nruns ? (unsigned long long)runs[i].pa : 0ull, i < nruns ? runs[i].flags : 0);
		break;
	}
	EXPECT_EQ(pt_audit(f->pt), 0);
	EXPECT_EQ(fake_pt_alloc_live(), kpt.table_pages + upt.table_pages);
}

/* pt_query at @off (plus a byte offset) against the model. */
static void fuzz_query(struct fuzz *f, uint64_t off)
{
	const struct run *r = m_lookup(off & ~(uint64_t)PAGE_MASK);
	paddr_t pa;
	unsigned flags;
	int rc = pt_query(f->pt, f->base + off, &pa, &flags, NULL);

	if (!r) {
		if (rc != E_NOENT)
			ktest_fail(__FILE__, __LINE__, "op %u: %#llx mapped, model says not", f->op,
			           (unsigned long long)off);
		return;
	}
	if (rc || pa != r->pa + (off - r->off) || flags != r->flags)
		ktest_fail(__FILE__, __LINE__, "op %u: query %#llx: rc %d pa %#llx flags %#x, model %#llx %#x",
		           f->op, (unsigned long long)off, rc, (unsigned long long)pa, flags,
		           (unsigned long long)(r->pa + (off - r->off)), r->flags);
}

static void fuzz_removed(void *ctx, uintptr_t va, paddr_t pa, uint64_t size, unsigned flags)
{
	struct fuzz *f = ctx;
	uint64_t off = va - f->base;
	const struct run *r = m_lookup(off);

	if (!fake_tlb_covered(f->pt->asid, va, size))
		ktest_fail(__FILE__, __LINE__, "op %u: callback before the flush", f->op);
	if (!r || off + size > r->off + r->size || pa != r->pa + (off - r->off) || flags != r->flags)
		ktest_fail(__FILE__, __LINE__, "op %u: callback for %#llx+%#llx -> %#llx %#x not in the model",
		           f->op, (unsigned long long)off, (unsigned long long)size,
		           (unsigned long long)pa, flags);
	f->removed += size;
}

/* A range in the window: page, 2 MiB or 1 GiB sized and aligned, edges sometimes moved. */
static void pick_range(struct fuzz *f, uint64_t *off, uint64_t *size, uint64_t *gran)
{
	uint64_t r = below(f, 100), g = r < 45 ? SZ_4K : r < 85 ? SZ_2M : SZ_1G;
	uint64_t o = below(f, f->window / g) * g, s = (1 + below(f, g == SZ_4K ? 64 : 3)) * g;

	if (g != SZ_4K && below(f, 3) == 0) {
		uint64_t jo = below(f, 8) * SZ_4K + (g == SZ_1G ? below(f, 3) * SZ_2M : 0);
		uint64_t js = below(f, 8) * SZ_4K + (g == SZ_1G ? below(f, 3) * SZ_2M : 0);

		o = below(f, 2) && o >= jo ? o - jo : o + jo;
		s = below(f, 2) && s > js ? s - js : s + js;
	}
	if (o >= f->window)
		o = f->window - SZ_4K;
	if (s > f->window - o)
		s = f->window - o;
	*off = o;
	*size = s;
	*gran = g;
}

static unsigned pick_flags(struct fuzz *f)
{
	unsigned flags = MMU_READ | f->half, r = (unsigned)below(f, 3);

	if (r == 1)
		flags |= MMU_WRITE;
	if (r == 2)
		flags |= MMU_EXEC;
	if (below(f, 10) == 0)
		flags |= MMU_DEVICE;
	return flags;
}

static void fuzz_map(struct fuzz *f, uint64_t off, uint64_t size, uint64_t g)
{
	uint64_t align = g, r = below(f, 10);
	paddr_t pa;
	unsigned flags = pick_flags(f);
	size_t i = m_find(off);
	int exist = i < nruns && runs[i].off < off + size;
	int rc;

	if (r < 3)
		align = g == SZ_1G ? SZ_2M : SZ_4K;   /* pa less aligned than va */
	pa = below(f, (1ull << 40) / align) * align + (off & (align - 1));
	if (r < 3 && g != SZ_1G)
		pa += (1 + below(f, 511)) * SZ_4K;
	rc = pt_map(f->pt, f->base + off, pa, size, flags);
	if (rc == E_NOMEM) {
		f->nomem++;
		return;
	}
	if (rc != (exist ? E_EXIST : E_OK)) {
		ktest_fail(__FILE__, __LINE__, "op %u: map %#llx+%#llx: %s", f->op,
		           (unsigned long long)off, (unsigned long long)size, err_str(rc));
		return;
	}
	if (exist) {
		f->existed++;
		return;
	}
	f->mapped++;
	m_insert(i, (struct run){ off, size, pa, flags });
	expect_best_leaves(f->pt, f->base + off, pa, size, flags);
	if (!fake_tlb_covered(f->pt->asid, f->base + off, size))
		ktest_fail(__FILE__, __LINE__, "op %u: map not flushed", f->op);
}

/* Unmap (@flags 0) or protect [off, off + size) in the table and the model. */
static void fuzz_change(struct fuzz *f, uint64_t off, uint64_t size, unsigned flags)
{
	size_t first, end;
	uint64_t bytes = 0;
	int rc;

	m_span(off, size, &first, &end);
	f->removed = 0;
	if (flags)
		rc = pt_protect(f->pt, f->base + off, size, flags);
	else
		rc = pt_unmap(f->pt, f->base + off, size, fuzz_removed, f);
	if (rc == E_NOMEM) {
		f->nomem++;
		return;
	}
	if (rc) {
		ktest_fail(__FILE__, __LINE__, "op %u: %s", f->op, err_str(rc));
		return;
	}
	if (flags)
		f->protected_++;
	else
		f->unmapped++;
	for (size_t i = first; i < end; i++) {
		if (flags && runs[i].flags == flags)
			continue;
		bytes += runs[i].size;
		if (!fake_tlb_covered(f->pt->asid, f->base + runs[i].off, runs[i].size))
			ktest_fail(__FILE__, __LINE__, "op %u: change at %#llx not flushed", f->op,
			           (unsigned long long)runs[i].off);
		runs[i].flags = flags;
	}
	if (!flags && end > first) {
		memmove(&runs[first], &runs[end], (nruns - end) * sizeof(*runs));
		nruns -= end - first;
	}
	if (!flags)
		EXPECT_EQ_U(f->removed, bytes);
}

static void fuzz_step(struct fuzz *f)
{
	uint64_t off, size, g, kind = below(f, 100);
	int inject = below(f, 100) < 8;

	pick_range(f, &off, &size, &g);
	if (fake_pt_alloc_live() > 1500) {
		kind = 50;   /* keep inside the fake RAM: unmap a lot */
		off = below(f, f->window / SZ_1G) * SZ_1G;
		size = f->window - off;
	}
	fake_pt_alloc_fail_at(inject ? 1 + (unsigned)below(f, 4) : 0);
	fake_tlb_mark();
	if (kind < 45)
		fuzz_map(f, off, size, g);
	else if (kind < 75)
		fuzz_change(f, off, size, 0);
	else if (kind < 95)
		fuzz_change(f, off, size, pick_flags(f));
	if (fake_pt_alloc_failed() && fake_tlb_flushes())
		ktest_fail(__FILE__, __LINE__, "op %u: a failed update flushed the TLB", f->op);
	fake_pt_alloc_fail_at(0);
	m_merge();
	if (f->pt->table_pages > f->max_tables)
		f->max_tables = (unsigned)f->pt->table_pages;
	if (nruns > f->max_runs)
		f->max_runs = nruns;
	fuzz_check_table(f);
	for (unsigned i = 0; i < 6; i++)
		fuzz_query(f, below(f, f->window));
	fuzz_query(f, off);
	fuzz_query(f, off + size - 1);
	if (off)
		fuzz_query(f, off - 1);
	if (off + size < f->window)
		fuzz_query(f, off + size);
}

static void fuzz_run(unsigned levels, int kernel, uintptr_t base, uint64_t seed, unsigned ops)
{
	struct fuzz f = { .pt = kernel ? &kpt : &upt, .base = base, .window = 8 * GiB, .rng = seed,
	                  .half = kernel ? MMU_GLOBAL : MMU_USER };

	setup_tables(levels, !kernel);
	nruns = 0;
	for (f.op = 0; f.op < ops; f.op++) {
		fuzz_step(&f);
		if (!ktest_ok()) {
			ktest_log("%u levels, %s, seed %llu: stopped at op %u", levels,
			          kernel ? "kernel" : "user", (unsigned long long)seed, f.op);
			break;
		}
	}
	ktest_log("%u levels, %s, seed %llu: %u maps (%u over a mapping), %u unmaps, %u protects, "
	          "%u out of table pages; up to %u table pages and %zu runs", levels,
	          kernel ? "kernel" : "user", (unsigned long long)seed, f.mapped, f.existed,
	          f.unmapped, f.protected_, f.nomem, f.max_tables, f.max_runs);
	teardown();
}

#define FUZZ_OPS 3000

static void test_random_updates_match_the_model_kernel_sv39(void)
{
	fuzz_run(3, 1, (uintptr_t)0 - 8 * GiB, 1, FUZZ_OPS);   /* the top of memory */
}

static void test_random_updates_match_the_model_user_sv39(void)
{
	fuzz_run(3, 0, 0, 2, FUZZ_OPS);
	fuzz_run(3, 0, (1ull << 38) - 8 * GiB, 3, FUZZ_OPS);   /* the top of the half */
}

static void test_random_updates_match_the_model_kernel_sv48(void)
{
	fuzz_run(4, 1, kbase(4) + 512 * GiB - 4 * GiB, 4, FUZZ_OPS);   /* across a root entry */
}

static void test_random_updates_match_the_model_user_sv48(void)
{
	fuzz_run(4, 0, 512 * GiB - 4 * GiB, 5, FUZZ_OPS);
}

/*
 * pt_replace(): a leaf gets another frame (break-before-make, flushed) or
 * only more permissions (in place, flushed), with no table made or freed
 * and its table's entry count kept (the audit checks it); anything but a
 * present 4 KiB leaf, or bad input, is refused with nothing changed.
 */
static void test_replace_changes_one_leaf_in_place(void)
{
	setup(4);
	uintptr_t va = 0x400000;
	unsigned level = 9;
	pte_t *slot;

	ASSERT_OK(pt_map(&upt, va, 0x9000000, 2 * SZ_4K, URO));
	uint64_t attempts = fake_pt_alloc_attempts(), pages = upt.table_pages;

	slot = pt_leaf(&upt, va + SZ_4K, &level);
	ASSERT_TRUE(slot != NULL);
	EXPECT_EQ(level, 0);
	fake_tlb_mark();
	EXPECT_OK(pt_replace(&upt, slot, 0, va + SZ_4K, 0xa000000, URW));
	EXPECT_TRUE(fake_tlb_covered(UASID, va + SZ_4K, SZ_4K));
	expect_at(&upt, va + SZ_4K, 0xa000000, URW, SZ_4K);
	expect_at(&upt, va, 0x9000000, URO, SZ_4K);
	EXPECT_EQ(pt_audit(&upt), 0);

	slot = pt_leaf(&upt, va, &level);
	ASSERT_TRUE(slot != NULL);
	fake_tlb_mark();
	EXPECT_OK(pt_replace(&upt, slot, 0, va, 0x9000000, URW));
	EXPECT_TRUE(fake_tlb_covered(UASID, va, SZ_4K));
	expect_at(&upt, va, 0x9000000, URW, SZ_4K);
	EXPECT_EQ(fake_pt_alloc_attempts(), attempts);
	EXPECT_EQ(upt.table_pages, pages);
	EXPECT_EQ(pt_audit(&upt), 0);

	snap_take(&before);
	fake_tlb_mark();
	EXPECT_TRUE(pt_leaf(&upt, va + 2 * SZ_4K, NULL) == NULL);
	EXPECT_EQ(pt_replace(&upt, slot + 2, 0, va + 2 * SZ_4K, 0xb000000, URW), E_NOENT);
	EXPECT_EQ(pt_replace(&upt, slot, 1, va, 0xb000000, URW), E_INVAL);
	EXPECT_EQ(pt_replace(&upt, slot, 0, va + 8, 0xb000000, URW), E_ALIGN);
	EXPECT_EQ(pt_replace(&upt, slot, 0, va, 0xb000008, URW), E_ALIGN);
	EXPECT_EQ(pt_replace(&upt, slot, 0, va, 0xb000000, URW | MMU_EXEC), E_PERM);
	EXPECT_EQ(pt_replace(&upt, slot, 0, va, 0xb000000, MMU_WRITE | MMU_USER), E_INVAL);
	EXPECT_EQ(pt_replace(&upt, slot, 0, va, 0xb000000, KRW), E_RANGE);
	EXPECT_EQ(pt_replace(&upt, slot, 0, kbase(4), 0xb000000, URW), E_RANGE);
	expect_unchanged("a refused replace");
	EXPECT_EQ(fake_tlb_flushes(), 0);
	teardown();
}

KTEST_SUITE(pt_host,
	KTEST_CASE(test_map_and_query_pages),
	KTEST_CASE(test_gib_aligned_range_is_one_gib_leaf),
	KTEST_CASE(test_leaves_follow_va_and_pa_alignment),
	KTEST_CASE(test_map_over_a_mapping_fails_before_any_change),
	KTEST_CASE(test_map_flushes_what_it_maps),
	KTEST_CASE(test_partial_unmap_splits_a_gib_block),
	KTEST_CASE(test_unmap_across_two_blocks_splits_both),
	KTEST_CASE(test_partial_protect_splits_a_block),
	KTEST_CASE(test_protect_with_the_same_flags_changes_nothing),
	KTEST_CASE(test_replace_changes_one_leaf_in_place),
	KTEST_CASE(test_protect_rewrites_whole_leaves_in_place),
	KTEST_CASE(test_protect_to_device_breaks_before_make),
	KTEST_CASE(test_unmapping_everything_frees_every_table),
	KTEST_CASE(test_unmap_over_a_big_range_reports_every_leaf),
	KTEST_CASE(test_unmap_leaves_reports_every_leaf_in_batches),
	KTEST_CASE(test_top_page_of_the_address_space),
	KTEST_CASE(test_kernel_root_entries_stay_when_emptied),
	KTEST_CASE(test_failed_map_leaves_no_trace),
	KTEST_CASE(test_failed_unmap_split_leaves_no_trace),
	KTEST_CASE(test_failed_protect_split_leaves_no_trace),
	KTEST_CASE(test_failed_big_map_leaves_no_trace),
	KTEST_CASE(test_create_fails_cleanly),
	KTEST_CASE(test_bad_input_is_refused_without_change),
	KTEST_CASE(test_protect_over_leaves_of_several_kinds),
	KTEST_CASE(test_audit_reports_each_problem),
	KTEST_CASE(test_destroying_a_user_table_keeps_the_kernel_half),
	KTEST_CASE(test_default_allocator_takes_frames),
	KTEST_CASE(test_random_updates_match_the_model_kernel_sv39),
	KTEST_CASE(test_random_updates_match_the_model_user_sv39),
	KTEST_CASE(test_random_updates_match_the_model_kernel_sv48),
	KTEST_CASE(test_random_updates_match_the_model_user_sv48));
