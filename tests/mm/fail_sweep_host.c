/*
 * Allocation-failure sweeps over the memory subsystem's operations that
 * allocate: fork, a copy-on-write fault (in the child and in the parent),
 * a map that grows the tables, a block split (unmap inside a 2 MiB block),
 * a protect that splits (a varea, or a block), remaps (a move with
 * growth, a fixed move over a varea, a shrink that splits, a page moved
 * out of a block) and discards (inside one varea; every varea of a
 * forked child, which may stop part way: there each page must be as it
 * was or discarded); and memory objects
 * (<mm/vmo.h>): create, a populated shared map, commit, a kernel write,
 * clone, slice, pin, a shared fault that copies a page a clone shares,
 * zero in a clone tree, a populated private map and a write fault in it,
 * and madvise DONTNEED of pages shared since a fork.
 *
 * For every scenario and every N = 1, 2, ... a fresh fixture is set up and
 * prepared, then the operation runs with its N-th allocation failing, in
 * one of four ways: every frame but N - 1 held (fx_hog_all_but(), so the
 * N-th frame allocation fails, table pages and slabs included); the N-th
 * table-page allocation failing (fake_pt_alloc_fail_at()); the N-th
 * allocation of any kind failing, slab objects taken from a partial slab
 * included (fail_inject_at(), through mm/fail_inject.h); or that one and
 * every allocation after it, so that no clean-up path can lean on memory.  While the
 * operation fails it must return E_NOMEM (FAULT_OOM for a fault) and leave
 * every live aspace as it was (its vareas, perms, flags, objects and the
 * content of every page, the data frames in use), with aspace_check(),
 * pt_audit() and the fake MMU's record clean; fx_teardown() then checks
 * that every frame came back (nothing leaked).  The memory objects of a
 * scenario are in the fingerprint too (the first word of each page as
 * read, and the pages committed), and a failure must make no object.  N grows until the
 * operation succeeds, and its success is checked too.
 */
#include <string.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/heap.h>
#include <mm/page.h>
#include <mm/vmo.h>
#include "aspace_fixture.h"
#include "fail_inject.h"
#include "fake_mmu.h"
#include "fake_ram.h"

#define U     0x100000ul                 /* the anonymous memory of a scenario */
#define BLOCK (1ul << 30)                /* a 2 MiB physical block mapping */
#define FAR   (1ul << 39)                /* far enough to need fresh tables */
#define MAXN  400

static struct aspace *child;             /* a forked aspace, when the scenario has one */
static struct vmo *objs[3];              /* the scenario's memory objects; [2]: what op made */

#define VMO_AT (1ul << 41)               /* where a scenario maps its object */

/* ---- state fingerprints ---------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

/*
 * A hash of what @as promises its users: every varea (start, size, perms,
 * flags, object kind; residency aside) and the first word of every page
 * of each as its object holds it.
 */
static uint64_t fingerprint(struct aspace *as)
{
	struct fx_varea v[32];
	unsigned n = fx_vareas(as, v, 32);
	uint64_t h = n;

	for (unsigned i = 0; i < n && i < 32; i++) {
		h = mix(h, v[i].start);
		h = mix(h, v[i].size);
		h = mix(h, v[i].perms);
		h = mix(h, v[i].flags);
		h = mix(h, (uint64_t)v[i].obj[0]);
		for (uint64_t off = 0; off < v[i].size; off += PG)
			h = mix(h, fx_read_obj(as, v[i].start + off));
	}
	return h;
}

/* The scenario's objects: the first word of each page, and the pages committed. */
static uint64_t objects_fingerprint(void)
{
	uint64_t h = vmo_count();

	for (unsigned k = 0; k < 3; k++) {
		struct vmo_info info;

		if (!objs[k])
			continue;
		vmo_info(objs[k], &info);
		h = mix(h, info.committed);
		for (uint64_t off = 0; off < info.size; off += PG) {
			uint64_t w = 0;

			vmo_read(objs[k], off, &w, sizeof(w));
			h = mix(h, w);
		}
	}
	return h;
}

static int consistent(struct aspace *as)
{
	return !aspace_check(as) && !pt_audit(as->pt);
}

/* ---- scenarios --------------------------------------------------------------------- */

/* @pages of populated anonymous memory at @a, page i holding @tag + i. */
static void anon_written(uintptr_t a, unsigned pages, uint64_t tag)
{
	ASSERT_OK(aspace_map_anon(fx_as, &a, pages * PG, 0, RW, MAP_FIXED | VAREA_POPULATE));
	for (unsigned i = 0; i < pages; i++)
		*fx_word(fx_as, a + i * PG) = tag + i;
}

/* A mixed aspace: written, lazy, read-only, physical and far vareas. */
static void prep_mixed(void)
{
	uintptr_t a = U + 16 * PG, p = U + 32 * PG;

	anon_written(U, 8, 0x100);
	ASSERT_OK(aspace_map_anon(fx_as, &a, 8 * PG, 0, RW, MAP_FIXED));
	ASSERT_EQ(fx_fault(fx_as, a + 2 * PG, FAULT_WRITE), FAULT_FIXED);
	*fx_word(fx_as, a + 2 * PG) = 0x222;
	ASSERT_OK(aspace_protect(fx_as, U + 4 * PG, 2 * PG, RO));
	ASSERT_OK(aspace_map_phys(fx_as, &p, FAKE_RAM_BASE, 2 * PG, 0, RO, MAP_FIXED | VAREA_POPULATE));
	anon_written(FAR, 2, 0x900);
}

static void prep_forked(void)
{
	prep_mixed();
	ASSERT_OK(aspace_fork(fx_as, &child));
}

static void prep_block(void)
{
	uintptr_t a = BLOCK;

	anon_written(U, 4, 0x100);
	ASSERT_OK(aspace_map_phys(fx_as, &a, FAKE_RAM_BASE + (4ull << 20), 2ul << 20, 0, RW,
	                          MAP_FIXED | VAREA_POPULATE));
}


/* Anonymous memory, and the varea cache full so a split needs a new slab. */
static void prep_split(void)
{
	uintptr_t far = 0x10000000;

	anon_written(U, 8, 0x100);
	fx_fill_varea_cache(&far);
}

static int fault_rc(enum fault_result r);

/* ---- scenarios with memory objects ---- */

/* An object of 8 pages, pages 0-3 written (page i holds 0x500 + i). */
static void prep_vmo(void)
{
	ASSERT_OK(vmo_create(8 * PG, 0, "sweep", &objs[0]));
	for (uint64_t i = 0; i < 4; i++) {
		uint64_t w = 0x500 + i;

		ASSERT_OK(vmo_write(objs[0], i * PG, &w, sizeof(w)));
	}
}

/* The object mapped shared, its pages touched, and a clone of it kept. */
static void prep_vmo_cloned(void)
{
	uintptr_t a = VMO_AT;

	prep_vmo();
	ASSERT_OK(aspace_map(fx_as, &a, 8 * PG, 0, RW, MAP_FIXED, vmo_obj(objs[0]), 0));
	for (unsigned i = 0; i < 8; i++)
		ASSERT_EQ(fx_fault(fx_as, VMO_AT + i * PG, FAULT_READ), FAULT_FIXED);
	ASSERT_OK(vmo_clone(objs[0], 0, 8 * PG, "sweep-clone", &objs[1]));
}

/* The object mapped privately, lazily. */
static void prep_vmo_private(void)
{
	uintptr_t a = VMO_AT;

	prep_vmo();
	ASSERT_OK(aspace_map_private(fx_as, &a, 8 * PG, 0, RW, MAP_FIXED, vmo_obj(objs[0]), 0));
}

static int op_vmo_create(void)
{
	return vmo_create(4 * PG, VMO_RESIZABLE, "new", &objs[2]);
}

static int op_vmo_map_populated(void)
{
	uintptr_t a = VMO_AT;

	return aspace_map(fx_as, &a, 8 * PG, 0, RW, MAP_FIXED | VAREA_POPULATE, vmo_obj(objs[0]), 0);
}

/* The committed pages are mapped, the others are left to fault. */
static void ok_vmo_map(void)
{
	struct aspace_query q;

	EXPECT_OK(aspace_query(fx_as, VMO_AT + 6 * PG, &q));
	EXPECT_FALSE(q.mapped);
	EXPECT_OK(aspace_query(fx_as, VMO_AT + 2 * PG, &q));
	EXPECT_TRUE(q.mapped);
	EXPECT_EQ_U(*fx_word(fx_as, VMO_AT + 2 * PG), 0x502);
}

static int op_vmo_commit(void)
{
	return vmo_commit(objs[0], 0, 8 * PG);
}

static int op_vmo_write(void)
{
	uint64_t w = 0x777;

	return vmo_write(objs[0], 5 * PG + 8, &w, sizeof(w));
}

static int op_vmo_clone(void)
{
	return vmo_clone(objs[0], PG, 4 * PG, "clone", &objs[2]);
}

static void ok_vmo_child(void)
{
	uint64_t w = 0;

	EXPECT_OK(vmo_read(objs[2], 0, &w, sizeof(w)));
	EXPECT_EQ_U(w, 0x501);
}

static int op_vmo_slice(void)
{
	return vmo_slice(objs[0], PG, 4 * PG, "slice", &objs[2]);
}

static int op_vmo_pin(void)
{
	int rc = vmo_pin(objs[0], 0, 4 * PG);

	if (!rc)
		EXPECT_OK(vmo_unpin(objs[0], 0, 4 * PG));
	return rc;
}

/* A write through the shared mapping to a page the clone shares: the parent gets its own. */
static int op_vmo_fault_cloned(void)
{
	return fault_rc(fx_fault(fx_as, VMO_AT + 2 * PG, FAULT_WRITE));
}

static void ok_vmo_fault_cloned(void)
{
	uint64_t w = 0;

	*fx_word(fx_as, VMO_AT + 2 * PG) = 0xabc;
	EXPECT_OK(vmo_read(objs[1], 2 * PG, &w, sizeof(w)));
	EXPECT_EQ_U(w, 0x502);
}

static int op_vmo_zero_cloned(void)
{
	return vmo_zero(objs[0], 0, 8 * PG);
}

static int op_map_private_populated(void)
{
	uintptr_t a = VMO_AT;

	return aspace_map_private(fx_as, &a, 8 * PG, 0, RW, MAP_FIXED | VAREA_POPULATE,
	                          vmo_obj(objs[0]), 0);
}

static void ok_private(void)
{
	uint64_t w = 0;

	*fx_word(fx_as, VMO_AT + PG) = 0xdef;
	EXPECT_OK(vmo_read(objs[0], PG, &w, sizeof(w)));
	EXPECT_EQ_U(w, 0x501);
}

static int op_private_write_fault(void)
{
	return fault_rc(fx_fault(fx_as, VMO_AT + PG, FAULT_WRITE));
}

/* DONTNEED in the child of pages it shares with its parent: zero pages of its own. */
static int op_dontneed_forked(void)
{
	return aspace_decommit(child, U, 8 * PG);
}

static void ok_dontneed(void)
{
	EXPECT_EQ_U(fx_read_obj(child, U + 3 * PG), 0);
	EXPECT_EQ_U(fx_read_obj(fx_as, U + 3 * PG), 0x103);
}

static int fault_rc(enum fault_result r)
{
	if (r == FAULT_FIXED || r == FAULT_FIXED_COW)
		return E_OK;
	return r == FAULT_OOM ? E_NOMEM : E_INVAL;
}

static int op_fork(void)
{
	return aspace_fork(fx_as, &child);
}

static void ok_fork(void)
{
	EXPECT_EQ_U(fingerprint(child), fingerprint(fx_as));
	EXPECT_TRUE(consistent(child));
}

static int op_cow_child(void)
{
	return fault_rc(fx_fault(child, U + 3 * PG, FAULT_WRITE));
}

static void ok_cow_child(void)
{
	uint64_t *w = fx_word(child, U + 3 * PG);

	ASSERT_NOT_NULL(w);
	EXPECT_EQ_U(*w, 0x103);
	*w = 0xc0de;
	EXPECT_EQ_U(fx_read_obj(fx_as, U + 3 * PG), 0x103);
}

static int op_cow_parent(void)
{
	return fault_rc(fx_fault(fx_as, U + 16 * PG + 2 * PG, FAULT_WRITE));
}

static void ok_cow_parent(void)
{
	uint64_t *w = fx_word(fx_as, U + 18 * PG);

	ASSERT_NOT_NULL(w);
	EXPECT_EQ_U(*w, 0x222);
	*w = 0xbeef;
	EXPECT_EQ_U(fx_read_obj(child, U + 18 * PG), 0x222);
}

static int op_map_grow(void)
{
	uintptr_t a = 1ul << 40;

	return aspace_map_anon(fx_as, &a, 4 * PG, 0, RW, MAP_FIXED | VAREA_POPULATE);
}

static void ok_map_grow(void)
{
	EXPECT_NOT_NULL(fx_word(fx_as, (1ul << 40) + 3 * PG));
	EXPECT_EQ_U(fx_read_obj(fx_as, 1ul << 40), 0);
}

static int op_block_unmap(void)
{
	return aspace_unmap(fx_as, BLOCK + 5 * PG, PG);
}

static void ok_block_unmap(void)
{
	struct aspace_query q;

	EXPECT_EQ(aspace_query(fx_as, BLOCK + 5 * PG, &q), E_NOENT);
	EXPECT_OK(aspace_query(fx_as, BLOCK + 6 * PG, &q));
}

static int op_block_protect(void)
{
	return aspace_protect(fx_as, BLOCK + 7 * PG, PG, RO);
}

static int op_protect_split(void)
{
	return aspace_protect(fx_as, U + 3 * PG, 2 * PG, RO);
}

static void ok_protect(void)
{
	EXPECT_EQ_U(fx_read_obj(fx_as, U + 3 * PG), 0x103);
}

/* Where a remap put its range. */
static uintptr_t remapped;

static int op_remap_move(void)
{
	return aspace_remap(fx_as, U + PG, 2 * PG, 3 * PG, REMAP_MAYMOVE, &remapped);
}

static void ok_remap_moved(uintptr_t to)
{
	EXPECT_EQ_U(remapped, to);
	EXPECT_EQ_U(fx_read_obj(fx_as, to), 0x101);
	EXPECT_EQ_U(fx_read_obj(fx_as, to + PG), 0x102);
	EXPECT_EQ_U(fx_read_obj(fx_as, to + 2 * PG), 0);
	EXPECT_FALSE(fx_has_varea(fx_as, U + PG));
	EXPECT_EQ_U(fx_read_obj(fx_as, U + 3 * PG), 0x103);
}

static void ok_remap_move(void)
{
	ok_remap_moved(PG);   /* the lowest free range */
}

/* Over the lazy varea at U + 16 pages, which splits. */
static int op_remap_fixed(void)
{
	remapped = U + 19 * PG;
	return aspace_remap(fx_as, U + PG, 2 * PG, 3 * PG, REMAP_MAYMOVE | REMAP_FIXED, &remapped);
}

static void ok_remap_fixed(void)
{
	ok_remap_moved(U + 19 * PG);
	EXPECT_EQ_U(fx_read_obj(fx_as, U + 18 * PG), 0x222);
	EXPECT_TRUE(fx_has_varea(fx_as, U + 22 * PG));
}

/* A shrink inside a varea: the unmap splits it. */
static int op_remap_shrink(void)
{
	return aspace_remap(fx_as, U + PG, 2 * PG, PG, 0, &remapped);
}

static void ok_remap_shrink(void)
{
	EXPECT_EQ_U(remapped, U + PG);
	EXPECT_FALSE(fx_has_varea(fx_as, U + 2 * PG));
	EXPECT_EQ_U(fx_read_obj(fx_as, U + PG), 0x101);
	EXPECT_EQ_U(fx_read_obj(fx_as, U + 3 * PG), 0x103);
}

/* A page out of a 2 MiB block: the block splits. */
static int op_remap_block(void)
{
	return aspace_remap(fx_as, BLOCK + 5 * PG, PG, 2 * PG, REMAP_MAYMOVE, &remapped);
}

static void ok_remap_block(void)
{
	struct aspace_query q;

	EXPECT_EQ(aspace_query(fx_as, BLOCK + 5 * PG, &q), E_NOENT);
	EXPECT_OK(aspace_query(fx_as, remapped, &q));
	EXPECT_STREQ(q.obj_name, "phys");
}

/* The middle of one varea: one replacement, all or nothing. */
static int op_discard_middle(void)
{
	return aspace_discard(fx_as, U + PG, 2 * PG);
}

static void ok_discard_middle(void)
{
	EXPECT_EQ_U(fx_read_obj(fx_as, U), 0x100);
	EXPECT_EQ_U(fx_read_obj(fx_as, U + PG), 0);
	EXPECT_EQ_U(fx_read_obj(fx_as, U + 2 * PG), 0);
	EXPECT_EQ_U(fx_read_obj(fx_as, U + 3 * PG), 0x103);
}

/* Every varea of the forked child's [U, U + 40 pages): may stop part way (partial). */
static int op_discard_child(void)
{
	return aspace_discard(child, U, 40 * PG);
}

static void ok_discard_child(void)
{
	EXPECT_EQ_U(fx_read_obj(child, U), 0);
	EXPECT_EQ_U(fx_read_obj(child, U + 18 * PG), 0);
	EXPECT_EQ_U(fx_read_obj(fx_as, U + 18 * PG), 0x222);
	EXPECT_EQ_U(fx_read_obj(fx_as, U + 7 * PG), 0x107);
}

/* ---- the sweep ------------------------------------------------------------------------ */

enum mech { FRAMES, TABLES, ANY, ANY_ON };

static const char *const mech_name[] = { "frame", "table", "allocation", "sticky allocation" };

struct scenario {
	const char *name;
	void (*prepare)(void);
	int (*op)(void);
	void (*ok)(void);           /* checks after the success, may be NULL */
	int partial, want;          /* may be done in part on E_NOMEM; the rc of success */
};

#define SNAP 40                  /* pages from U whose words partial() compares */

/* The first word of each page of @as from U (~0 where nothing is mapped). */
static void words(struct aspace *as, uint64_t *w)
{
	for (unsigned i = 0; i < SNAP; i++)
		w[i] = fx_has_varea(as, U + i * PG) ? fx_read_obj(as, U + i * PG) : ~0ull;
}

/* A discard stopped part way: every page as it was, or discarded (zero). */
static int partly_done(struct aspace *as, const uint64_t *was)
{
	uint64_t now[SNAP];

	words(as, now);
	for (unsigned i = 0; i < SNAP; i++)
		if (now[i] != was[i] && (now[i] || was[i] == ~0ull))
			return 0;
	return 1;
}

/*
 * Sweep @sc with @mech, N = 1, 2, ... until the operation succeeds;
 * returns the number of injected failures, or -1 when a check failed.
 */
static int sweep(const struct scenario *sc, enum mech mech, unsigned levels)
{
	for (unsigned n = 1; n < MAXN; n++) {
		uint64_t fp, fpc = 0, data, w[SNAP];
		int rc, injected;

		child = NULL;
		memset(objs, 0, sizeof(objs));   /* a case that failed early left its own */
		fx_setup(levels);
		sc->prepare();
		if (!ktest_ok())
			return -1;
		fp = mix(fingerprint(fx_as), objects_fingerprint());
		if (child)
			fpc = fingerprint(child);
		data = fx_data_frames();
		words(child ? child : fx_as, w);
		struct aspace *had_child = child;

		if (mech == FRAMES)
			fx_hog_all_but(n - 1);
		else if (mech == TABLES)
			fake_pt_alloc_fail_at(n);
		else
			fail_inject_at(n, mech == ANY_ON);
		rc = sc->op();
		if (mech == FRAMES) {
			fx_hog_release();
			injected = rc != sc->want;
		} else if (mech == TABLES) {
			injected = fake_pt_alloc_failed();
			fake_pt_alloc_fail_at(0);
		} else {
			injected = fail_inject_fired() != 0;
			fail_inject_at(0, 0);
		}
		if (!injected) {
			EXPECT_EQ(rc, sc->want);
			EXPECT_TRUE(consistent(fx_as));
			if (ktest_ok() && sc->ok)
				sc->ok();
		} else {
			if (rc != E_NOMEM)
				ktest_fail(__FILE__, __LINE__, "%s, %s failure %u: rc %d, not E_NOMEM",
				           sc->name, mech_name[mech], n, rc);
			if (child != had_child)
				ktest_fail(__FILE__, __LINE__, "%s failure %u: a child appeared",
				           sc->name, n);
			if (sc->partial ? !partly_done(child ? child : fx_as, w) ||
			                  mix(fingerprint(fx_as), objects_fingerprint()) != fp :
			    mix(fingerprint(fx_as), objects_fingerprint()) != fp ||
			    (child && fingerprint(child) != fpc) || fx_data_frames() != data || objs[2])
				ktest_fail(__FILE__, __LINE__, "%s, %s failure %u changed the state",
				           sc->name, mech_name[mech], n);
			if (!consistent(fx_as) || (child && !consistent(child)) ||
			    fake_mmu_violations())
				ktest_fail(__FILE__, __LINE__, "%s, %s failure %u left it inconsistent",
				           sc->name, mech_name[mech], n);
		}
		if (child)
			aspace_destroy(child);
		child = NULL;
		aspace_unmap(fx_as, VMO_AT, 8 * PG);
		for (unsigned k = 0; k < 3; k++) {
			if (objs[k])
				vmo_put(objs[k]);
			objs[k] = NULL;
		}
		EXPECT_EQ(vmo_count(), 0);
		fx_teardown();          /* every frame back: nothing leaked */
		if (!ktest_ok()) {
			ktest_log("%s, %s failure %u", sc->name, mech_name[mech], n);
			return -1;
		}
		if (!injected)
			return (int)n - 1;
	}
	ktest_fail(__FILE__, __LINE__, "%s never succeeded", sc->name);
	return -1;
}

static const struct scenario scenarios[] = {
	{ "fork", prep_mixed, op_fork, ok_fork, 0, E_OK },
	{ "cow fault in the child", prep_forked, op_cow_child, ok_cow_child, 0, E_OK },
	{ "cow fault in the parent", prep_forked, op_cow_parent, ok_cow_parent, 0, E_OK },
	{ "map with table growth", prep_mixed, op_map_grow, ok_map_grow, 0, E_OK },
	{ "block split by unmap", prep_block, op_block_unmap, ok_block_unmap, 0, E_OK },
	{ "block split by protect", prep_block, op_block_protect, NULL, 0, E_OK },
	{ "protect with a varea split", prep_split, op_protect_split, ok_protect, 0, E_OK },
	{ "remap: move with growth", prep_split, op_remap_move, ok_remap_move, 0, E_OK },
	{ "remap: fixed over a varea", prep_mixed, op_remap_fixed, ok_remap_fixed, 0, E_OK },
	{ "remap: shrink with a split", prep_split, op_remap_shrink, ok_remap_shrink, 0, E_OK },
	{ "remap: a page out of a block", prep_block, op_remap_block, ok_remap_block, 0, E_OK },
	{ "discard inside a varea", prep_split, op_discard_middle, ok_discard_middle, 0, E_OK },
	{ "discard of a child's vareas", prep_forked, op_discard_child, ok_discard_child, 1, E_NOENT },
	{ "vmo create", prep_mixed, op_vmo_create, NULL, 0, E_OK },
	{ "vmo map populated", prep_vmo, op_vmo_map_populated, ok_vmo_map, 0, E_OK },
	{ "vmo commit", prep_vmo, op_vmo_commit, NULL, 0, E_OK },
	{ "vmo write", prep_vmo, op_vmo_write, NULL, 0, E_OK },
	{ "vmo clone", prep_vmo_cloned, op_vmo_clone, ok_vmo_child, 0, E_OK },
	{ "vmo slice", prep_vmo, op_vmo_slice, ok_vmo_child, 0, E_OK },
	{ "vmo pin", prep_vmo, op_vmo_pin, NULL, 0, E_OK },
	{ "vmo fault after a clone", prep_vmo_cloned, op_vmo_fault_cloned, ok_vmo_fault_cloned, 0, E_OK },
	{ "vmo zero after a clone", prep_vmo_cloned, op_vmo_zero_cloned, NULL, 0, E_OK },
	{ "private map populated", prep_vmo, op_map_private_populated, ok_private, 0, E_OK },
	{ "private write fault", prep_vmo_private, op_private_write_fault, ok_private, 0, E_OK },
	{ "DONTNEED after fork", prep_forked, op_dontneed_forked, ok_dontneed, 0, E_OK },
};

/* Each scenario must see at least @min failures under @mech. */
static void run_all(enum mech mech, unsigned levels, const int *min)
{
	for (unsigned i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		int k = sweep(&scenarios[i], mech, levels);

		if (k < 0)
			return;
		ktest_log("%s: %d %s failures", scenarios[i].name, k, mech_name[mech]);
		if (k < min[i])
			ktest_fail(__FILE__, __LINE__, "%s: only %d failures, want %d",
			           scenarios[i].name, k, min[i]);
	}
}

static void test_every_frame_failure(void)
{
	/*
	 * fork, cow child, cow parent, map grow, block unmap, block protect,
	 * split; remap: move, fixed, shrink, block; discard: one varea, the
	 * child's; vmo create, map, commit, write, clone, slice, pin, fault
	 * after a clone, zero after a clone, private map, private fault,
	 * DONTNEED after fork
	 */
	static const int min[] = { 1, 1, 1, 2, 1, 1, 1, 1, 0, 1, 1, 0, 0,
	                           1, 4, 4, 1, 0, 0, 0, 4, 8, 12, 4, 8 };

	run_all(FRAMES, 4, min);
}

static void test_every_table_failure(void)
{
	/* Faults, the varea split and most object operations may need no new table page. */
	static const int min[] = { 1, 0, 0, 2, 1, 1, 0, 0, 0, 0, 1, 0, 0,
	                           0, 3, 0, 0, 0, 0, 0, 3, 0, 3, 3, 0 };

	run_all(TABLES, 4, min);
}

/*
 * Fork asks for an aspace, a table root, a varea per varea and backup
 * objects, most of them slab objects with room in a partial slab, which
 * holding frames cannot fail: here each fails in turn, once or with every
 * allocation after it (the same points, so the same minimums).
 */
static const int any_min[] = { 12, 4, 2, 10, 2, 2, 2, 5, 5, 2, 5, 0, 8,
                               4, 5, 8, 2, 4, 1, 1, 5, 16, 22, 5, 16 };

static void test_every_allocation_failure(void)
{
	run_all(ANY, 4, any_min);
}

static void test_every_allocation_failure_sticky(void)
{
	run_all(ANY_ON, 4, any_min);
}

KTEST_SUITE(fail_sweep_host,
	KTEST_CASE(test_every_frame_failure),
	KTEST_CASE(test_every_table_failure),
	KTEST_CASE(test_every_allocation_failure),
	KTEST_CASE(test_every_allocation_failure_sticky));
