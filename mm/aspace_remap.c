/*
 * Moving, growing and discarding mappings: aspace_remap() (mremap) and
 * aspace_discard() (madvise(MADV_DONTNEED)).
 *
 * A move takes the varea out of the tree and puts it back at its new
 * start with its object and offset unchanged: its leaves are removed
 * (the object keeps the pages) and the pages fault back in at the new
 * address.  No page is copied, whatever the size.  Growth is a fresh
 * anonymous tail, which merges with the varea when their objects allow
 * (an object in a copy-on-write hierarchy does not: the mapping is then
 * two vareas).
 *
 * Failure atomicity: everything a remap can need (the tail's object and
 * varea, the two varea structs that cut the moved range out of its
 * varea) is allocated before anything changes.  Then come the steps
 * that can still fail, each undone by the next one's failure: removing
 * the source's leaves (which may split a block; leaves are only a
 * cache, so a failure there leaves the vareas and their contents as
 * they were), cutting the range out, and with REMAP_FIXED unmapping the
 * destination.  What follows cannot fail: the move, the tail, the
 * source's trimmed end.
 */
#include <lib/err.h>
#include <lib/panic.h>
#include <mm/aspace.h>
#include "anon_internal.h"
#include "aspace_internal.h"

/* Whether [addr, addr + size) is free (and outside a stack's guard page). */
static int range_free(struct aspace *as, uintptr_t addr, uint64_t size) REQUIRES(as->lock)
{
	struct varea *va = vtree_first_after(as, addr);

	if (addr < as->base || size > as->end - addr)
		return 0;
	if (!va)
		return 1;
	if (va->start < addr + size)
		return 0;
	return !(va->flags & VAREA_STACK) || addr + size <= va->start - PAGE_SIZE;
}

/* What a remap allocates before it takes the lock; remap_free() gives back what is left. */
struct remap_mem {
	struct mem_obj *tail;      /* the growth's object */
	struct varea *tail_va;     /* and its varea */
	struct varea *lo, *hi;     /* the pieces below and above a range cut out of its varea */
};

/* The tail's object and varea when growing by @grow; the pieces' structs when it @may_move. */
static int remap_alloc(struct remap_mem *r, uint64_t grow, int may_move)
{
	if (grow && (!(r->tail = anon_obj_create(grow)) || !(r->tail_va = varea_alloc())))
		return E_NOMEM;
	if (may_move && (!(r->lo = varea_alloc()) || !(r->hi = varea_alloc())))
		return E_NOMEM;
	return E_OK;
}

static void remap_free(struct remap_mem *r)
{
	if (r->tail)
		mem_obj_put(r->tail);
	if (r->tail_va)
		varea_free(r->tail_va);
	if (r->lo)
		varea_free(r->lo);
	if (r->hi)
		varea_free(r->hi);
}

/* The pieces cut() split off a varea, for uncut(). */
struct cut {
	struct varea *below, *above;
};

/*
 * Make [addr, addr + size) (inside @va) a varea of its own with the
 * structs of @r; returns it, or NULL (E_NOMEM) with nothing changed.
 */
static struct varea *cut(struct aspace *as, struct varea *va, uintptr_t addr, uint64_t size,
                         struct remap_mem *r, struct cut *c) REQUIRES(as->lock)
{
	uintptr_t end = addr + size;

	c->below = c->above = NULL;
	if (varea_end(va) > end) {
		if (varea_split(as, va, end, r->hi))
			return NULL;
		c->above = r->hi;
		r->hi = NULL;   /* in the tree now */
	}
	if (va->start < addr) {
		if (varea_split(as, va, addr, r->lo)) {
			if (c->above)
				varea_unsplit(as, va, c->above);
			return NULL;
		}
		c->below = va;
		va = r->lo;
		r->lo = NULL;
	}
	return va;
}

/* Undo cut(): @moved and the pieces around it are one varea again. */
static void uncut(struct aspace *as, struct varea *moved, const struct cut *c) REQUIRES(as->lock)
{
	if (c->above)
		varea_unsplit(as, moved, c->above);
	if (c->below)
		varea_unsplit(as, c->below, moved);
}

/*
 * The growth: a varea of @r's fresh object at [at, at + size) (free)
 * with @va's permissions, merged with its neighbours.  Cannot fail.
 */
static void add_tail(struct aspace *as, const struct varea *va, uintptr_t at, uint64_t size,
                     struct remap_mem *r) REQUIRES(as->lock)
{
	struct varea *t = r->tail_va;

	anon_obj_rebase(r->tail, at);
	t->start = at;
	t->size = size;
	t->perms = va->perms;
	t->flags = va->flags & VAREA_STACK;
	t->obj = r->tail;
	t->offset = at;
	t->as = as;
	if (t->obj->ops->open)
		t->obj->ops->open(t);
	vtree_insert(as, t);
	r->tail = NULL;   /* the varea holds them now */
	r->tail_va = NULL;
	varea_merge_range(as, at, at + size);
}

/*
 * Move [old, old + old_size) of @va to @dest (free, or with @fixed
 * whatever is there unmapped), keeping new_size bytes of it and growing
 * it to @new_size.
 */
static int move_locked(struct aspace *as, struct varea *va, uintptr_t old, uint64_t old_size,
                       uint64_t new_size, uintptr_t dest, int fixed, struct remap_mem *r)
	REQUIRES(as->lock)
{
	uint64_t keep = new_size < old_size ? new_size : old_size;
	struct varea *moved;
	struct cut c;
	int rc;

	/* The leaves go while the varea is whole: only splitting a block can fail here. */
	rc = aspace_pt_unmap(as, old, old_size, NULL);
	if (rc)
		return rc;
	moved = cut(as, va, old, keep, r, &c);
	if (!moved)
		return E_NOMEM;
	if (fixed) {
		rc = aspace_unmap_locked(as, dest, new_size);
		if (rc) {
			uncut(as, moved, &c);
			return rc;
		}
	}
	/* Nothing below can fail. */
	vtree_remove(as, moved);
	moved->start = dest;
	vtree_insert(as, moved);
	/* The source's rest is the head of the piece above, without leaves: no split, no table page. */
	if (keep < old_size && aspace_unmap_locked(as, old + keep, old_size - keep))
		panic("aspace %s: trimming a moved range failed", as->name);
	if (new_size > old_size)
		add_tail(as, moved, dest + old_size, new_size - old_size, r);
	varea_merge_range(as, dest, dest + new_size);
	return E_OK;
}

static int remap_locked(struct aspace *as, uintptr_t old, uint64_t old_size, uint64_t new_size,
                        unsigned flags, uintptr_t *new_addr, struct remap_mem *r)
	REQUIRES(as->lock)
{
	struct varea *va = vtree_find(as, old);
	uintptr_t dest;
	int rc;

	if (!va || old_size > varea_end(va) - old)
		return E_NOENT;
	if (flags & REMAP_FIXED) {
		dest = *new_addr;
		if (dest < old + old_size && old < dest + new_size)
			return E_INVAL;
	} else if (new_size <= old_size) {
		*new_addr = old;
		return new_size < old_size ?
		       aspace_unmap_locked(as, old + new_size, old_size - new_size) : E_OK;
	} else if (old + old_size == varea_end(va) &&
	           range_free(as, old + old_size, new_size - old_size)) {
		/* In place: the varea ends with the range and the pages above are free. */
		add_tail(as, va, old + old_size, new_size - old_size, r);
		*new_addr = old;
		return E_OK;
	} else if (!(flags & REMAP_MAYMOVE) ||
	           !vtree_find_gap(as, new_size, PAGE_SIZE, va->flags & VAREA_STACK, &dest)) {
		return E_NOMEM;
	}
	rc = move_locked(as, va, old, old_size, new_size, dest, flags & REMAP_FIXED, r);
	if (rc == E_OK)
		*new_addr = dest;
	return rc;
}

int aspace_remap(struct aspace *as, uintptr_t old, uint64_t old_size, uint64_t new_size,
                 unsigned flags, uintptr_t *new_addr)
{
	struct remap_mem r = { NULL, NULL, NULL, NULL };
	unsigned long irq;
	int rc;

	if (as->kernel || (flags & ~(REMAP_MAYMOVE | REMAP_FIXED)))
		return E_INVAL;
	if ((flags & REMAP_FIXED) && !(flags & REMAP_MAYMOVE))
		return E_INVAL;
	if ((old | old_size | new_size) & PAGE_MASK ||
	    ((flags & REMAP_FIXED) && (*new_addr & PAGE_MASK)))
		return E_ALIGN;
	if (!old_size || !new_size)
		return E_INVAL;
	rc = aspace_check_range(as, old, old_size);
	if (rc == E_OK && (flags & REMAP_FIXED))
		rc = aspace_check_range(as, *new_addr, new_size);
	if (rc == E_OK)
		rc = remap_alloc(&r, new_size > old_size ? new_size - old_size : 0,
		                 flags & REMAP_MAYMOVE);
	if (rc == E_OK) {
		irq = aspace_lock(as);
		rc = remap_locked(as, old, old_size, new_size, flags, new_addr, &r);
		aspace_unlock(as, irq);
	}
	remap_free(&r);
	return rc;
}

int aspace_discard(struct aspace *as, uintptr_t addr, uint64_t size)
{
	uintptr_t end = addr + size, at = addr;
	int rc = aspace_check_range(as, addr, size), holes = 0;

	if (rc)
		return rc;
	if (as->kernel)
		return E_INVAL;
	/* Each run of vareas without a hole goes to aspace_decommit(). */
	while (at < end && rc == E_OK) {
		unsigned long irq = aspace_lock(as);
		struct varea *va = vtree_first_after(as, at);
		uintptr_t lo, hi;

		if (!va || va->start >= end) {
			aspace_unlock(as, irq);
			holes = 1;
			break;
		}
		holes |= va->start > at;
		lo = va->start > at ? va->start : at;
		hi = varea_end(va);
		for (struct varea *n = vtree_next(va); n && n->start == hi && hi < end; n = vtree_next(n))
			hi = varea_end(n);
		if (hi > end)
			hi = end;
		aspace_unlock(as, irq);
		rc = aspace_decommit(as, lo, hi - lo);
		at = hi;
	}
	return rc ? rc : holes ? E_NOENT : E_OK;
}
