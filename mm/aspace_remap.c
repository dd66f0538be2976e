/*
 * Moving, growing and discarding mappings: aspace_remap() (mremap) and
 * aspace_discard() (madvise(MADV_DONTNEED)).
 *
 * A move takes the varea out of the tree and puts it back at its new
 * start with its object and offset unchanged: its leaves are removed
 * (the object keeps the pages) and the pages fault back in at the new
 * address.  No page is copied, whatever the size.  Growth maps a fresh
 * anonymous tail, which merges with the varea when their objects allow
 * (an object in a copy-on-write hierarchy does not: the mapping is then
 * two vareas).
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

/*
 * Make [addr, addr + size) (inside @va) a varea of its own; returns it,
 * or NULL (E_NOMEM) with nothing changed.
 */
static struct varea *isolate(struct aspace *as, struct varea *va, uintptr_t addr,
                             uint64_t size) REQUIRES(as->lock)
{
	struct varea *lo_upper = NULL, *hi_upper = NULL;
	uintptr_t end = addr + size;

	if ((va->start < addr && !(lo_upper = varea_alloc())) ||
	    (varea_end(va) > end && !(hi_upper = varea_alloc())))
		goto fail;
	if (hi_upper && varea_split(as, va, end, hi_upper)) {
		varea_free(hi_upper);
		hi_upper = NULL;
		goto fail;
	}
	if (lo_upper) {
		if (varea_split(as, va, addr, lo_upper)) {
			if (hi_upper)
				varea_unsplit(as, va, hi_upper);
			hi_upper = NULL;
			goto fail;
		}
		va = lo_upper;
	}
	return va;
fail:
	if (lo_upper)
		varea_free(lo_upper);
	if (hi_upper)
		varea_free(hi_upper);
	return NULL;
}

static int grow_tail(struct aspace *as, struct varea *va, uintptr_t at, uint64_t size,
                     struct mem_obj **tail) REQUIRES(as->lock)
{
	int rc = aspace_map_anon_locked(as, at, size, va->perms, va->flags & VAREA_STACK, *tail);

	if (rc == E_OK)
		*tail = NULL;   /* the varea holds it */
	return rc;
}

static int remap_locked(struct aspace *as, uintptr_t old, uint64_t old_size, uint64_t new_size,
                        unsigned flags, uintptr_t *new_addr, struct mem_obj **tail)
	REQUIRES(as->lock)
{
	struct varea *va = vtree_find(as, old);
	uintptr_t dest;
	int rc;

	if (!va || old_size > varea_end(va) - old)
		return E_NOENT;
	if (!(flags & REMAP_FIXED)) {
		if (new_size <= old_size) {
			*new_addr = old;
			return new_size < old_size ?
			       aspace_unmap_locked(as, old + new_size, old_size - new_size) : E_OK;
		}
		/* In place: the varea ends with the range and the pages above are free. */
		if (old + old_size == varea_end(va) &&
		    range_free(as, old + old_size, new_size - old_size)) {
			rc = grow_tail(as, va, old + old_size, new_size - old_size, tail);
			if (rc == E_OK)
				*new_addr = old;
			return rc;
		}
		if (!(flags & REMAP_MAYMOVE))
			return E_NOMEM;
		if (!vtree_find_gap(as, new_size, PAGE_SIZE, 0, &dest))
			return E_NOMEM;
	} else {
		dest = *new_addr;
		if (dest < old + old_size && old < dest + new_size)
			return E_INVAL;
		rc = aspace_unmap_locked(as, dest, new_size);
		if (rc)
			return rc;
		va = vtree_find(as, old);   /* the unmap may have cut it */
	}
	/* The tail first (it can fail); then the move, which cannot. */
	if (new_size > old_size) {
		rc = grow_tail(as, va, dest + old_size, new_size - old_size, tail);
		if (rc)
			return rc;
		va = vtree_find(as, old);
	}
	struct varea *moved = isolate(as, va, old, old_size);
	if (!moved) {
		if (new_size > old_size && aspace_unmap_locked(as, dest + old_size, new_size - old_size))
			panic("aspace %s: undoing a remap's tail failed", as->name);
		return E_NOMEM;
	}
	if (aspace_pt_unmap(as, old, old_size, moved))
		panic("aspace %s: unmapping a moved range failed", as->name);
	vtree_remove(as, moved);
	moved->start = dest;
	vtree_insert(as, moved);
	if (new_size < old_size && aspace_unmap_locked(as, dest + new_size, old_size - new_size))
		panic("aspace %s: shrinking a moved varea failed", as->name);
	varea_merge_range(as, dest, dest + new_size);
	*new_addr = dest;
	return E_OK;
}

int aspace_remap(struct aspace *as, uintptr_t old, uint64_t old_size, uint64_t new_size,
                 unsigned flags, uintptr_t *new_addr)
{
	struct mem_obj *tail = NULL;
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
	if (rc)
		return rc;
	if (new_size > old_size) {
		tail = anon_obj_create(new_size - old_size);
		if (!tail)
			return E_NOMEM;
	}
	irq = aspace_lock(as);
	rc = remap_locked(as, old, old_size, new_size, flags, new_addr, &tail);
	aspace_unlock(as, irq);
	if (tail)
		mem_obj_put(tail);
	return rc;
}

int aspace_discard(struct aspace *as, uintptr_t addr, uint64_t size)
{
	uintptr_t end = addr + size, at = addr;
	unsigned long irq;
	int rc = aspace_check_range(as, addr, size), holes = 0;

	if (rc)
		return rc;
	if (as->kernel)
		return E_INVAL;
	irq = aspace_lock(as);
	while (at < end && rc == E_OK) {
		struct varea *va = vtree_first_after(as, at);
		uintptr_t lo, hi;

		if (!va || va->start >= end) {
			holes = 1;
			break;
		}
		if (va->start > at)
			holes = 1;
		lo = va->start > at ? va->start : at;
		hi = varea_end(va) < end ? varea_end(va) : end;
		at = hi;
		if (!is_anon(va->obj))
			continue;   /* physical memory: nothing to drop */
		struct mem_obj *fresh = anon_obj_create(hi - lo);

		rc = fresh ? aspace_map_anon_locked(as, lo, hi - lo, va->perms,
		                                    (va->flags & VAREA_STACK) | MAP_FIXED, fresh) :
		             E_NOMEM;
		if (rc && fresh)
			mem_obj_put(fresh);
	}
	aspace_unlock(as, irq);
	return rc ? rc : holes ? E_NOENT : E_OK;
}
