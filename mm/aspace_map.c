/*
 * Changing an address space: map, unmap, protect.
 *
 * Each operation is prepare / apply / commit:
 *  - prepare: validate, allocate every varea struct it may need, and make
 *    the splits (the object's split hook may refuse; a split is undone by
 *    merging back, so nothing is lost);
 *  - apply: one failure-atomic page-table call where possible (an unmap
 *    covers all its vareas in one pt_unmap()); what can fail (E_NOMEM
 *    for a block split, a population out of memory) fails here, and the
 *    splits are undone;
 *  - commit: vareas shrink, go or change, which cannot fail; then the
 *    neighbours of what changed are merged.
 *
 * Leaves never straddle a varea boundary: a varea boundary only appears
 * inside a block together with the page-table call that splits the
 * block.  So page-table calls on whole vareas cannot fail; only those at
 * the ends of the operation's range can.
 */
#include <lib/err.h>
#include <lib/panic.h>
#include "aspace_internal.h"

/* ---- populating ---------------------------------------------------------------------- */

/*
 * Fault every page of @va in through its object, all of it or (on error)
 * the leaves made so far stay for the caller to remove.  Returns E_OK,
 * E_NOMEM, or E_RANGE when the object cannot map a page (device memory
 * mapped as normal memory, say).
 */
static int populate(struct varea *va)
{
	struct fault f = {
		.access = va->perms & MMU_WRITE ? FAULT_WRITE : FAULT_READ,
		.kind = FAULT_NOT_PRESENT,
		.user = !va->as->kernel,
		.populate = 1,
	};
	uintptr_t addr = va->start, end = varea_end(va);

	if (!(va->perms & MMU_READ))
		return E_OK;   /* no access: nothing is ever mapped */
	while (addr < end) {
		uint64_t leaf;
		enum fault_result r;

		if (pt_query(va->as->pt, addr, NULL, NULL, &leaf) == E_OK) {
			addr = (addr & ~(uintptr_t)(leaf - 1)) + leaf;
			continue;
		}
		f.addr = addr;
		r = va->obj->ops->fault(va, &f);
		/* A private mapping's write copies its source's page, as Linux's
		 * MAP_POPULATE breaks copy-on-write. */
		if (r != FAULT_FIXED && r != FAULT_FIXED_COW)
			return r == FAULT_OOM ? E_NOMEM : E_RANGE;
		if (pt_query(va->as->pt, addr, NULL, NULL, NULL) != E_OK)
			addr += PAGE_SIZE;   /* the object had nothing to map there */
	}
	return E_OK;
}

/* ---- making room for a fixed map -------------------------------------------------- */

/*
 * The vareas across the ends of a fixed map's range, split there so the
 * range holds whole vareas only.  They stay in the tree until the map
 * commits: a map that fails after it removed their leaves merges the
 * splits back and the vareas are all still there, their pages faulting
 * back in from their objects.
 */
struct carve {
	struct varea *lo, *lo_upper;   /* lo split at the range's start */
	struct varea *hi, *hi_upper;   /* hi split at the range's end */
};

static void carve_undo(struct aspace *as, struct carve *c) REQUIRES(as->lock)
{
	if (c->lo)
		varea_unsplit(as, c->lo, c->lo_upper);
	if (c->hi)
		varea_unsplit(as, c->hi, c->hi_upper);
}

static int carve_prepare(struct aspace *as, uintptr_t addr, uintptr_t end, struct carve *c)
	REQUIRES(as->lock)
{
	struct varea *lo = vtree_find(as, addr), *hi = vtree_find(as, end - 1);
	struct varea *lo_upper = NULL, *hi_upper = NULL;
	int rc = E_NOMEM;

	*c = (struct carve){ NULL, NULL, NULL, NULL };
	if (lo && lo->start == addr)
		lo = NULL;
	if (hi && varea_end(hi) == end)
		hi = NULL;
	if ((lo && !(lo_upper = varea_alloc())) || (hi && !(hi_upper = varea_alloc())))
		goto fail;
	/* The end first: when one varea covers both, @lo is then [start, end). */
	if (hi) {
		rc = varea_split(as, hi, end, hi_upper);
		if (rc)
			goto fail;
		c->hi = hi;
		c->hi_upper = hi_upper;
	}
	if (lo) {
		rc = varea_split(as, lo, addr, lo_upper);
		if (rc) {
			carve_undo(as, c);
			*c = (struct carve){ NULL, NULL, NULL, NULL };
			hi_upper = NULL;   /* freed by the undo */
			goto fail;
		}
		c->lo = lo;
		c->lo_upper = lo_upper;
	}
	return E_OK;
fail:
	if (lo_upper)
		varea_free(lo_upper);
	if (hi_upper)
		varea_free(hi_upper);
	return rc;
}

/* The range's vareas (whole, their leaves gone) are replaced: they go. */
static void carve_commit(struct aspace *as, uintptr_t addr, uintptr_t end)
	REQUIRES(as->lock)
{
	struct varea *va = vtree_first_after(as, addr), *next;

	for (; va && va->start < end; va = next) {
		next = vtree_next(va);
		varea_destroy(as, va);
	}
}

/* ---- map ---------------------------------------------------------------------------------- */

struct map_req {
	uintptr_t addr;
	uint64_t size, align;
	unsigned perms, flags;
	struct mem_obj *obj;       /* its reference goes to the varea on success */
	uint64_t offset;
	int rebase;                /* a fresh anonymous object: offsets := addresses */
};

static int overlaps(struct aspace *as, uintptr_t addr, uint64_t size) REQUIRES(as->lock)
{
	struct varea *va = vtree_first_after(as, addr);

	return va && va->start < addr + size;
}

static int map_locked(struct aspace *as, struct map_req *r) REQUIRES(as->lock)
{
	int fixed = r->flags & MAP_FIXED;
	struct carve carve = { NULL, NULL, NULL, NULL };
	struct varea *va;
	uintptr_t end;
	int rc;

	aspace_assert_held(as);
	if (r->obj->max_perms && (r->perms & ~r->obj->max_perms))
		return E_PERM;
	va = varea_alloc();
	if (!va)
		return E_NOMEM;
	if (!fixed && r->addr && overlaps(as, r->addr, r->size))
		rc = E_EXIST;
	else if (!fixed && !r->addr &&
	         !vtree_find_gap(as, r->size, r->align, r->flags & VAREA_STACK, &r->addr))
		rc = E_NOMEM;
	else
		rc = fixed ? carve_prepare(as, r->addr, r->addr + r->size, &carve) : E_OK;
	if (rc) {
		varea_free(va);
		return rc;
	}
	end = r->addr + r->size;
	if (fixed) {
		rc = aspace_pt_unmap(as, r->addr, r->size, NULL);
		if (rc) {
			carve_undo(as, &carve);
			varea_free(va);
			return rc;
		}
	}
	if (r->rebase) {
		anon_obj_rebase(r->obj, r->addr);
		r->offset = r->addr;
	}
	va->start = r->addr;
	va->size = r->size;
	va->perms = r->perms;
	/* Populating is what this map does, not what the varea is: it is not
	 * kept, so populated and lazy neighbours merge. */
	va->flags = r->flags & (VAREA_STACK | VAREA_DEVICE);
	va->obj = r->obj;
	va->offset = r->offset;
	va->as = as;
	va->resident = 0;
	rc = va->obj->ops->can_map ? va->obj->ops->can_map(va->obj, va) : E_OK;
	if (rc) {
		carve_undo(as, &carve);
		varea_free(va);
		return rc;
	}
	if (va->obj->ops->open)
		va->obj->ops->open(va);
	if (r->flags & VAREA_POPULATE) {
		rc = populate(va);
		if (rc) {
			/* Only this varea's leaves are in the range now: cannot split. */
			if (aspace_pt_unmap(as, va->start, va->size, va))
				panic("aspace %s: undoing a population failed", as->name);
			if (va->obj->ops->close)
				va->obj->ops->close(va);
			carve_undo(as, &carve);
			varea_free(va);
			return rc;
		}
	}
	if (fixed)
		carve_commit(as, r->addr, end);
	vtree_insert(as, va);
	varea_merge_around(as, va);
	return E_OK;
}

/*
 * Validate what the caller passed (all but the object), and make a zero
 * @align PAGE_SIZE; the checks that need the tree come under the lock.
 */
static int map_check(struct aspace *as, struct map_req *r)
{
	int rc;

	if (!r->align)
		r->align = PAGE_SIZE;
	if (!r->size)
		return E_INVAL;
	if ((r->size | r->offset) & PAGE_MASK)
		return E_ALIGN;
	if (r->align < PAGE_SIZE || (r->align & (r->align - 1)))
		return E_ALIGN;
	if (((r->flags & MAP_FIXED) || r->addr) && (r->addr & (r->align - 1)))
		return E_ALIGN;
	rc = aspace_check_perms(r->perms);
	if (rc)
		return rc;
	if (r->flags & ~(VAREA_FLAGS | MAP_FIXED))
		return E_INVAL;
	if (r->offset + (r->size - 1) < r->offset)
		return E_OVERFLOW;
	if ((r->flags & MAP_FIXED) || r->addr)
		return aspace_check_range(as, r->addr, r->size);
	return r->size > as->end - as->base ? E_NOMEM : E_OK;
}

/*
 * Map @r (checked) whose object reference goes to the new varea; on
 * failure the caller still holds it.
 */
static int map(struct aspace *as, uintptr_t *addr, struct map_req *r)
{
	unsigned long irq = aspace_lock(as);
	int rc = map_locked(as, r);

	aspace_unlock(as, irq);
	if (!rc)
		*addr = r->addr;
	return rc;
}

int aspace_map(struct aspace *as, uintptr_t *addr, uint64_t size, uint64_t align,
               unsigned perms, unsigned flags, struct mem_obj *obj, uint64_t offset)
{
	struct map_req r = { *addr, size, align, perms, flags, obj, offset, 0 };
	int rc = map_check(as, &r);

	if (!rc && !obj)
		rc = E_INVAL;
	if (rc)
		return rc;
	mem_obj_get(obj);
	rc = map(as, addr, &r);
	if (rc)
		mem_obj_put(obj);
	return rc;
}

int aspace_map_anon_locked(struct aspace *as, uintptr_t addr, uint64_t size, unsigned perms,
                           unsigned flags, struct mem_obj *obj)
{
	struct map_req r = { addr, size, PAGE_SIZE, perms, flags, obj, 0, 1 };

	return map_locked(as, &r);
}

/*
 * Map @r (checked) with its freshly created object @r->obj, NULL when
 * creating it failed (E_NOMEM); the object is dropped when the map fails.
 */
static int map_new(struct aspace *as, uintptr_t *addr, struct map_req *r)
{
	int rc;

	if (!r->obj)
		return E_NOMEM;
	rc = map(as, addr, r);
	if (rc)
		mem_obj_put(r->obj);
	return rc;
}

int aspace_map_anon(struct aspace *as, uintptr_t *addr, uint64_t size, uint64_t align,
                    unsigned perms, unsigned flags)
{
	struct map_req r = { *addr, size, align, perms, flags, NULL, 0, 1 };
	int rc = map_check(as, &r);

	if (rc)
		return rc;
	r.obj = anon_obj_create(size);
	return map_new(as, addr, &r);
}

static int map_phys(struct aspace *as, uintptr_t *addr, paddr_t pa, uint64_t size,
                    uint64_t align, unsigned perms, unsigned flags, unsigned max_perms)
{
	struct map_req r = { *addr, size, align, perms, flags, NULL, 0, 0 };
	int rc = map_check(as, &r);

	if (rc || (rc = pt_pa_check(pa, size)))
		return rc;
	r.obj = phys_obj_create(pa, size, flags & VAREA_DEVICE);
	if (r.obj)
		r.obj->max_perms = max_perms;
	return map_new(as, addr, &r);
}

int aspace_map_phys(struct aspace *as, uintptr_t *addr, paddr_t pa, uint64_t size,
                    uint64_t align, unsigned perms, unsigned flags)
{
	return map_phys(as, addr, pa, size, align, perms, flags, 0);
}

int aspace_map_phys_sealed(struct aspace *as, uintptr_t *addr, paddr_t pa, uint64_t size,
                           unsigned perms, unsigned flags)
{
	return map_phys(as, addr, pa, size, 0, perms, flags, perms ? perms : MMU_READ);
}

int aspace_map_private(struct aspace *as, uintptr_t *addr, uint64_t size, uint64_t align,
                       unsigned perms, unsigned flags, struct mem_obj *obj, uint64_t offset)
{
	struct map_req r = { *addr, size, align, perms, flags, NULL, offset, 0 };
	int rc = map_check(as, &r);

	if (!rc && (!obj || (flags & VAREA_DEVICE)))
		rc = E_INVAL;
	if (!rc)
		rc = obj->ops->can_source ? obj->ops->can_source(obj) : E_NOTSUP;
	if (rc)
		return rc;
	r.obj = anon_obj_create_source(obj, offset, size);
	return map_new(as, addr, &r);
}

/* ---- unmap -------------------------------------------------------------------------------- */

/* @va loses [at, end): its leaves there are gone already. */
static void cut_tail(struct aspace *as, struct varea *va, uintptr_t at) REQUIRES(as->lock)
{
	if (va->obj->ops->shrink)
		va->obj->ops->shrink(va, at, varea_end(va) - at);
	va->size = at - va->start;
	vtree_resized(as, va);
}

/* @va loses [start, at). */
static void cut_head(struct aspace *as, struct varea *va, uintptr_t at) REQUIRES(as->lock)
{
	uint64_t d = at - va->start;

	if (va->obj->ops->shrink)
		va->obj->ops->shrink(va, va->start, d);
	va->start = at;
	va->offset += d;
	va->size -= d;
	vtree_resized(as, va);
}

/*
 * Vareas across an end of the range shrink, which needs no memory; only
 * a varea around the whole range is split (at the range's end) first.
 */
int aspace_unmap_locked(struct aspace *as, uintptr_t addr, uint64_t size) REQUIRES(as->lock)
{
	uintptr_t end = addr + size;
	struct varea *va = vtree_first_after(as, addr), *upper = NULL, *next;
	int rc;

	aspace_assert_held(as);
	if (!va || va->start >= end)
		return E_OK;
	if (va->start < addr && varea_end(va) > end) {
		upper = varea_alloc();
		if (!upper)
			return E_NOMEM;
		rc = varea_split(as, va, end, upper);
		if (rc) {
			varea_free(upper);
			return rc;
		}
	}
	rc = aspace_pt_unmap(as, addr, size, NULL);
	if (rc) {
		if (upper)
			varea_unsplit(as, va, upper);
		return rc;
	}
	for (; va && va->start < end; va = next) {
		next = vtree_next(va);
		if (va->start < addr)
			cut_tail(as, va, addr);
		else if (varea_end(va) > end)
			cut_head(as, va, end);
		else
			varea_destroy(as, va);
	}
	return E_OK;
}

/* Check [addr, addr + size) of @as, then run @fn on it under the lock. */
static int on_range(struct aspace *as, uintptr_t addr, uint64_t size,
                    int (*fn)(struct aspace *as, uintptr_t addr, uint64_t size))
{
	unsigned long irq;
	int rc = aspace_check_range(as, addr, size);

	if (rc)
		return rc;
	irq = aspace_lock(as);
	rc = fn(as, addr, size);   /* a *_locked function: REQUIRES(as->lock) */
	aspace_unlock(as, irq);
	return rc;
}

int aspace_unmap(struct aspace *as, uintptr_t addr, uint64_t size)
{
	return on_range(as, addr, size, aspace_unmap_locked);
}

/* ---- decommit ----------------------------------------------------------------------------- */

/* The vareas from @first on that [addr, end) meets, each with the part of the range it has. */
#define FOR_EACH_PART(as, first, va, lo, hi, addr, end)                                   \
	for (va = (first); va && va->start < (end) &&                                       \
	                   ((lo = va->start > (addr) ? va->start : (addr)),                 \
	                    (hi = varea_end(va) < (end) ? varea_end(va) : (end)), 1);       \
	     va = vtree_next(va))

static void decommit_finish(struct aspace *as, struct varea *first, struct varea *stop,
                            uintptr_t addr, uintptr_t end, int apply) REQUIRES(as->lock)
{
	struct varea *va;
	uintptr_t lo, hi;

	FOR_EACH_PART(as, first, va, lo, hi, addr, end) {
		if (va == stop)
			break;
		if (va->obj->ops->decommit)
			va->obj->ops->decommit(va, lo, hi - lo, apply);
	}
}

static int decommit_locked(struct aspace *as, uintptr_t addr, uint64_t size) REQUIRES(as->lock)
{
	uintptr_t end = addr + size, lo, hi;
	struct varea *first = vtree_find(as, addr), *va;
	int rc = E_OK;

	aspace_assert_held(as);
	if (!first)
		return E_NOENT;
	for (va = first; varea_end(va) < end; va = vtree_next(va))
		if (!vtree_next(va) || vtree_next(va)->start != varea_end(va))
			return E_NOENT;   /* a hole */
	FOR_EACH_PART(as, first, va, lo, hi, addr, end) {
		if (va->obj->ops->decommit_prepare && (rc = va->obj->ops->decommit_prepare(va, lo, hi - lo)))
			break;
	}
	if (!rc)
		rc = aspace_pt_unmap(as, addr, size, NULL);
	decommit_finish(as, first, rc ? va : NULL, addr, end, !rc);
	return rc;
}

int aspace_decommit(struct aspace *as, uintptr_t addr, uint64_t size)
{
	return on_range(as, addr, size, decommit_locked);
}

/* ---- protect ------------------------------------------------------------------------------ */

/* Give the leaves of @va (whole, in the range) @perms: reprotect or remove them. */
static int protect_leaves(struct aspace *as, struct varea *va, unsigned perms)
	REQUIRES(as->lock)
{
	unsigned old = va->perms;
	int rc;

	if (!old)
		return E_OK;   /* nothing mapped */
	/* Leaves of shared copy-on-write pages must stay read-only: drop
	 * them all, and each fault maps its page as it should be. */
	if (!perms || ((perms & MMU_WRITE) && !(old & MMU_WRITE) && va->obj->ops->shares_pages &&
	               va->obj->ops->shares_pages(va->obj)))
		return aspace_pt_unmap(as, va->start, va->size, va);
	va->perms = perms;
	rc = pt_protect(as->pt, va->start, va->size, varea_mmu_flags(va));
	va->perms = old;
	return rc;
}

/*
 * Put back the leaves of the vareas from @va up to (not including) @stop,
 * which protect_leaves() changed to @perms.  Leaves removed stay removed:
 * their pages fault back in.  Reprotecting a whole varea needs no block
 * split, so this cannot fail.
 */
static void protect_rollback(struct aspace *as, struct varea *va, struct varea *stop,
                             unsigned perms) REQUIRES(as->lock)
{
	for (; va != stop; va = vtree_next(va)) {
		if (va->perms == perms || !va->perms || !perms)
			continue;
		if (pt_protect(as->pt, va->start, va->size, varea_mmu_flags(va)))
			panic("aspace %s: protect rollback failed", as->name);
	}
}

/*
 * The range must be covered; the vareas across its ends are split there
 * unless they have @perms already.
 */
static int protect_locked(struct aspace *as, uintptr_t addr, uint64_t size, unsigned perms)
	REQUIRES(as->lock)
{
	uintptr_t end = addr + size;
	struct varea *first = vtree_find(as, addr), *last = vtree_find(as, end - 1);
	struct varea *va, *lo_upper = NULL, *hi_upper = NULL;
	int lo_split = 0, hi_split = 0, rc = E_OK;

	aspace_assert_held(as);
	if (!first || !last)
		return E_NOENT;
	for (va = first; va != last; va = vtree_next(va))
		if (vtree_next(va)->start != varea_end(va))
			return E_NOENT;   /* a hole */
	for (va = first;; va = vtree_next(va)) {
		if (va->obj->max_perms && (perms & ~va->obj->max_perms))
			return E_PERM;    /* more than the object allows */
		if (va == last)
			break;
	}
	if (first->start < addr && first->perms != perms && !(lo_upper = varea_alloc()))
		return E_NOMEM;
	if (varea_end(last) > end && last->perms != perms && !(hi_upper = varea_alloc()))
		rc = E_NOMEM;
	/* The end first: when one varea covers both ends, @first is then [start, end). */
	if (!rc && hi_upper) {
		rc = varea_split(as, last, end, hi_upper);
		hi_split = !rc;
	}
	if (!rc && lo_upper) {
		rc = varea_split(as, first, addr, lo_upper);
		lo_split = !rc;
	}
	if (!rc) {
		/* Every varea to change now lies inside the range. */
		struct varea *from = vtree_find(as, addr);

		for (va = from; va && va->start < end; va = vtree_next(va)) {
			if (va->perms == perms)
				continue;
			rc = protect_leaves(as, va, perms);
			if (rc) {
				protect_rollback(as, from, va, perms);
				break;
			}
		}
	}
	if (rc) {
		if (lo_split)
			varea_unsplit(as, first, lo_upper);
		else if (lo_upper)
			varea_free(lo_upper);
		if (hi_split)
			varea_unsplit(as, last, hi_upper);
		else if (hi_upper)
			varea_free(hi_upper);
		return rc;
	}
	for (va = vtree_find(as, addr); va && va->start < end; va = vtree_next(va))
		va->perms = perms;
	varea_merge_range(as, addr, end);
	return E_OK;
}

int aspace_protect(struct aspace *as, uintptr_t addr, uint64_t size, unsigned perms)
{
	unsigned long irq;
	int rc = aspace_check_range(as, addr, size);

	if (!rc)
		rc = aspace_check_perms(perms);
	if (rc)
		return rc;
	irq = aspace_lock(as);
	rc = protect_locked(as, addr, size, perms);
	aspace_unlock(as, irq);
	return rc;
}
