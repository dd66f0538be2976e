/*
 * Reading an address space: resolving faults, queries, traversal, and the
 * invariant checker.
 */
#include <stdio.h>
#include <lib/err.h>
#include <lib/panic.h>
#include "aspace_internal.h"

/* ---- faults ------------------------------------------------------------------------- */

static unsigned access_flag(enum fault_access a)
{
	return a == FAULT_WRITE ? MMU_WRITE : a == FAULT_EXEC ? MMU_EXEC : MMU_READ;
}

/*
 * Whether the varea lets @f's access through.  Beyond its perms: user
 * mode never reaches the kernel's vareas (their leaves have no user bit),
 * and the kernel never executes user pages (no arch lets it), so either
 * would fault again on a mapped page for ever if it counted as fixed.
 */
static int allowed(const struct aspace *as, const struct varea *va, const struct fault *f)
	REQUIRES(as->lock)
{
	if (f->user && as->kernel)
		return 0;
	if (!f->user && !as->kernel && f->access == FAULT_EXEC)
		return 0;
	return (va->perms & access_flag(f->access)) != 0;
}

/* @f in @as, whose leaf (if any) @f holds. */
static enum fault_result fault_locked(struct aspace *as, const struct fault *f)
	REQUIRES(as->lock)
{
	uintptr_t page = f->addr & ~(uintptr_t)PAGE_MASK;
	struct varea *va = vtree_find(as, f->addr);

	aspace_assert_held(as);
	if (!va) {
		struct varea *above = vtree_find(as, page + PAGE_SIZE);

		if (above && above->start == page + PAGE_SIZE && (above->flags & VAREA_STACK))
			return FAULT_STACK_GUARD;
		return FAULT_NO_VAREA;
	}
	if (!allowed(as, va, f))
		return FAULT_DENIED;
	/* Mapped and allowed: the TLB (or a walk cache) had an older entry. */
	if (f->leaf && (f->leaf_flags & access_flag(f->access))) {
		arch_tlb_flush_page(cpu_self_mask(), as->pt->asid, page);
		return FAULT_FIXED;
	}
	return va->obj->ops->fault(va, f);
}

enum fault_result aspace_fault(struct aspace *as, const struct fault *f)
{
	unsigned long irq;
	enum fault_result r;
	enum fault_kind kind;
	struct fault g = *f;

	/*
	 * A fault taken while this CPU holds this aspace's lock would find
	 * the lock taken again: code under the lock ran into a page of this
	 * aspace that is not there yet, such as a lazily populated kernel
	 * stack.  spin_lock() would panic too; this says where.
	 */
	if (spin_is_held_by_me(&as->lock))
		panic("aspace %s: fault at %#lx (pc %#lx) with its lock held", as->name,
		      (unsigned long)f->addr, (unsigned long)f->pc);
	irq = aspace_lock(as);
	/* One walk for all: the kind when the arch leaves it to the table,
	 * whether the page is mapped already, and the leaf the object's
	 * hook changes. */
	g.leaf_level = 0;
	g.leaf = pt_leaf(as->pt, f->addr & ~(uintptr_t)PAGE_MASK, &g.leaf_level);
	g.leaf_flags = g.leaf ? arch_pte_flags(*g.leaf) : 0;
	kind = f->kind;
	if (kind == FAULT_KIND_FROM_TABLE)
		kind = g.leaf ? FAULT_PERMISSION : FAULT_NOT_PRESENT;
	r = fault_locked(as, &g);

	as->stats.faults[r]++;
	as->stats.kinds[kind]++;
	aspace_unlock(as, irq);
	return r;
}

/* ---- queries ----------------------------------------------------------------------- */

struct varea *aspace_find_locked(struct aspace *as, uintptr_t addr) REQUIRES(as->lock)
{
	return vtree_find(as, addr);
}

int aspace_query(struct aspace *as, uintptr_t addr, struct aspace_query *out)
{
	unsigned long irq = aspace_lock(as);
	struct varea *va = vtree_find(as, addr);
	uintptr_t page = addr & ~(uintptr_t)PAGE_MASK;

	if (!va) {
		aspace_unlock(as, irq);
		return E_NOENT;
	}
	out->start = va->start;
	out->size = va->size;
	out->perms = va->perms;
	out->flags = va->flags;
	out->resident = va->resident;
	out->obj_name = va->obj->ops->name;
	out->mapped = pt_query(as->pt, page, &out->pa, &out->mmu_flags, NULL) == E_OK;
	if (!out->mapped) {
		out->pa = 0;
		out->mmu_flags = 0;
	}
	aspace_unlock(as, irq);
	return E_OK;
}

int aspace_traverse(struct aspace *as, int (*fn)(void *ctx, const struct varea *va), void *ctx)
{
	unsigned long irq = aspace_lock(as);
	int rc = 0;

	for (struct varea *va = vtree_min(as); va && !rc; va = vtree_next(va))
		rc = fn(ctx, va);
	aspace_unlock(as, irq);
	return rc;
}

/* ---- the checker ------------------------------------------------------------------- */

struct check_ctx {
	struct aspace *as;
	int problems;
};

#define PROBLEM(c, addr, ...)                                                        \
	do {                                                                         \
		printf("aspace_check %s: %#lx: ", (c)->as->name, (unsigned long)(addr)); \
		printf(__VA_ARGS__);                                                 \
		printf("\n");                                                        \
		(c)->problems++;                                                     \
	} while (0)

/* Not analysed: called by pt_walk_range() under aspace_check()'s lock, which ctx hides. */
static int check_leaf(void *ctx, uintptr_t addr, paddr_t pa, uint64_t size, unsigned flags,
                      unsigned level) NO_THREAD_SAFETY_ANALYSIS
{
	struct check_ctx *c = ctx;
	struct varea *va = vtree_find(c->as, addr);

	(void)level;
	if (!va || addr - va->start + size > va->size) {
		PROBLEM(c, addr, "leaf of %#llx bytes outside every varea", (unsigned long long)size);
		return 0;
	}
	/* Objects that share pages copy-on-write map some read-only; their
	 * check_leaf says which. */
	if (flags != varea_mmu_flags(va) &&
	    !(va->obj->ops->shares_pages && flags == (varea_mmu_flags(va) & ~MMU_WRITE)))
		PROBLEM(c, addr, "leaf flags %#x, varea wants %#x", flags, varea_mmu_flags(va));
	if (va->obj->ops->check_leaf)
		c->problems += va->obj->ops->check_leaf(va, addr, pa, size);
	return 0;
}

/*
 * An empty table stays only while a varea overlaps what it spans
 * (pt_unmap_keep(), aspace_pt_unmap()): otherwise its page is lost to
 * memory until the aspace dies.  Not analysed: called by pt_walk_empty()
 * under aspace_check()'s lock, which ctx hides.
 */
static int check_empty_table(void *ctx, uintptr_t addr, uint64_t span) NO_THREAD_SAFETY_ANALYSIS
{
	struct check_ctx *c = ctx;
	struct varea *va = vtree_first_after(c->as, addr);

	if (!va || va->start > addr + (uintptr_t)(span - 1))
		PROBLEM(c, addr, "empty table of %#llx bytes that no varea overlaps",
		        (unsigned long long)span);
	return 0;
}

/* @va of @as (c->as), whose lock is held. */
static void check_varea(struct check_ctx *c, struct aspace *as, const struct varea *va,
                        uintptr_t prev_end) REQUIRES(as->lock)
{
	uint64_t resident;

	if (va->as != as)
		PROBLEM(c, va->start, "varea of another aspace");
	if (!va->size || ((va->start | va->size | va->offset) & PAGE_MASK))
		PROBLEM(c, va->start, "size %#llx or offset %#llx not whole pages",
		        (unsigned long long)va->size, (unsigned long long)va->offset);
	if (va->start < prev_end)
		PROBLEM(c, va->start, "overlaps or out of order (previous ends at %#lx)",
		        (unsigned long)prev_end);
	if (va->start < as->base || varea_end(va) < va->start || varea_end(va) > as->end)
		PROBLEM(c, va->start, "outside [%#lx, %#lx)", (unsigned long)as->base,
		        (unsigned long)as->end);
	if (aspace_check_perms(va->perms) || (va->flags & ~VAREA_FLAGS))
		PROBLEM(c, va->start, "perms %#x or flags %#x invalid", va->perms, va->flags);
	if (!va->obj || !va->obj->refcount) {
		PROBLEM(c, va->start, "no object");
		return;
	}
	resident = aspace_count_resident(as, va->start, va->size);
	if (resident != va->resident)
		PROBLEM(c, va->start, "%llu pages resident, %llu recorded",
		        (unsigned long long)resident, (unsigned long long)va->resident);
}

int aspace_check(struct aspace *as)
{
	struct check_ctx c = { as, 0 };
	unsigned long irq = aspace_lock(as);
	uintptr_t prev_end = as->base;
	uint64_t n = 0;

	for (struct varea *va = vtree_min(as); va; va = vtree_next(va)) {
		check_varea(&c, as, va, prev_end);
		prev_end = varea_end(va);
		n++;
	}
	if (n != as->nvareas)
		PROBLEM(&c, as->base, "%llu vareas, %llu recorded", (unsigned long long)n,
		        (unsigned long long)as->nvareas);
	c.problems += vtree_check(as);
	pt_walk_range(as->pt, as->base, as->end - as->base, check_leaf, &c);
	if (!as->kernel)
		pt_walk_empty(as->pt, check_empty_table, &c);
	aspace_unlock(as, irq);
	return c.problems;
}
