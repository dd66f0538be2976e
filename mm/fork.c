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

/*
 * The twins to be, in address order, linked through their obj_link (free
 * until the twin is filled in, and then its own again).
 */
LIST_HEAD(twin_list, varea);

/* Fill in the next of the twins at @ctx as @pva's twin in @pva's child (vtree_copy()). */
static struct varea *take_twin(const struct varea *pva, void *ctx)
{
	struct twin_list *twins = ctx;
	struct varea *cva = LIST_FIRST(twins);
	struct mem_obj *obj = pva->obj->ops->fork_child(pva->obj);

	LIST_REMOVE(cva, obj_link);
	cva->start = pva->start;
	cva->size = pva->size;
	cva->perms = pva->perms;
	cva->flags = pva->flags;
	cva->offset = pva->offset;
	cva->name = pva->name;
	cva->resident = 0;
	cva->obj = obj;
	mem_obj_get(obj);
	return cva;
}

/* Give back the twins not filled in. */
static void free_twins(struct twin_list *twins)
{
	struct varea *cva;

	while ((cva = LIST_FIRST(twins))) {
		LIST_REMOVE(cva, obj_link);
		varea_free(cva);
	}
}

/* Everything that can fail: a twin per varea, each object's fork preparation. */
static int prepare(struct aspace *parent, struct twin_list *twins) REQUIRES(parent->lock)
{
	struct varea *last = NULL;

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
		if (last)
			LIST_INSERT_AFTER(last, cva, obj_link);
		else
			LIST_INSERT_HEAD(twins, cva, obj_link);
		last = cva;
	}
	return E_OK;
}

/* The child's vareas, in the parent's tree's shape, each opened on its object. */
static void add_twins(struct aspace *parent, struct aspace *child, struct twin_list *twins)
	REQUIRES(parent->lock, child->lock)
{
	vtree_copy(child, parent, take_twin, twins);
	for (struct varea *cva = vtree_min(child); cva; cva = vtree_next(cva)) {
		cva->as = child;
		if (cva->obj->ops->open)
			cva->obj->ops->open(cva);
	}
}

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
	struct twin_list twins = LIST_HEAD_INITIALIZER(twins);
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
	rc = prepare(parent, &twins);
	if (rc) {
		free_twins(&twins);
		for (struct varea *va = vtree_min(parent); va; va = vtree_next(va))
			if (va->obj->ops->fork_abort)
				va->obj->ops->fork_abort(va->obj);
	} else {
		add_twins(parent, child, &twins);
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
