/*
 * What mm/aspace.c, aspace_check.c, varea.c, anon.c and phys_obj.c share.
 * Not an interface: everyone else uses mm/include/mm/aspace.h.
 *
 * Every function here that takes an aspace runs with its lock held and
 * says so, REQUIRES(as->lock), but aspace_check_range(), which reads only
 * the bounds (fixed when the aspace is made), and the lock functions.
 */
#ifndef MM_ASPACE_INTERNAL_H
#define MM_ASPACE_INTERNAL_H

#include <mm/aspace.h>

static inline uintptr_t varea_end(const struct varea *va)
{
	return va->start + (uintptr_t)va->size;
}

/* ---- varea structs and the tree (varea.c) ------------------------------------ */

/* Make the cache of varea structs (from aspace_kernel_init). */
int varea_cache_init(void);
struct varea *varea_alloc(void);
void varea_free(struct varea *va);

/* Insert @va (filled in, not overlapping anything) / take it out. */
void vtree_insert(struct aspace *as, struct varea *va) REQUIRES(as->lock);
void vtree_remove(struct aspace *as, struct varea *va) REQUIRES(as->lock);

/*
 * Give @child, whose tree is empty, a twin of every varea of @parent, in
 * address order, each made by @twin(parent's varea, @ctx) (which cannot
 * fail): the tree is built in the very shape of the parent's, the same
 * links, colours and gaps (the twins cover the same ranges), so with no
 * comparison, rotation or gap walk.
 */
void vtree_copy(struct aspace *child, struct aspace *parent,
                struct varea *(*twin)(const struct varea *pva, void *ctx), void *ctx)
	REQUIRES(child->lock, parent->lock);

/* @va's start or size changed in place (its order did not). */
void vtree_resized(struct aspace *as, struct varea *va) REQUIRES(as->lock);

/* The varea containing @addr, or NULL. */
struct varea *vtree_find(struct aspace *as, uintptr_t addr) REQUIRES(as->lock);

/* The lowest varea ending above @addr, or NULL. */
struct varea *vtree_first_after(struct aspace *as, uintptr_t addr) REQUIRES(as->lock);

/* The highest varea starting below @addr, or NULL. */
struct varea *vtree_last_before(struct aspace *as, uintptr_t addr) REQUIRES(as->lock);

struct varea *vtree_next(struct varea *va);
struct varea *vtree_min(struct aspace *as) REQUIRES(as->lock);

/*
 * The lowest address aligned to @align where @size bytes fit between the
 * vareas (with a guard page below when @stack, and never in the guard
 * page of a stack varea).  Returns 1 and *@out, or 0 when none.
 */
int vtree_find_gap(struct aspace *as, uint64_t size, uint64_t align, int stack,
                   uintptr_t *out) REQUIRES(as->lock);

/* Problems with the gap bookkeeping of every varea (aspace_check). */
int vtree_check(struct aspace *as) REQUIRES(as->lock);

/* ---- varea surgery (varea.c) ---------------------------------------------------- */

/* Pages mapped in [start, start + size) of @as's table (leaves clipped). */
uint64_t aspace_count_resident(struct aspace *as, uintptr_t start, uint64_t size)
	REQUIRES(as->lock);

/*
 * Split @va at @at (strictly inside) into @va = [start, at) and @upper
 * (an unused struct) = [at, end), through the object's split hook, and
 * put @upper in the tree.  Returns E_OK or the hook's error (nothing
 * changed, @upper still the caller's).
 */
int varea_split(struct aspace *as, struct varea *va, uintptr_t at, struct varea *upper)
	REQUIRES(as->lock);

/* Undo varea_split(): @upper goes back into @va and is freed. */
void varea_unsplit(struct aspace *as, struct varea *va, struct varea *upper)
	REQUIRES(as->lock);

/*
 * Merge @next into @va when they touch and are compatible (perms, flags,
 * name, the object's can_merge).  Returns 1 when merged (@next is gone).
 */
int varea_try_merge(struct aspace *as, struct varea *va, struct varea *next)
	REQUIRES(as->lock);

/* Try merging every pair of neighbours from the varea ending at @lo up to the one at @hi. */
void varea_merge_range(struct aspace *as, uintptr_t lo, uintptr_t hi) REQUIRES(as->lock);
/* The same for the range of @va, in the tree: with its neighbours on either side. */
void varea_merge_around(struct aspace *as, struct varea *va) REQUIRES(as->lock);

/* Take @va out of the tree, close it, drop its object and free it (leaves gone). */
void varea_destroy(struct aspace *as, struct varea *va) REQUIRES(as->lock);

/* ---- shared by the aspace operations (aspace.c) ------------------------------------ */

/* Lock @as (interrupts masked: faults come from trap context) and unlock. */
unsigned long aspace_lock(struct aspace *as) ACQUIRE(as->lock);
void aspace_unlock(struct aspace *as, unsigned long irq) RELEASE(as->lock);

/*
 * Take @as's lock only if it is free (interrupts already masked): 1 when
 * taken (drop it with spin_unlock(&as->lock)), 0 otherwise.  For a memory
 * object removing the leaves of its mappings, whose lock comes after the
 * aspaces' in the order: it backs off and retries rather than wait.
 */
int aspace_trylock(struct aspace *as);

/*
 * What every *_locked function checks first: panics unless this CPU holds
 * @as's lock.  (They also say REQUIRES(as->lock), which the compiler checks
 * at their callers; this checks the callers the compiler cannot see.)
 */
void aspace_assert_held(const struct aspace *as) ASSERT_CAPABILITY(as->lock);

/*
 * pt_unmap() of [addr, addr + size) in @as, handing every removed leaf to
 * its varea: resident count and the object's unmapped hook.  The varea
 * is looked up in the tree, or is @only when that is not NULL (a varea
 * not in the tree yet).  Returns as pt_unmap().
 */
int aspace_pt_unmap(struct aspace *as, uintptr_t addr, uint64_t size, struct varea *only)
	REQUIRES(as->lock);

/*
 * aspace_unmap() with the lock held (the range checked): E_OK, or E_NOMEM
 * when a varea around the range could not be split (nothing changed).
 */
int aspace_unmap_locked(struct aspace *as, uintptr_t addr, uint64_t size) REQUIRES(as->lock);

/*
 * Map the fresh anonymous object @obj (its offsets become the addresses)
 * at [addr, addr + size) with @perms and VAREA_* @flags (checked by the
 * caller): with MAP_FIXED replacing what is there, else where nothing
 * is (E_EXIST).  Merges with its neighbours.  The object's reference
 * goes to the varea on success.  E_OK, E_EXIST, E_NOMEM.
 */
int aspace_map_anon_locked(struct aspace *as, uintptr_t addr, uint64_t size, unsigned perms,
                           unsigned flags, struct mem_obj *obj) REQUIRES(as->lock);

/* E_OK, or the error for a bad range of @as (size 0, alignment, wrap, outside). */
int aspace_check_range(const struct aspace *as, uintptr_t addr, uint64_t size);

/* E_OK, or E_INVAL / E_PERM for permissions a varea may not have. */
int aspace_check_perms(unsigned perms);

/* ---- memory objects (anon.c, phys_obj.c) ----------------------------------------- */

/* Make the caches of anonymous objects and their page index (from aspace_kernel_init). */
int anon_cache_init(void);

/*
 * Move the offsets of @obj, a fresh anonymous object with no pages, to
 * start at @base: aspace_map_anon() numbers an object by the addresses it
 * is first mapped at, so that neighbouring anonymous vareas have
 * contiguous offsets and can merge without renumbering pages.
 */
void anon_obj_rebase(struct mem_obj *obj, uint64_t base);

/*
 * An anonymous object serving offsets [@offset, @offset + @size) as a
 * private copy-on-write view of @source (which it holds a reference to),
 * for aspace_map_private().  NULL when out of memory.
 */
struct mem_obj *anon_obj_create_source(struct mem_obj *source, uint64_t offset, uint64_t size);

#endif
