/*
 * The varea tree of an address space, and the surgery on vareas that the
 * aspace operations share: split, undo a split, merge, destroy.
 *
 * The tree is picolibc's red-black tree ordered by start address.  It is
 * augmented for the gap search: every varea records the free bytes
 * between its predecessor (or the aspace's base) and itself, and the
 * largest such gap in its subtree, so a search for room skips every
 * subtree without a large enough gap (Linux keeps the same figure,
 * rb_subtree_gap).  A varea's own gap depends on its predecessor, so
 * whatever moves an end of a varea, or adds or removes one, recomputes the
 * gap of the varea after it as well, and the maxima up to the root.
 */
#include <stdio.h>
#include <lib/err.h>
#include <lib/panic.h>
#include <mm/heap.h>
#include "aspace_internal.h"

/* ---- the tree ------------------------------------------------------------------- */

static uint64_t subtree_gap(const struct varea *va)
{
	return va ? va->max_gap : 0;
}

/* Recompute @va's subtree maximum from its own gap and its children's. */
static void augment(struct varea *va)
{
	uint64_t m = va->gap;
	uint64_t l = subtree_gap(RB_LEFT(va, node));
	uint64_t r = subtree_gap(RB_RIGHT(va, node));

	va->max_gap = m > l ? (m > r ? m : r) : (l > r ? l : r);
}

static int varea_cmp(const struct varea *a, const struct varea *b)
{
	return a->start < b->start ? -1 : a->start > b->start;
}

#undef RB_AUGMENT
#define RB_AUGMENT(x) augment(x)
RB_GENERATE_STATIC(varea_tree, varea, node, varea_cmp)

struct varea *vtree_next(struct varea *va)
{
	return RB_NEXT(varea_tree, NULL, va);
}

static struct varea *vtree_prev(struct varea *va)
{
	return RB_PREV(varea_tree, NULL, va);
}

struct varea *vtree_min(struct aspace *as) REQUIRES(as->lock)
{
	return RB_MIN(varea_tree, &as->tree);
}

static uintptr_t prev_end(struct aspace *as, struct varea *va) REQUIRES(as->lock)
{
	struct varea *p = vtree_prev(va);

	return p ? varea_end(p) : as->base;
}

/*
 * Give @va the gap @gap after @end, the end of what precedes it, and
 * bring the maxima above it up to date.  Every other maximum must agree
 * with the gaps stored: then once one comes out unchanged, none above it
 * changes either, and the walk stops there.
 */
static void gap_set(struct varea *va, uintptr_t end)
{
	va->gap = va->start - end;
	for (; va; va = RB_PARENT(va, node)) {
		uint64_t old = va->max_gap;

		augment(va);
		if (va->max_gap == old)
			break;
	}
}

/* @va's own gap is stale: recompute it and the maxima above it. */
static void gap_update(struct aspace *as, struct varea *va) REQUIRES(as->lock)
{
	if (va)
		gap_set(va, prev_end(as, va));
}

void vtree_insert(struct aspace *as, struct varea *va) REQUIRES(as->lock)
{
	struct varea *next;

	va->gap = 0;
	va->max_gap = 0;
	/* The insertion brings the maxima on its path up to date (a gap of 0). */
	if (RB_INSERT(varea_tree, &as->tree, va))
		panic("aspace %s: two vareas at %#lx", as->name, (unsigned long)va->start);
	as->nvareas++;
	gap_update(as, va);
	next = vtree_next(va);
	if (next)
		gap_set(next, varea_end(va));
}

void vtree_remove(struct aspace *as, struct varea *va) REQUIRES(as->lock)
{
	struct varea *next = vtree_next(va);

	/* The removal brings the maxima on its path up to date. */
	RB_REMOVE(varea_tree, &as->tree, va);
	as->nvareas--;
	gap_update(as, next);
}

/* The twin of @pva's subtree, under @cparent; in-order, so twins come in address order. */
static struct varea *copy_subtree(const struct varea *pva, struct varea *cparent,
                                  struct varea *(*twin)(const struct varea *pva, void *ctx),
                                  void *ctx)
{
	struct varea *left, *cva;

	if (!pva)
		return NULL;
	left = copy_subtree(RB_LEFT(pva, node), NULL, twin, ctx);
	cva = twin(pva, ctx);
	RB_LEFT(cva, node) = left;
	if (left)
		RB_PARENT(left, node) = cva;
	RB_PARENT(cva, node) = cparent;
	RB_COLOR(cva, node) = RB_COLOR(pva, node);
	cva->gap = pva->gap;
	cva->max_gap = pva->max_gap;
	RB_RIGHT(cva, node) = copy_subtree(RB_RIGHT(pva, node), cva, twin, ctx);
	return cva;
}

void vtree_copy(struct aspace *child, struct aspace *parent,
                struct varea *(*twin)(const struct varea *pva, void *ctx), void *ctx)
	REQUIRES(child->lock, parent->lock)
{
	if (!RB_EMPTY(&child->tree) || child->base != parent->base)
		panic("aspace %s: copying vareas into a tree that differs", child->name);
	RB_ROOT(&child->tree) = copy_subtree(RB_ROOT(&parent->tree), NULL, twin, ctx);
	child->nvareas = parent->nvareas;
}

void vtree_resized(struct aspace *as, struct varea *va) REQUIRES(as->lock)
{
	gap_update(as, va);
	gap_update(as, vtree_next(va));
}

struct varea *vtree_find(struct aspace *as, uintptr_t addr) REQUIRES(as->lock)
{
	struct varea *va = RB_ROOT(&as->tree);

	while (va) {
		if (addr < va->start)
			va = RB_LEFT(va, node);
		else if (addr - va->start >= va->size)
			va = RB_RIGHT(va, node);
		else
			return va;
	}
	return NULL;
}

struct varea *vtree_first_after(struct aspace *as, uintptr_t addr) REQUIRES(as->lock)
{
	struct varea *va = RB_ROOT(&as->tree), *best = NULL;

	while (va) {
		if (varea_end(va) > addr) {
			best = va;
			va = RB_LEFT(va, node);
		} else {
			va = RB_RIGHT(va, node);
		}
	}
	return best;
}

struct varea *vtree_last_before(struct aspace *as, uintptr_t addr) REQUIRES(as->lock)
{
	struct varea *va = RB_ROOT(&as->tree), *best = NULL;

	while (va) {
		if (va->start < addr) {
			best = va;
			va = RB_RIGHT(va, node);
		} else {
			va = RB_LEFT(va, node);
		}
	}
	return best;
}

/* ---- gap search --------------------------------------------------------------------- */

struct gap_req {
	uint64_t size, align;
	int stack;
	uintptr_t found;
};

/*
 * Does the request fit between @prev and @next (NULL: the aspace's base
 * or end)?  The guard page of a stack is kept free on both sides: below
 * the new varea when it is a stack, and below @next when that is one.
 */
static int fits(struct aspace *as, struct varea *prev, struct varea *next, struct gap_req *r)
	REQUIRES(as->lock)
{
	uintptr_t lo = prev ? varea_end(prev) : as->base;
	uintptr_t hi = next ? next->start : as->end;
	uintptr_t a;

	if (r->stack)
		lo += PAGE_SIZE;
	if (next && (next->flags & VAREA_STACK))
		hi -= PAGE_SIZE;
	if (lo < as->base || hi > as->end || lo >= hi || lo > UINTPTR_MAX - (r->align - 1))
		return 0;
	a = (lo + (r->align - 1)) & ~(uintptr_t)(r->align - 1);
	if (a >= hi || hi - a < r->size)
		return 0;
	r->found = a;
	return 1;
}

/* In address order: the first gap below a varea of @va's subtree that fits. */
static int search(struct aspace *as, struct varea *va, struct gap_req *r) REQUIRES(as->lock)
{
	if (!va || va->max_gap < r->size)
		return 0;
	if (search(as, RB_LEFT(va, node), r))
		return 1;
	if (va->gap >= r->size && fits(as, vtree_prev(va), va, r))
		return 1;
	return search(as, RB_RIGHT(va, node), r);
}

int vtree_find_gap(struct aspace *as, uint64_t size, uint64_t align, int stack,
                   uintptr_t *out) REQUIRES(as->lock)
{
	struct gap_req r = { size, align, stack, 0 };

	if (search(as, RB_ROOT(&as->tree), &r) ||
	    fits(as, RB_MAX(varea_tree, &as->tree), NULL, &r)) {
		*out = r.found;
		return 1;
	}
	return 0;
}

/* Recursively: problems with the gaps of @va's subtree. */
static int check_subtree(struct aspace *as, struct varea *va) REQUIRES(as->lock)
{
	int problems = 0;
	uint64_t gap, max;

	if (!va)
		return 0;
	problems += check_subtree(as, RB_LEFT(va, node));
	problems += check_subtree(as, RB_RIGHT(va, node));
	gap = va->start - prev_end(as, va);
	max = va->max_gap;
	augment(va);
	if (va->gap != gap || va->max_gap != max) {
		printf("aspace_check %s: %#lx: gap %#llx (recorded %#llx), max %#llx (recorded %#llx)\n",
		       as->name, (unsigned long)va->start, (unsigned long long)gap,
		       (unsigned long long)va->gap, (unsigned long long)va->max_gap,
		       (unsigned long long)max);
		problems++;
	}
	va->max_gap = max;
	return problems;
}

int vtree_check(struct aspace *as) REQUIRES(as->lock)
{
	return check_subtree(as, RB_ROOT(&as->tree));
}

/* ---- varea structs -------------------------------------------------------------------- */

static struct kmem_cache *varea_cache;

int varea_cache_init(void)
{
	varea_cache = kmem_cache_create("varea", sizeof(struct varea), 0);
	return varea_cache ? E_OK : E_NOMEM;
}

struct varea *varea_alloc(void)
{
	return kmem_cache_alloc(varea_cache, KM_ZERO);
}

void varea_free(struct varea *va)
{
	kmem_cache_free(varea_cache, va);
}

/* ---- resident pages ----------------------------------------------------------------- */

struct count_ctx {
	uintptr_t start, last;
	uint64_t bytes;
};

static int count_leaf(void *ctx, uintptr_t va, paddr_t pa, uint64_t size, unsigned flags,
                      unsigned level)
{
	struct count_ctx *c = ctx;
	uintptr_t lo = va > c->start ? va : c->start;
	uintptr_t last = va + (uintptr_t)(size - 1);

	(void)pa;
	(void)flags;
	(void)level;
	if (last > c->last)
		last = c->last;
	c->bytes += last - lo + 1;
	return 0;
}

uint64_t aspace_count_resident(struct aspace *as, uintptr_t start, uint64_t size)
	REQUIRES(as->lock)
{
	struct count_ctx c = { start, start + (uintptr_t)(size - 1), 0 };

	pt_walk_range(as->pt, start, size, count_leaf, &c);
	return c.bytes >> PAGE_SHIFT;
}

/* ---- surgery ------------------------------------------------------------------------- */

int varea_split(struct aspace *as, struct varea *va, uintptr_t at, struct varea *upper)
	REQUIRES(as->lock)
{
	const struct mem_obj_ops *ops = va->obj->ops;
	int rc;

	upper->start = at;
	upper->size = varea_end(va) - at;
	upper->perms = va->perms;
	upper->flags = va->flags;
	upper->obj = va->obj;
	upper->offset = va->offset + (at - va->start);
	upper->as = as;
	upper->name = va->name;
	upper->resident = aspace_count_resident(as, at, upper->size);
	mem_obj_get(va->obj);
	if (ops->split) {
		rc = ops->split(va, upper, at);
		if (rc) {
			mem_obj_put(va->obj);   /* never the last: @va holds one */
			return rc;
		}
	}
	va->size = at - va->start;
	va->resident -= upper->resident;
	vtree_insert(as, upper);   /* also recomputes what @va's new end changed */
	return E_OK;
}

/*
 * Grow @va over @next, which is out of the tree already: the common end
 * of unsplit and merge.
 */
static void absorb(struct aspace *as, struct varea *va, struct varea *next)
	REQUIRES(as->lock)
{
	const struct mem_obj_ops *ops = va->obj->ops;

	if (ops->merge)
		ops->merge(va, next);
	va->size += next->size;
	va->resident += next->resident;
	vtree_resized(as, va);
	mem_obj_put(next->obj);
	varea_free(next);
}

void varea_unsplit(struct aspace *as, struct varea *va, struct varea *upper)
	REQUIRES(as->lock)
{
	vtree_remove(as, upper);
	absorb(as, va, upper);
}

int varea_try_merge(struct aspace *as, struct varea *va, struct varea *next)
	REQUIRES(as->lock)
{
	const struct mem_obj_ops *ops = va->obj->ops;

	if (!next || varea_end(va) != next->start || va->perms != next->perms ||
	    va->flags != next->flags || va->name != next->name || !ops->can_merge ||
	    !ops->can_merge(va, next))
		return 0;
	vtree_remove(as, next);
	absorb(as, va, next);
	return 1;
}

void varea_merge_range(struct aspace *as, uintptr_t lo, uintptr_t hi) REQUIRES(as->lock)
{
	struct varea *va = lo > as->base ? vtree_find(as, lo - 1) : NULL;

	if (!va)
		va = vtree_first_after(as, lo);
	while (va && va->start < hi) {
		struct varea *next = vtree_next(va);

		if (!varea_try_merge(as, va, next))
			va = next;
	}
}

void varea_merge_around(struct aspace *as, struct varea *va) REQUIRES(as->lock)
{
	struct varea *prev = vtree_prev(va);

	if (prev && varea_try_merge(as, prev, va))
		va = prev;
	varea_try_merge(as, va, vtree_next(va));
}

void varea_destroy(struct aspace *as, struct varea *va) REQUIRES(as->lock)
{
	const struct mem_obj_ops *ops = va->obj->ops;

	vtree_remove(as, va);
	if (ops->close)
		ops->close(va);
	mem_obj_put(va->obj);
	varea_free(va);
}
