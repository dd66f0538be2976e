/*
 * Address spaces: creating and destroying them, switching between them,
 * object references, and the pieces every operation shares (validation,
 * unmapping with the leaves handed to their vareas, mapping for objects).
 * Map, unmap and protect are in aspace_map.c; faults, queries and the
 * checker in aspace_fault.c; the varea tree in varea.c.
 */
#include <string.h>
#include <lib/err.h>
#include <mm/kmap.h>
#include <lib/panic.h>
#include <lib/words.h>
#include <mm/heap.h>
#include <mm/layout.h>
#include <mm/page.h>
#include <mm/vmo.h>
#include "aspace_internal.h"

struct aspace kernel_aspace;

static struct kmem_cache *aspace_cache;

/* ---- objects ------------------------------------------------------------------------ */

void mem_obj_get(struct mem_obj *obj)
{
	if (!__atomic_fetch_add(&obj->refcount, 1, __ATOMIC_RELAXED))
		panic("mem_obj_get: %s object with no reference", obj->ops->name);
}

void mem_obj_put(struct mem_obj *obj)
{
	uint32_t was = __atomic_fetch_sub(&obj->refcount, 1, __ATOMIC_ACQ_REL);

	if (!was)
		panic("mem_obj_put: %s object with no reference", obj->ops->name);
	if (was == 1)
		obj->ops->destroy(obj);
}

void mem_obj_put_frames(struct varea *va, const struct pt_gone *g, unsigned n)
{
	struct page *pages[32];
	unsigned k = 0;

	(void)va;
	for (unsigned i = 0; i < n; i++)
		for (uint64_t done = 0; done < g[i].size; done += PAGE_SIZE) {
			pages[k++] = pa_to_page(g[i].pa + done);
			if (k == sizeof(pages) / sizeof(pages[0])) {
				page_put_batch(pages, k);
				k = 0;
			}
		}
	if (k)
		page_put_batch(pages, k);
}

int mem_obj_fork_shared(struct mem_obj *obj)
{
	(void)obj;
	return E_OK;
}

struct mem_obj *mem_obj_fork_same(struct mem_obj *obj)
{
	return obj;
}

const char *fault_result_str(enum fault_result r)
{
	static const char *const names[] = {
		[FAULT_FIXED] = "fixed", [FAULT_FIXED_COW] = "fixed by a copy",
		[FAULT_STACK_GUARD] = "stack guard page", [FAULT_NO_VAREA] = "no varea",
		[FAULT_DENIED] = "access denied", [FAULT_OOM] = "out of memory",
	};

	return (unsigned)r <= FAULT_OOM ? names[r] : "?";
}

/* ---- locking and shared checks ----------------------------------------------------- */

unsigned long aspace_lock(struct aspace *as) ACQUIRE(as->lock)
{
	return spin_lock_irqsave(&as->lock);
}

int aspace_trylock(struct aspace *as) NO_THREAD_SAFETY_ANALYSIS
{
	return spin_trylock(&as->lock);
}

void aspace_unlock(struct aspace *as, unsigned long irq) RELEASE(as->lock)
{
	spin_unlock_irqrestore(&as->lock, irq);
}

void aspace_assert_held(const struct aspace *as) ASSERT_CAPABILITY(as->lock)
{
	if (!spin_is_held_by_me(&as->lock))
		panic("aspace %s: lock not held by this CPU", as->name);
}

int aspace_check_range(const struct aspace *as, uintptr_t addr, uint64_t size)
{
	if (!size)
		return E_INVAL;
	if ((addr | size) & PAGE_MASK)
		return E_ALIGN;
	if (addr + (uintptr_t)(size - 1) < addr)
		return E_OVERFLOW;
	if (addr < as->base || addr + (uintptr_t)(size - 1) > as->end - 1)
		return E_RANGE;
	return E_OK;
}

int aspace_check_perms(unsigned perms)
{
	if (perms & ~VAREA_PERMS)
		return E_INVAL;
	if ((perms & MMU_WRITE) && (perms & MMU_EXEC))
		return E_PERM;
	if (perms && !(perms & MMU_READ))
		return E_INVAL;
	return E_OK;
}

/* ---- leaves ------------------------------------------------------------------------------ */

unsigned varea_mmu_flags(const struct varea *va)
{
	return va->perms | (va->as->kernel ? MMU_GLOBAL : MMU_USER) |
	       (va->flags & VAREA_DEVICE ? MMU_DEVICE : va->obj->mmu_attrs);
}

int varea_map(struct varea *va, uintptr_t addr, paddr_t pa, uint64_t size)
{
	return varea_map_flags(va, addr, pa, size, varea_mmu_flags(va));
}

int varea_map_flags(struct varea *va, uintptr_t addr, paddr_t pa, uint64_t size,
                    unsigned flags)
{
	int rc;

	if (addr < va->start || addr - va->start + size > va->size)
		panic("varea_map: %#lx+%#llx outside the varea", (unsigned long)addr,
		      (unsigned long long)size);
	rc = pt_map(va->as->pt, addr, pa, size, flags);
	if (!rc) {
		va->resident += size >> PAGE_SHIFT;
		va->as->stats.populated += size >> PAGE_SHIFT;
	}
	return rc;
}

struct unmap_ctx {
	struct aspace *as;
	struct varea *only;
	struct varea *cur;
};

/*
 * Leaves arrive in ascending order, a batch at a time: each run of them
 * in one varea goes to its object together.  Not analysed: called by
 * pt_unmap_leaves() under aspace_pt_unmap()'s lock, which ctx hides.
 */
static void leaves_removed(void *ctx, const struct pt_gone *g, unsigned n)
	NO_THREAD_SAFETY_ANALYSIS
{
	struct unmap_ctx *c = ctx;

	for (unsigned i = 0, j; i < n; i = j) {
		struct varea *va = c->only ? c->only : c->cur;
		const struct mem_obj_ops *ops;

		if (!va || g[i].va < va->start || g[i].va - va->start >= va->size)
			va = c->cur = vtree_find(c->as, g[i].va);
		for (j = i; j < n && va && g[j].va >= va->start &&
		            g[j].va - va->start + g[j].size <= va->size; j++)
			va->resident -= g[j].size >> PAGE_SHIFT;
		if (j == i)
			panic("aspace %s: leaf %#lx+%#llx outside its varea", c->as->name,
			      (unsigned long)g[i].va, (unsigned long long)g[i].size);
		ops = va->obj->ops;
		if (ops->unmapped)
			ops->unmapped(va, g + i, j - i);
	}
}

/*
 * The tables an unmap of [addr, addr + size) may free: those inside the
 * gap around the range that no varea outside it reaches into (vareas
 * inside are on their way out, or, for a decommit, will fault their pages
 * back).  A table some other varea overlaps stays, even empty, so a map
 * and fault next to it rebuilds nothing; memory stays bounded by what the
 * vareas span (as Linux's free_pgtables() bounds its floor and ceiling).
 * The kernel table frees every table that empties (docs/architecture.md).
 */
static void free_bounds(struct aspace *as, uintptr_t addr, uint64_t size, uintptr_t *floor,
                        uintptr_t *ceiling) REQUIRES(as->lock)
{
	uintptr_t last = addr + (uintptr_t)(size - 1);
	struct varea *below, *above;

	*floor = 0;
	*ceiling = UINTPTR_MAX;
	if (as->kernel)
		return;
	below = vtree_last_before(as, addr);
	if (below)
		*floor = varea_end(below) < addr ? varea_end(below) : addr;
	above = last + 1 ? vtree_first_after(as, last + 1) : NULL;   /* reaching past last */
	if (above)
		*ceiling = above->start > last ? above->start - 1 : last;
}

int aspace_pt_unmap(struct aspace *as, uintptr_t addr, uint64_t size, struct varea *only)
	REQUIRES(as->lock)
{
	struct unmap_ctx c = { as, only, NULL };
	uintptr_t floor, ceiling;

	free_bounds(as, addr, size, &floor, &ceiling);
	return pt_unmap_leaves(as->pt, addr, size, floor, ceiling, leaves_removed, &c);
}

/* ---- creating and destroying ------------------------------------------------------------ */

_Static_assert(sizeof(struct aspace_stats) % 8 == 0 && _Alignof(struct aspace_stats) == 8,
               "cleared by words");

static void aspace_setup(struct aspace *as, struct pt *pt, uintptr_t base, uintptr_t end,
                         int kernel, const char *name)
{
	as->pt = pt;
	as->asid.gen_asid = 0;
	spin_init(&as->lock);
	RB_INIT(&as->tree);
	as->nvareas = 0;
	as->base = base;
	as->end = end;
	as->kernel = kernel;
	as->name = name;
	words_clear(&as->stats, sizeof(as->stats));   /* memset() goes byte by byte */
}

int aspace_kernel_init(void)
{
	int rc = varea_cache_init();

	if (!rc)
		rc = anon_cache_init();
	if (!rc)
		rc = vmo_cache_init();
	if (rc)
		return rc;
	aspace_cache = kmem_cache_create("aspace", sizeof(struct aspace), 0);
	if (!aspace_cache)
		return E_NOMEM;
	aspace_setup(&kernel_aspace, &kernel_pt, KERNEL_VAREA_BASE, KERNEL_VAREA_END, 1, "kernel");
	return E_OK;
}

int aspace_create(const char *name, struct aspace **out)
{
	struct aspace *as;
	int rc;

	if (!aspace_cache)
		panic("aspace_create before aspace_kernel_init");
	as = kmem_cache_alloc(aspace_cache, KM_ZERO);
	if (!as)
		return E_NOMEM;
	rc = pt_create(&as->own_pt, kernel_aspace.pt->levels, 0, 0, kernel_aspace.pt);
	if (rc) {
		kmem_cache_free(aspace_cache, as);
		return rc;
	}
	/* The user half's end, exclusive, cannot wrap: it is the lower half. */
	aspace_setup(as, &as->own_pt, PAGE_SIZE, as->own_pt.va_last + 1, 0, name);
	*out = as;
	return E_OK;
}

void aspace_destroy(struct aspace *as)
{
	struct varea *va;
	unsigned long irq;

	if (as == this_cpu()->aspace)
		aspace_switch(NULL);
	irq = aspace_lock(as);
	/* Whole vareas only: no block straddles a varea's end, so nothing splits. */
	if (as->nvareas && aspace_pt_unmap(as, as->base, as->end - as->base, NULL))
		panic("aspace %s: unmapping everything failed", as->name);
	while ((va = vtree_min(as)))
		varea_destroy(as, va);
	aspace_unlock(as, irq);
	asid_put(&as->asid, pt_cpus(as->pt));
	pt_destroy(as->pt);
	kmem_cache_free(aspace_cache, as);
}

/* ---- switching ------------------------------------------------------------------------------ */

void aspace_switch(struct aspace *as)
{
	unsigned long irq;
	unsigned asid;
	int flush;

	if (!as) {
		arch_mmu_activate_user(kmap_empty_user_root, 0);
		asid_switch_none();
		this_cpu()->aspace = NULL;
		return;
	}
	/* The table's ASID is what its TLB maintenance names: keep it current. */
	irq = aspace_lock(as);
	/* Before the first walk: a flush that follows a table write names
	 * this CPU from now on (the atomic is a full barrier). */
	__atomic_fetch_or(&as->pt->cpus, cpu_self_mask(), __ATOMIC_SEQ_CST);
	asid = asid_get(&as->asid, &flush);
	as->pt->asid = asid;
	arch_mmu_activate_user(as->pt->root_pa, asid);
	if (flush)
		arch_tlb_flush_asid(cpu_self_mask(), asid);
	aspace_unlock(as, irq);
	this_cpu()->aspace = as;
}

struct aspace *aspace_current(void)
{
	return this_cpu()->aspace;
}
