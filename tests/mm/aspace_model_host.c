/*
 * Address spaces against a model, and under allocation failures.
 *
 * The differential test runs thousands of random maps (fixed, anywhere,
 * no-replace; anonymous and physical), unmaps, protects and faults on a
 * window of a user aspace, and after every step compares the aspace with
 * a page-by-page model: mapped or not, perms, flags, object kind, and the
 * content (a tag written through the fake physical memory) or physical
 * address; every so often the data frames in use too.  The model also
 * predicts where the gap search puts a map (first fit, alignment, stack
 * guard pages) and what each fault resolves to.  The content known to
 * the model is the first and the last word of each anonymous page, so
 * user copies (copy_to_user, copy_from_user, strncpy_from_user, going
 * through the fake MMU and the fault dispatcher like the kernel's, see
 * fake_usercopy.c) are checked byte by byte where they cross those words,
 * and where they stop: at the first page they may not access, with
 * E_FAULT.  Memory objects (<mm/vmo.h>) are in the mix: up to NOBJ
 * objects, created, mapped shared (MAP_FIXED, populated or not), written
 * and read directly, decommitted, zeroed, resized, cloned (a snapshot the
 * model copies), sliced (the model's pages of a slice are its parent's)
 * and dropped while mapped; their pages' contents live in the model of
 * the object, so every mapping, in every aspace and after a fork, must
 * show the same.  Fork and destroy are in
 * the mix: up to NAS aspaces live at once, each with its own copy of the
 * model made at its fork, the operations going to one chosen at random;
 * after a fork a write fault may be fixed by a copy or a takeover, and
 * the data-frame count (shared frames) is compared only before the first.
 *
 * Allocation failures are in the mix too: before some steps the N-th
 * allocation from then on (frame, table page or slab object; once, or
 * for good) is made to fail (fail_inject_at()).  An operation it hits
 * must fail with E_NOMEM (FAULT_OOM, or E_FAULT from a user copy whose
 * fault ran out of memory) and leave everything as the model has it.
 *
 * The failure tests hold all free frames but k, for k = 0, 1, 2, ... until
 * the operation succeeds, so each allocation it makes fails in turn; or
 * make the n-th table-page allocation fail.  Every failure must return
 * E_NOMEM and leave the vareas and their contents as they were.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/heap.h>
#include <mm/usercopy.h>
#include <mm/page.h>
#include <mm/vmo.h>
#include "aspace_fixture.h"
#include "testlib.h"
#include "fail_inject.h"
#include "fake_mmu.h"
#include "fake_usercopy.h"
#include "fake_ram.h"
#include "model_driver.h"

/* ---- the model ------------------------------------------------------------------- */

#define NP 96                       /* pages in the window, from the aspace's base */
#define NPHYS 16                    /* physical pages to map: the reserved start of R0 */

enum { FREE, ANON, PHYS, VMO };

struct mpage {
	uint8_t kind;
	uint8_t frame;                  /* anon: has a frame */
	unsigned perms, flags;          /* flags: VAREA_STACK, VAREA_DEVICE */
	uint64_t tag;                   /* anon: first word of the page */
	uint64_t tail;                  /* anon: last word of the page */
	paddr_t pa;                     /* phys */
	uint8_t obj;                    /* vmo: the object (objs[]) */
	uint16_t opage;                 /* vmo: its page there */
};

/* The model of a memory object: its pages' known words, or a slice's parent. */
#define NOBJ 4
#define OBJ_PAGES 16

struct opage {
	uint64_t tag, tail;
	uint8_t committed;
};

struct mobj {
	struct vmo *v;                  /* NULL: the slot is free */
	int handle;                     /* we hold v (else only mappings or slices do) */
	unsigned size;                  /* pages */
	int resizable;
	int tree;                       /* cloned or a clone: decommit and resize may refuse */
	int alias;                      /* a slice: of objs[alias] from page alias_off; else -1 */
	unsigned alias_off;
	struct opage p[OBJ_PAGES];
};

static struct mobj objs[NOBJ];
static int cloned;                  /* a clone happened in this run */

#define NAS 3                       /* aspaces live at once: fx_as and forks */

static struct mpage models[NAS][NP];
static struct aspace *spaces[NAS];
static struct mpage *m;             /* the model of cur_as */
static struct aspace *cur_as;
static int forked;                  /* a fork happened in this run */
static int frames_unknown;          /* a failed discard left frames the model cannot tell */
static uint64_t next_tag;

/* The model of page @pg of object @k (a slice's are its parent's), or NULL past its end. */
static struct opage *opage_of(unsigned k, unsigned pg)
{
	if (pg >= objs[k].size)
		return NULL;
	while (objs[k].alias >= 0) {
		pg += objs[k].alias_off;
		k = (unsigned)objs[k].alias;
	}
	return &objs[k].p[pg];
}

/* The root object whose pages @k shows. */
static unsigned root_of(unsigned k)
{
	while (objs[k].alias >= 0)
		k = (unsigned)objs[k].alias;
	return k;
}

static uintptr_t addr_of(unsigned i)
{
	return PG + (uintptr_t)i * PG;
}

static int free_run(unsigned s, unsigned n)
{
	for (unsigned i = s; i < s + n; i++)
		if (i < NP && m[i].kind != FREE)
			return 0;
	return 1;
}

/*
 * Where the gap search must put @n pages aligned to @align pages: the
 * first fit, with pages past the window free.  Returns the page index
 * (possibly running past the window).
 */
static unsigned model_gap(unsigned n, unsigned align, int stack)
{
	for (unsigned s = 0;; s++) {
		unsigned g0 = s, e = s;

		if ((1 + s) % align || !free_run(s, n))
			continue;
		while (g0 > 0 && (g0 - 1 >= NP || m[g0 - 1].kind == FREE))
			g0--;
		while (e < NP && m[e].kind == FREE)
			e++;
		if (stack && s < g0 + 1)
			continue;
		if (e < NP && (m[e].flags & VAREA_STACK) && s + n > e - 1)
			continue;
		if (e < NP && s + n > e)
			continue;
		return s;
	}
}

static void model_set(unsigned s, unsigned n, unsigned kind, unsigned perms, unsigned flags,
                      paddr_t pa, int populate)
{
	for (unsigned i = s; i < s + n && i < NP; i++) {
		m[i] = (struct mpage){ kind, 0, perms, flags, 0, 0, 0, 0, 0 };
		if (kind == ANON)
			m[i].frame = populate && (perms & MMU_WRITE);   /* else the zero page */
		if (kind == PHYS)
			m[i].pa = pa + (i - s) * PG;
	}
}

/* ---- comparing -------------------------------------------------------------------- */

static unsigned mmu_flags(const struct mpage *p)
{
	return p->perms | MMU_USER | (p->flags & VAREA_DEVICE ? MMU_DEVICE : 0);
}

static int compare_one(unsigned step)
{
	int bad = 0;

	for (unsigned i = 0; i < NP && !bad; i++) {
		struct aspace_query q;
		int rc = aspace_query(cur_as, addr_of(i), &q);
		const struct mpage *p = &m[i];

		if (p->kind == FREE) {
			bad = rc != E_NOENT;
			continue;
		}
		if (rc || q.perms != p->perms || (q.flags & (VAREA_STACK | VAREA_DEVICE)) != p->flags ||
		    strcmp(q.obj_name, p->kind == ANON ? "anon" : p->kind == VMO ? "vmo" : "phys")) {
			bad = 1;
			continue;
		}
		if (p->kind == VMO) {
			const struct opage *o = opage_of(p->obj, p->opage);

			if (!o)
				bad = q.mapped;   /* past the object's end: nothing may be mapped */
			else if (q.mapped)
				bad = q.mmu_flags != mmu_flags(p) || !p->perms ||
				      *(uint64_t *)pa_to_va(q.pa) != o->tag ||
				      *(uint64_t *)pa_to_va(q.pa + PG - 8) != o->tail;
			else
				bad = fx_read_obj(cur_as, addr_of(i)) != o->tag ||
				      fx_read_obj(cur_as, addr_of(i) + PG - 8) != o->tail;
			if (bad)
				ktest_log("vmo page %u (object %u page %u): mapped %d mmu %#x", i, p->obj,
				          p->opage, q.mapped, q.mmu_flags);
			continue;
		}
		/* A page never written shows the zero page, read-only, with no
		 * frame of its own; after a fork, shared copy-on-write pages are
		 * mapped read-only. */
		if (q.mapped && p->kind == ANON && q.pa == anon_zero_pa())
			bad = p->frame || p->tag || p->tail || !p->perms ||
			      q.mmu_flags != (mmu_flags(p) & ~MMU_WRITE);
		else if (q.mapped && ((q.mmu_flags != mmu_flags(p) &&
		                  !(forked && p->kind == ANON && q.mmu_flags == (mmu_flags(p) & ~MMU_WRITE))) ||
		                 !p->perms))
			bad = 1;
		else if (p->kind == PHYS)
			bad = q.mapped && q.pa != p->pa;
		else if (q.mapped)
			bad = *(uint64_t *)pa_to_va(q.pa) != p->tag ||
			      *(uint64_t *)pa_to_va(q.pa + PG - 8) != p->tail;
		else
			bad = fx_read_obj(cur_as, addr_of(i)) != p->tag ||
			      fx_read_obj(cur_as, addr_of(i) + PG - 8) != p->tail;
		if (bad)
			ktest_log("page %u: rc %d perms %#x flags %#x mapped %d mmu %#x pa %#llx", i,
			          rc, q.perms, q.flags, q.mapped, q.mmu_flags, (unsigned long long)q.pa);
	}
	if (bad)
		ktest_fail(__FILE__, __LINE__, "step %u: aspace differs from the model", step);
	if (aspace_check(cur_as) || pt_audit(cur_as->pt)) {
		ktest_fail(__FILE__, __LINE__, "step %u: check or audit failed", step);
		bad = 1;
	}
	return bad;
}

/* Every live aspace against its model. */
static int compare(unsigned step)
{
	struct mpage *was_m = m;
	struct aspace *was = cur_as;
	int bad = 0;

	for (unsigned j = 0; j < NAS && !bad; j++) {
		if (!spaces[j])
			continue;
		m = models[j];
		cur_as = spaces[j];
		bad = compare_one(step);
	}
	m = was_m;
	cur_as = was;
	return bad;
}

static uint64_t model_frames(void)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < NP; i++)
		n += m[i].kind == ANON && m[i].frame;
	for (unsigned k = 0; k < NOBJ; k++)
		for (unsigned pg = 0; objs[k].v && objs[k].alias < 0 && pg < OBJ_PAGES; pg++)
			n += objs[k].p[pg].committed;
	return n;
}

/* ---- random operations -------------------------------------------------------------- */

/*
 * The source of choices: the xorshift generator from a seed, or, when
 * src is set, the bytes of a fuzzer's input (one byte per choice, two when
 * @n is above 256); src_done is set once they run out, and every choice
 * after that is 0, so a run ends at the next step.
 */
static uint64_t seed;
static const uint8_t *src;
static size_t src_len, src_pos;
static int src_done;

uint64_t model_ops;

static unsigned rnd(unsigned n)
{
	unsigned v;

	if (!src)
		return (unsigned)(tl_rand(&seed) % n);
	if (src_pos >= src_len) {
		src_done = 1;
		return 0;
	}
	v = src[src_pos++];
	if (n > 256 && src_pos < src_len)
		v |= (unsigned)src[src_pos++] << 8;
	return v % n;
}

/*
 * Whether an injected allocation failure explains the operation's
 * failure (@failed: it returned E_NOMEM or its like); the model then
 * stays as it is.
 */
static uint64_t model_injected, model_copies, model_copy_faults, model_obj_ops;
static uint64_t model_remaps[3], model_discards;   /* remaps in place, moved, fixed */

static int injected(int failed)
{
	if (!failed || !fail_inject_fired())
		return 0;
	model_injected++;
	return 1;
}

static unsigned rnd_perms(void)
{
	static const unsigned p[] = { 0, RO, RW, RW, RW, RX };

	return p[rnd(6)];
}

static void op_map_fixed(unsigned s, unsigned n)
{
	unsigned perms = rnd_perms(), flags = MAP_FIXED;
	uintptr_t a = addr_of(s);
	int rc;

	flags |= rnd(8) ? 0 : VAREA_STACK;
	flags |= rnd(4) ? 0 : VAREA_POPULATE;
	rc = aspace_map_anon(cur_as, &a, n * PG, 0, perms, flags);
	if (injected(rc == E_NOMEM) || !EXPECT_OK(rc))
		return;
	model_set(s, n, ANON, perms, flags & VAREA_STACK, 0, flags & VAREA_POPULATE);
}

static void op_map_anywhere(unsigned n)
{
	unsigned perms = rnd_perms(), align = 1u << rnd(3);
	unsigned flags = (rnd(8) ? 0 : VAREA_STACK) | (rnd(4) ? 0 : VAREA_POPULATE);
	unsigned s = model_gap(n, align, flags & VAREA_STACK);
	uintptr_t a = 0;
	int rc = aspace_map_anon(cur_as, &a, n * PG, align * PG, perms, flags);

	if (injected(rc == E_NOMEM) || !EXPECT_OK(rc))
		return;
	EXPECT_EQ_U(a, addr_of(s));
	if (s + n > NP) {
		/* Past the window: not modelled, so it goes again at once. */
		fail_inject_at(0, 0);
		EXPECT_OK(aspace_unmap(cur_as, a, n * PG));
		return;
	}
	model_set(s, n, ANON, perms, flags & VAREA_STACK, 0, flags & VAREA_POPULATE);
}

static void op_map_noreplace(unsigned s, unsigned n)
{
	uintptr_t a = addr_of(s);
	int rc = aspace_map_anon(cur_as, &a, n * PG, 0, RW, 0);

	if (injected(rc == E_NOMEM))
		return;
	if (free_run(s, n)) {
		EXPECT_OK(rc);
		model_set(s, n, ANON, RW, 0, 0, 0);
	} else {
		EXPECT_EQ(rc, E_EXIST);
	}
}

static void op_map_phys(unsigned s, unsigned n)
{
	unsigned p = rnd(NPHYS), perms = rnd(2) ? RO : RW;
	unsigned flags = MAP_FIXED | (rnd(3) ? 0 : VAREA_DEVICE) | (rnd(2) ? 0 : VAREA_POPULATE);
	paddr_t pa = FAKE_RAM_BASE + (paddr_t)p * PG;
	uintptr_t a = addr_of(s);
	int rc;

	if (n > NPHYS - p)
		n = NPHYS - p;
	rc = aspace_map_phys(cur_as, &a, pa, n * PG, 0, perms, flags);
	if (injected(rc == E_NOMEM) || !EXPECT_OK(rc))
		return;
	model_set(s, n, PHYS, perms, flags & VAREA_DEVICE, pa, 0);
}

static void op_unmap(unsigned s, unsigned n)
{
	int rc = aspace_unmap(cur_as, addr_of(s), n * PG);

	if (injected(rc == E_NOMEM) || !EXPECT_OK(rc))
		return;
	model_set(s, n, FREE, 0, 0, 0, 0);
}

static void op_protect(unsigned s, unsigned n)
{
	unsigned perms = rnd(16) ? rnd_perms() : RW | MMU_EXEC;
	int rc = aspace_protect(cur_as, addr_of(s), n * PG, perms);

	if (perms == (RW | MMU_EXEC)) {
		EXPECT_EQ(rc, E_PERM);
		return;
	}
	if (injected(rc == E_NOMEM))
		return;
	for (unsigned i = s; i < s + n; i++) {
		if (i >= NP || m[i].kind == FREE) {
			EXPECT_EQ(rc, E_NOENT);
			return;
		}
	}
	if (!EXPECT_OK(rc))
		return;
	for (unsigned i = s; i < s + n; i++)
		m[i].perms = perms;
}

static void op_fault(unsigned i)
{
	static const enum fault_access acc[] = { FAULT_READ, FAULT_WRITE, FAULT_WRITE, FAULT_EXEC };
	static const unsigned need[] = { MMU_READ, MMU_WRITE, MMU_WRITE, MMU_EXEC };
	unsigned k = rnd(4);
	enum fault_result r = fx_fault(cur_as, addr_of(i) + rnd(PG), acc[k]), want;
	struct mpage *p = &m[i];

	if (injected(r == FAULT_OOM))
		return;
	if (p->kind == FREE)
		want = i + 1 < NP && (m[i + 1].flags & VAREA_STACK) && m[i + 1].kind == ANON ?
		       FAULT_STACK_GUARD : FAULT_NO_VAREA;
	else
		want = p->perms & need[k] && !(p->kind == VMO && !opage_of(p->obj, p->opage)) ?
		       FAULT_FIXED : FAULT_DENIED;
	/* After a fork a write may copy a shared page, or take it over. */
	if (forked && want == FAULT_FIXED && acc[k] == FAULT_WRITE && r == FAULT_FIXED_COW)
		want = FAULT_FIXED_COW;
	if (!EXPECT_EQ(r, want) || (r != FAULT_FIXED && r != FAULT_FIXED_COW))
		return;
	if (p->kind == VMO) {
		struct opage *o = opage_of(p->obj, p->opage);

		o->committed = 1;
		if (acc[k] == FAULT_WRITE) {
			o->tag = ++next_tag;
			o->tail = ~o->tag;
			*fx_word(cur_as, addr_of(i)) = o->tag;
			*fx_word(cur_as, addr_of(i) + PG - 8) = o->tail;
		}
		return;
	}
	if (p->kind != ANON)
		return;
	/* A read maps the zero page where nothing was written. */
	if (acc[k] == FAULT_WRITE) {
		p->frame = 1;
		p->tag = ++next_tag;
		p->tail = ~p->tag;
		*fx_word(cur_as, addr_of(i)) = p->tag;
		*fx_word(cur_as, addr_of(i) + PG - 8) = p->tail;
	}
}

/*
 * Which varea the real aspace has around page @s: whether [s, s + n)
 * lies in one varea, and whether it ends where the range does.  The
 * model is page by page and does not know where one varea ends and its
 * neighbour with the same attributes begins (objects that may not
 * merge); every page's effect is still the model's to predict.
 */
static int one_varea(unsigned s, unsigned n, int *ends_there)
{
	struct aspace_query q;

	if (aspace_query(cur_as, addr_of(s), &q))
		return 0;
	*ends_there = q.start + q.size == addr_of(s + n);
	return q.start + q.size >= addr_of(s + n);
}

/* Whether [s, s + n) is free and clear of the guard page of a stack above (range_free()). */
static int model_room(unsigned s, unsigned n)
{
	unsigned j = s;

	while (j < NP && m[j].kind == FREE)
		j++;
	if (j < s + n)
		return 0;
	return j >= NP || !(m[j].flags & VAREA_STACK) || s + n <= j - 1;
}

/*
 * Pages [s, s + n) of the model move to @d (the first @keep of them) and
 * grow to @n2 with fresh zero pages having the source's perms.
 */
static void model_move(unsigned s, unsigned n, unsigned d, unsigned n2)
{
	struct mpage moved[NP], src = m[s];
	unsigned keep = n < n2 ? n : n2;

	memcpy(moved, &m[s], keep * sizeof(moved[0]));
	model_set(s, n, FREE, 0, 0, 0, 0);
	for (unsigned i = 0; i < keep && d + i < NP; i++)
		m[d + i] = moved[i];
	if (n2 > n)
		model_set(d + n, n2 - n, ANON, src.perms, src.flags & VAREA_STACK, 0, 0);
}

/*
 * mremap of [s, s + n) to @n2 pages: in place (shrink, or growth into
 * free pages), moved to the lowest free range (REMAP_MAYMOVE) or to a
 * chosen one (REMAP_FIXED), or refused; now and then with flags it must
 * refuse.  The moved pages keep their frames and contents.
 */
static void op_remap(unsigned s, unsigned n)
{
	unsigned k = rnd(8), n2 = 1 + rnd(rnd(4) ? 8 : 16), d = rnd(NP);
	unsigned flags = k < 2 ? 0 : k < 5 ? REMAP_MAYMOVE : REMAP_MAYMOVE | REMAP_FIXED;
	uintptr_t a = addr_of(d);
	int rc, want, whole = 1, ends = 0;

	struct aspace_query q;

	if (!rnd(32))
		flags = rnd(2) ? REMAP_FIXED : 1u << 4;
	/* Mostly a range inside the varea at s (most random ones are not). */
	if (rnd(4) && !aspace_query(cur_as, addr_of(s), &q) && q.start + q.size < addr_of(s + n))
		n = (unsigned)((q.start + q.size - addr_of(s)) / PG);
	if (s + n2 > NP)
		n2 = NP - s;
	if ((flags & REMAP_FIXED) && d + n2 > NP)
		n2 = NP - d;
	for (unsigned i = s; i < s + n; i++)
		whole &= i < NP && m[i].kind != FREE;
	whole = whole && one_varea(s, n, &ends);
	rc = aspace_remap(cur_as, addr_of(s), n * PG, n2 * PG, flags, &a);
	if (flags & ~(REMAP_MAYMOVE | REMAP_FIXED) || flags == REMAP_FIXED)
		want = E_INVAL;
	else if (!whole)
		want = E_NOENT;
	else if (flags & REMAP_FIXED)
		want = d < s + n && s < d + n2 ? E_INVAL : E_OK;
	else if (n2 <= n || (ends && model_room(s + n, n2 - n)))
		want = E_OK;
	else
		want = flags & REMAP_MAYMOVE ? E_OK : E_NOMEM;
	if (rc == E_NOMEM && want != E_NOMEM && injected(1))
		return;
	if (!EXPECT_EQ(rc, want) || rc)
		return;
	model_remaps[flags & REMAP_FIXED ? 2 : a == addr_of(s) ? 0 : 1]++;
	if (flags & REMAP_FIXED) {
		EXPECT_EQ_U(a, addr_of(d));
		model_move(s, n, d, n2);
	} else if (n2 <= n || (ends && model_room(s + n, n2 - n))) {
		EXPECT_EQ_U(a, addr_of(s));
		model_move(s, n, s, n2);
	} else {
		unsigned g = model_gap(n2, 1, m[s].flags & VAREA_STACK);

		EXPECT_EQ_U(a, addr_of(g));
		if (g + n2 <= NP) {
			model_move(s, n, g, n2);
			return;
		}
		/* Moved (partly) past the window: not modelled, so it goes at once. */
		fail_inject_at(0, 0);
		EXPECT_OK(aspace_unmap(cur_as, a, n2 * PG));
		model_set(s, n, FREE, 0, 0, 0, 0);
	}
}

/*
 * madvise(MADV_DONTNEED) of [s, s + n): anonymous pages read zero and
 * lose their frames, physical ones stay; E_NOENT when a page is not
 * mapped.  An injected failure may leave it done up to some varea: the
 * pages read zero up to there, as they were from there on.  A page that
 * read zero before (touched only by reads) cannot tell which side it
 * was on, so its frame may or may not have gone: the run stops
 * comparing frame counts.
 */
static void op_discard(unsigned s, unsigned n)
{
	int rc = aspace_discard(cur_as, addr_of(s), n * PG), holes = 0, done = 1;

	for (unsigned i = s; i < s + n; i++)
		holes |= i >= NP || m[i].kind == FREE;
	if (rc == E_NOMEM && injected(1)) {
		for (unsigned i = s; i < s + n && i < NP && done; i++) {
			if (m[i].kind != ANON)
				continue;
			if (fx_read_obj(cur_as, addr_of(i)) || fx_read_obj(cur_as, addr_of(i) + PG - 8)) {
				done = 0;   /* from here on as it was (compare() checks) */
				continue;
			}
			frames_unknown |= !m[i].tag && !m[i].tail && m[i].frame;
			m[i].tag = m[i].tail = 0;
			m[i].frame = 0;
		}
		return;
	}
	if (!EXPECT_EQ(rc, holes ? E_NOENT : E_OK))
		return;
	model_discards++;
	for (unsigned i = s; i < s + n && i < NP; i++)
		if (m[i].kind == ANON)
			m[i] = (struct mpage){ ANON, 0, m[i].perms, m[i].flags, 0, 0, 0, 0, 0 };
}

/* ---- user copies ------------------------------------------------------------------- */

/* Page @i of the current model; past the window it fails the case (and gives a blank). */
static struct mpage *mp(unsigned i)
{
	static struct mpage blank;

	if (i < NP)
		return &m[i];
	ktest_fail(__FILE__, __LINE__, "page %u is past the model's window", i);
	memset(&blank, 0, sizeof(blank));
	return &blank;
}

/* Whether a kernel-mode copy may read (or write) page @i of the window. */
static int accessible(unsigned i, int write)
{
	return i < NP && m[i].kind != FREE && (m[i].perms & (write ? MMU_WRITE : MMU_READ)) &&
	       !(m[i].kind == VMO && !opage_of(m[i].obj, m[i].opage));
}

/* The window page of address @a (NP or more past the window). */
static unsigned page_of(uintptr_t a)
{
	return (unsigned)(a / PG - 1);
}

/* Bytes of a copy of @len from @a before the first page it may not access. */
static size_t model_reach(uintptr_t a, size_t len, int write)
{
	size_t ok = 0;

	while (ok < len && accessible(page_of(a + ok), write)) {
		size_t chunk = PG - ((a + ok) & PAGE_MASK);

		ok += chunk < len - ok ? chunk : len - ok;
	}
	return ok;
}

/*
 * The byte at offset @off of page @i as the model knows it, or NULL: of
 * an anonymous page the first and last 8 bytes (its tag and tail words);
 * of a physical one any byte, in the physical page the model says it
 * maps (the fake RAM).
 */
static uint8_t *model_byte(unsigned i, unsigned off)
{
	if (i >= NP)
		return NULL;
	uint64_t *tag = &m[i].tag, *tail = &m[i].tail;

	if (m[i].kind == PHYS)
		return (uint8_t *)pa_to_va(m[i].pa) + off;
	if (m[i].kind == VMO) {
		struct opage *o = opage_of(m[i].obj, m[i].opage);

		if (!o)
			return NULL;
		tag = &o->tag;
		tail = &o->tail;
	} else if (m[i].kind != ANON) {
		return NULL;
	}
	if (off < 8)
		return (uint8_t *)tag + off;
	if (off >= PG - 8)
		return (uint8_t *)tail + off - (PG - 8);
	return NULL;
}

/* Whether another page of [@a, @a + @len) maps the same physical page as page @i. */
static int phys_alias(unsigned i, uintptr_t a, size_t len)
{
	for (unsigned j = page_of(a); len && j <= page_of(a + len - 1) && j < NP; j++)
		if (j != i && m[j].kind == PHYS && m[j].pa == m[i].pa)
			return 1;
	return 0;
}

/*
 * The copy's bytes [0, @done) from @a, against @buf.  Anonymous pages: a
 * write updates the model's known bytes and gives the page its frame, a
 * read must match them.  Physical pages: every byte must be that of
 * the physical page the model maps there (for a write, unless another
 * page of the copy maps the same one and wrote it later).
 */
static void copied(uintptr_t a, const uint8_t *buf, size_t done, int write)
{
	for (size_t b = 0; b < done;) {
		unsigned i = page_of(a + b), off = (a + b) & PAGE_MASK;
		size_t end = b + (PG - off) < done ? b + (PG - off) : done;
		struct mpage *p = mp(i);

		if (p->kind == PHYS && !(write && phys_alias(i, a, done)) &&
		    memcmp(model_byte(i, off), buf + b, end - b)) {
			ktest_fail(__FILE__, __LINE__, "copy %s %#lx+%zu: page %u is not physical "
			           "%#llx", write ? "to" : "from", (unsigned long)a, done, i,
			           (unsigned long long)p->pa);
			return;
		}
		if (p->kind == ANON && write)
			p->frame = 1;   /* a read maps the zero page where nothing was written */
		if (p->kind == VMO && opage_of(p->obj, p->opage))
			opage_of(p->obj, p->opage)->committed = 1;
		/* Only offsets 0-7 and PG-8..PG-1 are known: visit those. */
		for (unsigned j = 0; j < 16 && (p->kind == ANON || p->kind == VMO); j++) {
			unsigned o = j < 8 ? j : (unsigned)PG - 16 + j;
			size_t k = b + (o - off);
			uint8_t *mb = model_byte(i, o);

			if (o < off || o - off >= end - b)
				continue;
			if (write)
				*mb = buf[k];
			else if (buf[k] != *mb) {
				ktest_fail(__FILE__, __LINE__, "copy_from_user %#lx+%zu: byte %zu is %#x, "
				           "the model has %#x", (unsigned long)a, done, k, buf[k], *mb);
				return;
			}
		}
		b = end;
	}
}

/*
 * Whether the copy loop's last run was stopped by a fault that ran out of
 * memory, which only an injected failure may explain; counts it.
 */
static int stopped_by_injection(const struct fake_copy *fc)
{
	if (!fc->stopped || fc->fault != FAULT_OOM)
		return 0;
	if (!EXPECT_TRUE(fail_inject_fired()))
		return 0;
	model_injected++;
	return 1;
}

/*
 * A copy of @len bytes at @a, to or from the current aspace.  It must
 * succeed when the model allows every page it reaches, and stop with
 * E_FAULT at the first it does not, or at one whose fault ran out of an
 * injected allocation.
 */
static void op_copy_at(uintptr_t a, size_t len, int write)
{
	static uint8_t buf[3 * PAGE_SIZE];
	const struct fake_copy *fc = fake_usercopy_last();
	size_t reach = model_reach(a, len, write), done;
	uint64_t r = next_tag * 0x9e3779b97f4a7c15ull + 1, seq = fc->seq;
	int rc;

	aspace_switch(cur_as);
	if (write) {
		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)(tl_rand(&r) >> 24);
		next_tag++;
		rc = copy_to_user(a, buf, len);
	} else {
		memset(buf, 0xa5, len);
		rc = copy_from_user(buf, a, len);
	}
	/* Inside the aspace, every copy but an empty one runs the loop once. */
	if (!EXPECT_EQ_U(fc->seq, seq + (len != 0)))
		return;
	done = len ? fc->copied : 0;
	EXPECT_FALSE(fake_user_access_open());
	if (rc == E_FAULT && stopped_by_injection(fc)) {
		if (!EXPECT_LT(done, reach))
			return;
		reach = done;
	}
	model_copies++;
	model_copy_faults += rc == E_FAULT;
	if (!EXPECT_EQ(rc, reach == len ? E_OK : E_FAULT) || !EXPECT_EQ_U(done, reach))
		return;
	copied(a, buf, done, write);
}

/*
 * A copy of up to two pages and a bit, anywhere in the window: often from
 * near the start or the end of a page, so that short copies reach the
 * words the model knows.
 */
static void op_copy(unsigned s, int write)
{
	unsigned k = rnd(4);
	uintptr_t a = addr_of(s) + (k == 0 ? rnd(8) : k == 1 ? PG - 1 - rnd(24) : rnd(PG));
	size_t len = rnd(4) ? rnd(2 * PG + 1) : rnd(17);

	op_copy_at(a, len, write);
}

/*
 * The range check's edges.  Refused before touching anything: starting
 * below the aspace, running past its end, wrapping around.  Allowed: a
 * zero-length copy at any address, a copy from the aspace's first byte
 * (the window's first page), and one ending at its last byte (a page
 * mapped there for the while, outside the model's window).
 */
static void op_copy_edge(void)
{
	uint8_t buf[32], back[32];
	unsigned k = rnd(6), write = rnd(2);
	uintptr_t a;
	size_t len = 1 + rnd(16);
	uint64_t faults = fake_usercopy_faults();
	int rc;

	switch (k) {
	case 0: a = cur_as->base - 1 - rnd(8); break;
	case 1: a = cur_as->end - 1 - rnd(8); len += 8; break;
	case 2: a = ~(uintptr_t)0 - rnd(8); break;
	case 3: a = rnd(2) ? addr_of(rnd(NP)) : ~(uintptr_t)0; len = 0; break;
	case 4:
		EXPECT_EQ_U(addr_of(0), cur_as->base);
		op_copy_at(cur_as->base, len, write);
		return;
	default:
		fail_inject_at(0, 0);
		a = cur_as->end - PG;
		if (!EXPECT_OK(aspace_map_anon(cur_as, &a, PG, 0, RW, MAP_FIXED)))
			return;
		aspace_switch(cur_as);
		for (unsigned i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(next_tag + i);
		EXPECT_OK(copy_to_user(cur_as->end - len, buf, len));
		memset(back, 0, sizeof(back));
		EXPECT_OK(copy_from_user(back, cur_as->end - len, len));
		EXPECT_EQ(memcmp(back, buf, len), 0);
		EXPECT_OK(aspace_unmap(cur_as, a, PG));
		return;
	}
	aspace_switch(cur_as);
	memset(buf, 0x5a, sizeof(buf));
	rc = write ? copy_to_user(a, buf, len) : copy_from_user(buf, a, len);
	EXPECT_EQ(rc, len ? E_FAULT : E_OK);
	EXPECT_EQ_U(fake_usercopy_faults(), faults);
	for (unsigned i = 0; i < sizeof(buf); i++)
		if (!EXPECT_EQ(buf[i], 0x5a))
			break;
}

/*
 * strncpy_from_user from a stretch the model knows: inside the first word
 * of page @s, or from its last word on into the next page's first (any
 * bytes of physical pages).  The model says where the NUL is (or that
 * none comes within n), and which pages the copy reaches before it: the
 * first one it may not read is E_FAULT, as is one whose fault ran out of
 * an injected allocation.
 */
static void op_strncpy(unsigned s)
{
	const struct fake_copy *fc = fake_usercopy_last();
	char dst[24];
	unsigned x = rnd(8), head = rnd(2);
	uintptr_t a = addr_of(s) + (head ? x : PG - 8 + x);
	size_t n = 1 + rnd(head ? 8 - x : 16 - x);
	long want = E_RANGE, rc;

	for (size_t k = 0; k < n; k++) {
		unsigned i = page_of(a + k);
		uint8_t *mb;

		if (!accessible(i, 0)) {
			want = E_FAULT;
			break;
		}
		mb = model_byte(i, (a + k) & PAGE_MASK);
		if (!mb) {
			ktest_fail(__FILE__, __LINE__, "strncpy at %#lx+%zu: byte %zu unknown",
			           (unsigned long)a, n, k);
			return;
		}
		if (!*mb) {
			want = (long)k;
			break;
		}
	}
	aspace_switch(cur_as);
	memset(dst, 0x5a, sizeof(dst));
	rc = strncpy_from_user(dst, a, n);
	/* Reads give no page a frame (the zero page is mapped where nothing
	 * was written); a fault that failed changed nothing. */
	if (rc == E_FAULT && want != E_FAULT && stopped_by_injection(fc))
		return;
	if (!EXPECT_EQ(rc, want) || want == E_FAULT)
		return;
	for (size_t k = 0; k < (want == E_RANGE ? n - 1 : (size_t)want); k++)
		if (!EXPECT_EQ(dst[k], (char)*model_byte(page_of(a + k), (a + k) & PAGE_MASK)))
			return;
	EXPECT_EQ(dst[want == E_RANGE ? n - 1 : (size_t)want], 0);
}

static void use(unsigned j)
{
	m = models[j];
	cur_as = spaces[j];
}

/* Fork the current aspace into a free slot, the model with it. */
static void op_fork(void)
{
	for (unsigned j = 1; j < NAS; j++) {
		if (spaces[j])
			continue;
		int rc = aspace_fork(cur_as, &spaces[j]);

		if (injected(rc == E_NOMEM)) {
			EXPECT_NULL(spaces[j]);
			return;
		}
		if (!EXPECT_OK(rc))
			return;
		memcpy(models[j], m, sizeof(models[j]));
		forked = 1;
		return;
	}
}

/* Destroy a forked aspace (never fx_as); carry on in fx_as when it was current. */
static void op_destroy(unsigned j)
{
	if (!j || !spaces[j])
		return;
	aspace_destroy(spaces[j]);
	spaces[j] = NULL;
	if (m == models[j])
		use(0);
}

static void op_switch(unsigned j)
{
	if (spaces[j])
		use(j);
}

/* ---- memory objects ------------------------------------------------------------------ */

static int obj_referenced(unsigned k)
{
	for (unsigned j = 0; j < NAS; j++)
		for (unsigned i = 0; spaces[j] && i < NP; i++)
			if (models[j][i].kind == VMO && models[j][i].obj == k)
				return 1;
	for (unsigned o = 0; o < NOBJ; o++)
		if (objs[o].v && objs[o].alias == (int)k)
			return 1;
	return 0;
}

/* An object nothing holds any more (no handle, mapping or slice) is gone: its slot is free. */
static void obj_reap(void)
{
	for (int again = 1; again;) {
		again = 0;
		for (unsigned k = 0; k < NOBJ; k++)
			if (objs[k].v && !objs[k].handle && !obj_referenced(k)) {
				objs[k].v = NULL;
				again = 1;
			}
	}
}

/* A random object we hold, or -1. */
static int obj_pick(void)
{
	unsigned k = rnd(NOBJ);

	return objs[k].v && objs[k].handle ? (int)k : -1;
}

static int obj_free_slot(void)
{
	for (unsigned k = 0; k < NOBJ; k++)
		if (!objs[k].v)
			return (int)k;
	return -1;
}

static void op_vmo_create(void)
{
	int k = obj_free_slot();
	unsigned size = 1 + rnd(OBJ_PAGES), resizable = rnd(2);
	struct vmo *v = NULL;
	int rc;

	if (k < 0)
		return;
	rc = vmo_create(size * PG, resizable ? VMO_RESIZABLE : 0, "model", &v);
	if (injected(rc == E_NOMEM) || !EXPECT_OK(rc))
		return;
	memset(&objs[k], 0, sizeof(objs[k]));
	objs[k].v = v;
	objs[k].handle = 1;
	objs[k].size = size;
	objs[k].resizable = (int)resizable;
	objs[k].alias = -1;
}

static void op_vmo_map(unsigned s, unsigned room)
{
	int k = obj_pick();
	unsigned o, n, perms = rnd_perms(), flags = MAP_FIXED | (rnd(3) ? 0 : VAREA_POPULATE);
	uintptr_t a = addr_of(s);
	int rc;

	if (k < 0)
		return;
	o = rnd(objs[k].size);
	n = objs[k].size - o < room ? objs[k].size - o : room;
	rc = aspace_map(cur_as, &a, n * PG, 0, perms, flags, vmo_obj(objs[k].v), (uint64_t)o * PG);
	if (injected(rc == E_NOMEM) || !EXPECT_OK(rc))
		return;
	model_set(s, n, VMO, perms, 0, 0, 0);
	for (unsigned i = 0; i < n; i++) {
		m[s + i].obj = (uint8_t)k;
		m[s + i].opage = (uint16_t)(o + i);
	}
}

static void op_vmo_write(void)
{
	static uint64_t page[PAGE_SIZE / 8];
	int k = obj_pick();
	unsigned pg;
	struct opage *o;
	int rc;

	if (k < 0)
		return;
	pg = rnd(objs[k].size + 1);
	o = opage_of((unsigned)k, pg);
	page[0] = ++next_tag;
	page[PAGE_SIZE / 8 - 1] = ~page[0];
	rc = vmo_write(objs[k].v, (uint64_t)pg * PG, page, PG);
	if (!o) {
		EXPECT_EQ(rc, E_RANGE);
		return;
	}
	if (injected(rc == E_NOMEM) || !EXPECT_OK(rc))
		return;
	o->tag = page[0];
	o->tail = ~page[0];
	o->committed = 1;
}

static void op_vmo_read(void)
{
	int k = obj_pick();
	uint64_t tag = 1, tail = 1;
	struct opage *o;
	unsigned pg;

	if (k < 0)
		return;
	pg = rnd(objs[k].size);
	o = opage_of((unsigned)k, pg);
	EXPECT_OK(vmo_read(objs[k].v, (uint64_t)pg * PG, &tag, 8));
	EXPECT_OK(vmo_read(objs[k].v, (uint64_t)pg * PG + PG - 8, &tail, 8));
	EXPECT_EQ_U(tag, o->tag);
	EXPECT_EQ_U(tail, o->tail);
}

/* Decommit (the pages go) or zero (they stay) a range of an object. */
static void op_vmo_drop(int zero)
{
	int k = obj_pick();
	unsigned o, n;
	int rc;

	if (k < 0)
		return;
	o = rnd(objs[k].size);
	n = 1 + rnd(objs[k].size - o);
	rc = zero ? vmo_zero(objs[k].v, (uint64_t)o * PG, (uint64_t)n * PG)
	          : vmo_decommit(objs[k].v, (uint64_t)o * PG, (uint64_t)n * PG);
	if (injected(rc == E_NOMEM))
		return;
	/* In a clone tree a decommit is refused: the parent's pages would show. */
	if (!zero && objs[root_of((unsigned)k)].tree && rc == E_NOTSUP)
		return;
	if (!EXPECT_OK(rc))
		return;
	for (unsigned i = o; i < o + n; i++) {
		struct opage *p = opage_of((unsigned)k, i);

		p->tag = p->tail = 0;
		if (!zero)
			p->committed = 0;
	}
}

static void op_vmo_resize(void)
{
	int k = obj_pick();
	unsigned size = 1 + rnd(OBJ_PAGES);
	int rc;

	if (k < 0)
		return;
	rc = vmo_resize(objs[k].v, (uint64_t)size * PG);
	if (!objs[k].resizable) {
		EXPECT_EQ(rc, E_NOTSUP);
		return;
	}
	if (objs[k].tree && rc == E_BUSY)
		return;
	if (!EXPECT_OK(rc))
		return;
	for (unsigned i = size; i < OBJ_PAGES; i++)
		memset(&objs[k].p[i], 0, sizeof(objs[k].p[i]));
	objs[k].size = size;
}

/* A snapshot clone (the model copies the pages) or a slice (the model's pages are shared). */
static void op_vmo_child(int slice)
{
	int k = obj_pick(), c = obj_free_slot();
	struct vmo *v = NULL;
	unsigned o, n;
	int rc;

	if (k < 0 || c < 0)
		return;
	o = rnd(objs[k].size);
	n = 1 + rnd(objs[k].size - o);
	rc = slice ? vmo_slice(objs[k].v, (uint64_t)o * PG, (uint64_t)n * PG, "slice", &v)
	           : vmo_clone(objs[k].v, (uint64_t)o * PG, (uint64_t)n * PG, "clone", &v);
	if (slice && objs[k].resizable) {
		EXPECT_EQ(rc, E_NOTSUP);
		return;
	}
	if (injected(rc == E_NOMEM) || !EXPECT_OK(rc))
		return;
	memset(&objs[c], 0, sizeof(objs[c]));
	objs[c].v = v;
	objs[c].handle = 1;
	objs[c].size = n;
	objs[c].alias = -1;
	if (slice) {
		objs[c].alias = k;
		objs[c].alias_off = o;
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		objs[c].p[i] = *opage_of((unsigned)k, o + i);
		objs[c].p[i].committed = 0;   /* shared until touched; frames are not counted now */
	}
	objs[c].tree = 1;
	objs[root_of((unsigned)k)].tree = 1;
	cloned = 1;
}

/* Drop our handle: the object lives on while mapped or sliced. */
static void op_vmo_put(void)
{
	int k = obj_pick();

	if (k < 0)
		return;
	vmo_put(objs[k].v);
	objs[k].handle = 0;
}

/*
 * Apply @steps operations drawn from the current source (or until a byte
 * source runs out) to fx_as and its forks and to the model, comparing
 * after every step; then tear down, checking every frame came back.
 * Failures are reported through ktest_fail() in the running case.
 */
static void drive(unsigned steps)
{
	next_tag = 0;
	forked = 0;
	frames_unknown = 0;
	cloned = 0;
	memset(objs, 0, sizeof(objs));
	memset(models, 0, sizeof(models));
	memset(spaces, 0, sizeof(spaces));
	fx_setup(3);
	spaces[0] = fx_as;
	use(0);
	for (unsigned step = 0; step < steps && !src_done; step++) {
		unsigned s = rnd(NP), n = 1 + rnd(rnd(4) ? 8 : 24);
		unsigned room = NP - s < n ? NP - s : n;

		unsigned op = rnd(37), arm = rnd(8) ? 0 : 1 + rnd(rnd(2) ? 4 : 24), sticky = rnd(2);

		if (src_done)
			break;
		model_ops++;
		if (arm)
			fail_inject_at(arm, sticky);
		switch (op) {
		case 0: case 1: op_map_fixed(s, room); break;
		case 2: case 3: op_map_anywhere(1 + rnd(6)); break;
		case 4: op_map_noreplace(s, room); break;
		case 5: op_map_phys(s, room); break;
		case 6: case 7: op_unmap(s, n); break;
		case 8: case 9: op_protect(s, n); break;
		case 10: op_fork(); break;
		case 11: op_destroy(rnd(NAS)); break;
		case 12: case 13: op_switch(rnd(NAS)); break;
		case 14: case 15: op_copy(s, 1); break;
		case 16: case 17: op_copy(s, 0); break;
		case 18: op_copy_edge(); break;
		case 19: op_strncpy(s); break;
		case 20: case 21: op_remap(s, n); break;
		case 22: op_discard(s, n); break;
		case 27: op_vmo_create(); break;
		case 28: case 29: op_vmo_map(s, room); break;
		case 30: op_vmo_write(); break;
		case 31: op_vmo_read(); break;
		case 32: op_vmo_drop(rnd(2)); break;
		case 33: op_vmo_resize(); break;
		case 34: op_vmo_child(rnd(2)); break;
		case 35: op_vmo_put(); break;
		default: op_fault(s); break;
		}
		obj_reap();
		model_obj_ops += op >= 27 && op <= 35;
		fail_inject_at(0, 0);
		if (compare(step))
			break;
		if (!forked && !frames_unknown && !cloned && step % 64 == 0 &&
		    !EXPECT_EQ(fx_data_frames(), model_frames()))
			break;
		if (fake_mmu_violations())
			break;
	}
	if (!forked && !frames_unknown && !cloned)
		EXPECT_EQ(fx_data_frames(), model_frames());
	for (unsigned j = 1; j < NAS; j++)
		op_destroy(j);
	use(0);
	ASSERT_OK(aspace_unmap(cur_as, PG, 4 * NP * PG));
	EXPECT_EQ(cur_as->nvareas, 0);
	for (unsigned k = 0; k < NOBJ; k++)
		if (objs[k].v && objs[k].handle)
			vmo_put(objs[k].v);
	EXPECT_EQ(vmo_count(), 0);
	EXPECT_EQ(fx_data_frames(), 0);
	fx_teardown();
}

static void run_model(uint64_t s0, unsigned steps)
{
	uint64_t inj = model_injected, copies = model_copies, cf = model_copy_faults;
	uint64_t objops = model_obj_ops;
	uint64_t faults = fake_usercopy_faults(), rm[3], disc = model_discards;

	memcpy(rm, model_remaps, sizeof(rm));

	src = NULL;
	src_done = 0;
	seed = s0;
	drive(steps);
	ktest_log("%u steps: %llu on memory objects, %llu user copies (%llu E_FAULT, "
	          "%llu faults taken), %llu operations failed by injection", steps,
	          (unsigned long long)(model_obj_ops - objops),
	          (unsigned long long)(model_copies - copies), (unsigned long long)(model_copy_faults - cf),
	          (unsigned long long)(fake_usercopy_faults() - faults),
	          (unsigned long long)(model_injected - inj));
	ktest_log("remaps done: %llu in place, %llu moved, %llu fixed; %llu discards done",
	          (unsigned long long)(model_remaps[0] - rm[0]), (unsigned long long)(model_remaps[1] - rm[1]),
	          (unsigned long long)(model_remaps[2] - rm[2]), (unsigned long long)(model_discards - disc));
}

void model_run_bytes(const uint8_t *buf, size_t len)
{
	src = buf;
	src_len = len;
	src_pos = 0;
	src_done = 0;
	drive(~0u);
	src = NULL;
}

/*
 * Replay every file of the seed corpus ($KTEST_CORPUS, or
 * $KTEST_DATA/../../tests/fuzz/corpus) through the same driver.
 */
static void test_model_corpus(void)
{
	const char *env = getenv("KTEST_CORPUS"), *data = getenv("KTEST_DATA");
	char dir[512], path[1024];
	static uint8_t buf[1 << 16];
	uint64_t ops0 = model_ops;
	unsigned files = 0;
	struct dirent *e;
	DIR *d;

	if (env)
		snprintf(dir, sizeof(dir), "%s", env);
	else if (data)
		snprintf(dir, sizeof(dir), "%s/../../tests/fuzz/corpus", data);
	else
		ktest_skip("neither KTEST_CORPUS nor KTEST_DATA is set");
	d = opendir(dir);
	if (!d) {
		ktest_fail(__FILE__, __LINE__, "cannot open %s", dir);
		return;
	}
	while ((e = readdir(d)) && ktest_ok()) {
		FILE *f;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (!f) {
			ktest_fail(__FILE__, __LINE__, "cannot read %s", path);
			break;
		}
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		model_run_bytes(buf, len);
		if (!ktest_ok())
			ktest_log("input %s", path);
		files++;
	}
	closedir(d);
	EXPECT_GT(files, 0);
	ktest_log("%u corpus inputs, %llu operations", files, (unsigned long long)(model_ops - ops0));
}

static void test_model_seed_1(void)
{
	run_model(1, 4000);
}

static void test_model_seed_2(void)
{
	run_model(0x9e3779b97f4a7c15ull, 4000);
}

static void test_model_seed_3(void)
{
	run_model(0xdeadbeefcafef00dull, 4000);
}

/* ---- failure injection ------------------------------------------------------------------- */

#define U 0x100000ul
#define SNAP_PAGES 32

struct snap {
	struct fx_varea v[16];
	unsigned n;
	uint64_t word[SNAP_PAGES];
	uint64_t data;
};

/* The vareas (residency aside) and the content of every page of [U, U + SNAP_PAGES). */
static void take(struct snap *s)
{
	memset(s, 0, sizeof(*s));
	s->n = fx_vareas(fx_as, s->v, 16);
	for (unsigned i = 0; i < s->n && i < 16; i++)
		s->v[i].resident = 0;
	for (unsigned i = 0; i < SNAP_PAGES; i++)
		s->word[i] = fx_has_varea(fx_as, U + i * PG) ? fx_read_obj(fx_as, U + i * PG) : ~0ull;
	s->data = fx_data_frames();
}

static int same(const struct snap *a, const struct snap *b)
{
	return a->n == b->n && !memcmp(a->v, b->v, sizeof(a->v)) &&
	       !memcmp(a->word, b->word, sizeof(a->word)) && a->data == b->data;
}

/*
 * Run @op with all free frames but k held, k = 0, 1, ... until it
 * succeeds; every failure must be E_NOMEM and change nothing.  Returns
 * the number of failures seen.
 */
static unsigned exhaust(int (*op)(void))
{
	struct snap before, after;
	unsigned k;

	for (k = 0; k < 300; k++) {
		int rc;

		take(&before);
		fx_hog_all_but(k);
		rc = op();
		fx_hog_release();
		if (rc == E_OK)
			return k;
		EXPECT_EQ(rc, E_NOMEM);
		take(&after);
		if (!same(&before, &after)) {
			ktest_fail(__FILE__, __LINE__, "failure %u changed the aspace", k);
			return k;
		}
		if (aspace_check(fx_as) || pt_audit(fx_as->pt) || fake_mmu_violations()) {
			ktest_fail(__FILE__, __LINE__, "failure %u left it inconsistent", k);
			return k;
		}
	}
	ktest_fail(__FILE__, __LINE__, "never succeeded");
	return k;
}

/* Populated, written anonymous memory at U + @page * PG. */
static void prepare(unsigned page, unsigned pages, unsigned perms)
{
	uintptr_t a = U + page * PG;

	ASSERT_OK(aspace_map_anon(fx_as, &a, pages * PG, 0, RW, MAP_FIXED | VAREA_POPULATE));
	for (unsigned i = 0; i < pages; i++)
		*fx_word(fx_as, a + i * PG) = 0x1000 + page + i;
	if (perms != RW)
		ASSERT_OK(aspace_protect(fx_as, a, pages * PG, perms));
}

/* Where fx_fill_varea_cache() puts its vareas next (kept across calls). */
static uintptr_t model_far = 0x10000000;

static int op_populate_anywhere(void)
{
	uintptr_t a = 0;

	return aspace_map_anon(fx_as, &a, 8 * PG, 0, RW, VAREA_POPULATE);
}

static int op_fixed_populate_over(void)
{
	uintptr_t a = U + 2 * PG;

	return aspace_map_anon(fx_as, &a, 8 * PG, 0, RW, MAP_FIXED | VAREA_POPULATE);
}

static int op_fixed_lazy_over(void)
{
	uintptr_t a = U + 3 * PG;

	return aspace_map_anon(fx_as, &a, 2 * PG, 0, RX, MAP_FIXED);
}

static int op_unmap_middle(void)
{
	return aspace_unmap(fx_as, U + 13 * PG, PG);
}

static int op_protect_middle(void)
{
	return aspace_protect(fx_as, U + 17 * PG, PG, RO);
}

static void test_populate_fails_cleanly(void)
{
	fx_setup(3);
	EXPECT_GT(exhaust(op_populate_anywhere), 3);
	EXPECT_EQ(fx_data_frames(), 8);
	fx_teardown();
}

static void test_fixed_replace_fails_cleanly(void)
{
	fx_setup(3);
	prepare(0, 4, RW);
	prepare(4, 4, RO);
	prepare(8, 4, RX);
	fx_fill_varea_cache(&model_far);
	EXPECT_GT(exhaust(op_fixed_populate_over), 3);
	EXPECT_EQ_U(fx_read_obj(fx_as, U + PG), 0x1001);
	EXPECT_EQ_U(fx_read_obj(fx_as, U + 10 * PG), 0x100a);
	EXPECT_EQ_U(fx_read_obj(fx_as, U + 5 * PG), 0);
	fx_fill_varea_cache(&model_far);
	EXPECT_GT(exhaust(op_fixed_lazy_over), 0);
	fx_teardown();
}

static void test_splits_fail_cleanly(void)
{
	fx_setup(3);
	prepare(12, 4, RW);
	prepare(16, 4, RW);
	ASSERT_OK(aspace_protect(fx_as, U + 16 * PG, 4 * PG, RX));
	fx_fill_varea_cache(&model_far);
	EXPECT_GT(exhaust(op_unmap_middle), 0);
	fx_fill_varea_cache(&model_far);
	EXPECT_GT(exhaust(op_protect_middle), 0);
	EXPECT_EQ_U(fx_read_obj(fx_as, U + 12 * PG), 0x100c);
	EXPECT_EQ_U(fx_read_obj(fx_as, U + 18 * PG), 0x1012);
	fx_teardown();
}

/*
 * Physical vareas in 2 MiB blocks: unmapping or protecting inside one
 * splits the block, which needs a table page; when that fails nothing
 * changes, and a protect across two vareas rolls the first one back.
 */
static void test_block_splits_fail_cleanly(void)
{
	uintptr_t a = 1ul << 30, b = a + (2ul << 20);
	paddr_t pa = FAKE_RAM_BASE + (4ull << 20);
	struct fx_varea v1[4], v2[4];
	struct aspace_query q;
	unsigned n;

	fx_setup(3);
	ASSERT_OK(aspace_map_phys(fx_as, &a, pa, 2ul << 20, 0, RO, MAP_FIXED | VAREA_POPULATE));
	ASSERT_OK(aspace_map_phys(fx_as, &b, pa + (4ull << 20), 2ul << 20, 0, RW,
	                          MAP_FIXED | VAREA_POPULATE));
	n = fx_vareas(fx_as, v1, 4);
	ASSERT_EQ(n, 2);
	fake_pt_alloc_fail_at(1);
	EXPECT_EQ(aspace_unmap(fx_as, a + PG, PG), E_NOMEM);
	fake_pt_alloc_fail_at(1);
	EXPECT_EQ(aspace_protect(fx_as, a + PG, PG, RW), E_NOMEM);
	/* [a + 1 MiB, b + 1 MiB) to RX: a's part splits first, then b's fails. */
	fake_pt_alloc_fail_at(2);
	EXPECT_EQ(aspace_protect(fx_as, a + (1ul << 20), 2ul << 20, RX), E_NOMEM);
	fake_pt_alloc_fail_at(0);
	EXPECT_EQ(fx_vareas(fx_as, v2, 4), n);
	EXPECT_EQ(memcmp(v1, v2, sizeof(v1[0]) * n), 0);
	ASSERT_OK(aspace_query(fx_as, a + (1ul << 20), &q));
	EXPECT_EQ(q.mmu_flags, RO | MMU_USER);
	EXPECT_EQ(aspace_check(fx_as), 0);
	EXPECT_EQ(pt_audit(fx_as->pt), 0);
	/* With memory both work (the RX parts stay two: not contiguous physically). */
	EXPECT_OK(aspace_protect(fx_as, a + (1ul << 20), 2ul << 20, RX));
	EXPECT_EQ(fx_vareas(fx_as, v2, 4), 4);
	EXPECT_OK(aspace_unmap(fx_as, a + PG, PG));
	EXPECT_EQ(fx_vareas(fx_as, NULL, 0), 5);
	fx_teardown();
}

/* Table pages for a population fail at each allocation in turn. */
static void test_table_failures_during_populate(void)
{
	fx_setup(4);
	for (unsigned nth = 1;; nth++) {
		uintptr_t a = 1ul << 40;
		int rc;

		fake_pt_alloc_fail_at(nth);
		rc = aspace_map_anon(fx_as, &a, 4 * PG, 0, RW, MAP_FIXED | VAREA_POPULATE);
		if (!fake_pt_alloc_failed()) {
			EXPECT_OK(rc);
			break;
		}
		EXPECT_EQ(rc, E_NOMEM);
		EXPECT_EQ(fx_as->nvareas, 0);
		EXPECT_EQ(fx_data_frames(), 0);
		EXPECT_EQ(aspace_check(fx_as), 0);
		ASSERT_LT(nth, 10);
	}
	fake_pt_alloc_fail_at(0);
	EXPECT_EQ(fx_data_frames(), 4);
	fx_teardown();
}

KTEST_SUITE(aspace_model_host,
	KTEST_CASE(test_model_seed_1),
	KTEST_CASE(test_model_seed_2),
	KTEST_CASE(test_model_seed_3),
	KTEST_CASE(test_model_corpus),
	KTEST_CASE(test_populate_fails_cleanly),
	KTEST_CASE(test_fixed_replace_fails_cleanly),
	KTEST_CASE(test_splits_fail_cleanly),
	KTEST_CASE(test_block_splits_fail_cleanly),
	KTEST_CASE(test_table_failures_during_populate));
