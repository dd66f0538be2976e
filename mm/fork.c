/*
 * aspace_fork(): a child with the parent's vareas, each object deciding
 * through its fork hooks (mem_obj.h) what the child maps: anonymous
 * pages are shared copy-on-write through backup objects (mm/anon_cow.c),
 * physical objects and shared memory objects are shared as they are.  An
 * object without fork hooks makes the fork fail (E_NOTSUP): a new kind
 * is never shared by accident.
 *
 * All or nothing: everything is allocated first (the child, its vareas,
 * each anonymous object's backup and child object), with the parent
 * untouched; only then are the objects linked and the parent's writable
 * leaves made read-only, neither of which can fail.  The cost is one pass
 * over the vareas plus one pt_protect() per writable anonymous varea, the
 * only per-page work.
 */
#include <lib/err.h>
#include <lib/panic.h>
#include "aspace_internal.h"

/* @pva's twin in @child, holding its own reference to @obj. */
static void add_twin(struct aspace *child, struct varea *cva, const struct varea *pva,
                     struct mem_obj *obj) REQUIRES(child->lock)
{
	cva->start = pva->start;
	cva->size = pva->size;
	cva->perms = pva->perms;
	cva->flags = pva->flags;
	cva->offset = pva->offset;
	cva->name = pva->name;
	cva->as = child;
	cva->obj = obj;
	mem_obj_get(obj);
	if (obj->ops->open)
		obj->ops->open(cva);
	vtree_insert(child, cva);
}

/* Allocate the child's side of every varea; E_NOMEM at the first failure. */
static int prepare(struct aspace *parent, struct aspace *child)
	REQUIRES(parent->lock, child->lock)
{
	for (struct varea *va = vtree_min(parent); va; va = vtree_next(va)) {
		struct varea *cva = varea_alloc();
		int rc = cva ? E_OK : E_NOMEM;

		if (!rc)
			rc = va->obj->ops->fork_prepare ? va->obj->ops->fork_prepare(va->obj)
			                                : E_NOTSUP;
		if (rc) {
			if (cva)
				varea_free(cva);
			return rc;
		}
		add_twin(child, cva, va, va->obj->ops->fork_child(va->obj));
	}
	return E_OK;
}

/* Link the objects and take write access from the parent's shared leaves. */
static void commit(struct aspace *parent) REQUIRES(parent->lock)
{
	for (struct varea *va = vtree_min(parent); va; va = vtree_next(va)) {
		const struct mem_obj_ops *ops = va->obj->ops;

		if (ops->fork_commit)
			ops->fork_commit(va->obj);
		if (!ops->shares_pages || !ops->shares_pages(va->obj))
			continue;
		/* Copy-on-write leaves are single pages: nothing splits, nothing fails. */
		if ((va->perms & MMU_WRITE) && va->resident &&
		    pt_protect(parent->pt, va->start, va->size, varea_mmu_flags(va) & ~MMU_WRITE))
			panic("aspace %s: write-protecting for fork failed", parent->name);
	}
}

int aspace_fork(struct aspace *parent, struct aspace **out)
{
	struct aspace *child;
	unsigned long irq;
	int rc;

	if (parent->kernel)
		return E_INVAL;
	rc = aspace_create(parent->name, &child);
	if (rc)
		return rc;
	irq = aspace_lock(parent);
	/* No one else can reach the child yet, but its tree is built under
	 * its lock like any other (nested in the parent's: cannot deadlock). */
	spin_lock(&child->lock);
	rc = prepare(parent, child);
	if (rc) {
		for (struct varea *va = vtree_min(parent); va; va = vtree_next(va))
			if (va->obj->ops->fork_abort)
				va->obj->ops->fork_abort(va->obj);
	} else {
		commit(parent);
	}
	spin_unlock(&child->lock);
	aspace_unlock(parent, irq);
	if (rc) {
		aspace_destroy(child);
		return rc;
	}
	*out = child;
	return E_OK;
}
