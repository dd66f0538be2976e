/*
 * Memory objects: the pagers behind vareas.
 *
 * A varea maps a range of one object (struct mem_obj) at an offset; the
 * object resolves the varea's faults and is told when its vareas are
 * opened, closed, split, shrunk, expanded and merged, and when one of
 * the leaves it gave was removed.  Kinds: anonymous private objects
 * (mm/anon.c, copy-on-write after fork: mm/anon_cow.c), physical
 * ranges (mm/phys_obj.c) and memory objects proper (<mm/vmo.h>, shared
 * by any number of mappings); the trampoline windows of kernel/exec/ are
 * vareas over the first two.  An anonymous object may also be a private
 * copy-on-write view of another object, its source (aspace_map_private()).
 *
 * Life: an object is created with one reference, which the creator
 * passes to the varea that maps it (aspace_map()) or drops; every varea
 * holds one; the last mem_obj_put() calls ops->destroy.
 *
 * Locking: every hook is called with the lock of the aspace the varea
 * belongs to held, and may take the frame allocator's and the heap's
 * locks (docs/architecture.md gives the order).  The thread-safety
 * analysis does not follow calls through these pointers: a hook that
 * calls the aspace's locked functions says REQUIRES(va->as->lock), which
 * binds its body and is taken on trust at the call.
 */
#ifndef MM_MEM_OBJ_H
#define MM_MEM_OBJ_H

#include <stdint.h>
#include <mm/fault.h>
#include <mm/types.h>

struct pt_gone;

struct varea;
struct page;

struct mem_obj;

struct mem_obj_ops {
	const char *name;                 /* for reports: "anon", "phys", ... */
	/*
	 * Resolve @f inside @va (the aspace lock is held): map what belongs
	 * at the faulting page with varea_map() and return FAULT_FIXED, or
	 * another result (FAULT_OOM when memory ran out).  The aspace has
	 * checked the access against va->perms already.  Also used to
	 * populate (VAREA_POPULATE), with a write fault for writable vareas
	 * and a read fault otherwise.  Required.
	 */
	enum fault_result (*fault)(struct varea *va, const struct fault *f);
	/*
	 * The @n leaves @gone[i].va -> @gone[i].pa (@gone[i].size bytes) of
	 * @va, in ascending order, were removed from the page table and no
	 * TLB holds them any more: drop what the mappings held (the frame
	 * references the fault hook took: mem_obj_put_frames()).  Called
	 * with the aspace lock held, inside the unmap: it must not use the
	 * table.  NULL: mappings hold nothing.
	 */
	void (*unmapped)(struct varea *va, const struct pt_gone *gone, unsigned n);
	/*
	 * A varea starts / stops using the object (may be NULL).  close()
	 * comes after the varea's leaves are gone; what the object keeps for
	 * [va->offset, va->offset + va->size) it may release then.
	 */
	void (*open)(struct varea *va);
	void (*close)(struct varea *va);
	/*
	 * @va is about to be split at @at: [va->start, at) stays in @va,
	 * [at, end) goes to @upper (already filled in, holding its own
	 * object reference; no open() is called for it).  May refuse with an
	 * error (then nothing changes).  A split is undone, when what came
	 * after it failed, by merge(@va, @upper).  NULL: always fine.
	 */
	int (*split)(struct varea *va, struct varea *upper, uintptr_t at);
	/*
	 * The varea loses [start, start + size) of its range, at one end
	 * (unmapped; its leaves are gone already).  Called before the
	 * varea's fields change.  NULL: nothing to do.
	 */
	void (*shrink)(struct varea *va, uintptr_t start, uint64_t size);
	/* The varea is about to grow by @size bytes at its end (NULL: refused). */
	int (*expand)(struct varea *va, uint64_t size);
	/*
	 * Can @next (right after @va, same permissions, flags and name) be
	 * merged into @va?  NULL: never.
	 */
	int (*can_merge)(const struct varea *va, const struct varea *next);
	/*
	 * Merge @next into @va (can_merge() said yes).  The caller then
	 * grows @va over @next's range and discards @next without close(),
	 * dropping the object reference @next holds.  The hook may move the
	 * object's state either way; it may also exchange va->obj and
	 * next->obj (offsets are contiguous and stay), so that @va keeps
	 * whichever object had more to move.  Cannot fail.
	 */
	void (*merge)(struct varea *va, struct varea *next);
	/*
	 * Read / write the page at @offset of the object (page-aligned) from
	 * or into @buf (PAGE_SIZE bytes) without mapping it in the current
	 * table.  Reads of a page that does not exist yet give zeros and
	 * E_NOENT; writes create it (E_NOMEM).  E_RANGE outside the object,
	 * E_NOTSUP where the object cannot (device memory), E_BUSY for a
	 * write to a page shared copy-on-write (only a fault may replace the
	 * leaves that map it).  The caller holds
	 * the lock of the aspace the object is mapped in.
	 */
	int (*page_read)(struct mem_obj *obj, uint64_t offset, void *buf);
	int (*page_write)(struct mem_obj *obj, uint64_t offset, const void *buf);
	/*
	 * For aspace_check(): whether the leaf [addr, addr + size) -> @pa in
	 * @va is what the object has there.  Returns 0 or a problem count
	 * (printed).  NULL: not checked.
	 */
	int (*check_leaf)(const struct varea *va, uintptr_t addr, paddr_t pa, uint64_t size);
	/*
	 * Non-zero while some of @obj's pages may be shared copy-on-write
	 * with other aspaces: their leaves are read-only in writable vareas
	 * (aspace_check() allows that for objects with this hook), and
	 * protect removes the leaves rather than making them writable, so
	 * that a write still faults and copies.  NULL: never.
	 */
	int (*shares_pages)(const struct mem_obj *obj);
	/* The last reference is gone: free everything. */
	void (*destroy)(struct mem_obj *obj);
	/*
	 * aspace_map() is about to give @va (filled in, not in the tree yet)
	 * this object: E_OK, or an error and the map fails with it (an
	 * anonymous object is private to the one mapping it was made for:
	 * E_BUSY for a second; a memory object refuses a range past its
	 * end: E_RANGE).  open() follows.  NULL: always fine.
	 */
	int (*can_map)(struct mem_obj *obj, const struct varea *va);
	/*
	 * aspace_fork() of a varea of this object, all or nothing:
	 * fork_prepare allocates what the child's side needs (E_NOMEM
	 * changes nothing; called once per varea, so again for another
	 * varea of the same object), fork_child gives the object the child's
	 * varea maps, then fork_commit (cannot fail) or fork_abort.  After
	 * the commit, a parent varea whose object says shares_pages() loses
	 * write access to its leaves.  An object without fork_prepare
	 * cannot be forked: aspace_fork() returns E_NOTSUP, so a new kind is
	 * never shared by accident.  Objects shared as they are (physical
	 * ranges, memory objects mapped shared) use mem_obj_fork_shared().
	 */
	int (*fork_prepare)(struct mem_obj *obj);
	struct mem_obj *(*fork_child)(struct mem_obj *obj);
	void (*fork_commit)(struct mem_obj *obj);
	void (*fork_abort)(struct mem_obj *obj);
	/*
	 * As the source of private copy-on-write mappings (aspace_map_private()):
	 * can_source says whether the object can be one (E_OK, or E_NOTSUP:
	 * device memory, frames without page structs, contiguous objects).
	 * page_at gives in *@pg the frame at @offset (page-aligned) that a
	 * private mapping may map read-only and copy from, NULL for a hole
	 * (the private mapping then makes a zero page of its own); E_OK,
	 * E_NOMEM, or E_RANGE past the end.  source_lock()/source_unlock()
	 * hold the object still around page_at and the mapping of its frame
	 * (NULL: nothing to hold).  track(@va, 1 / 0) tells the source that
	 * a private varea over it came or went, so that it can remove that
	 * varea's leaves when its own pages go (NULL: its pages never go).
	 */
	int (*can_source)(struct mem_obj *obj);
	int (*page_at)(struct mem_obj *obj, uint64_t offset, struct page **pg);
	unsigned long (*source_lock)(struct mem_obj *obj);
	void (*source_unlock)(struct mem_obj *obj, unsigned long state);
	void (*track)(struct mem_obj *obj, struct varea *va, int on);
	/*
	 * madvise(MADV_DONTNEED) on [start, start + size) of @va, in two
	 * steps so that a range over several vareas is all or nothing:
	 * decommit_prepare allocates what the drop needs (E_OK or E_NOMEM),
	 * then, the leaves of the range gone, decommit(@apply 1) drops what
	 * the mapping owns privately, so that the next touch finds a zero
	 * page (or the source's), or decommit(@apply 0) frees what prepare
	 * took.  decommit cannot fail.  NULL: nothing to drop (a shared
	 * mapping keeps its object's pages: only the leaves go).
	 */
	int (*decommit_prepare)(struct varea *va, uintptr_t start, uint64_t size);
	void (*decommit)(struct varea *va, uintptr_t start, uint64_t size, int apply);
};

struct mem_obj {
	const struct mem_obj_ops *ops;
	uint32_t refcount;                /* vareas (and others) holding it; atomic */
	uint16_t mmu_attrs;               /* memory type of every mapping: an MMU_MEMTYPE bit or 0 */
	/*
	 * 0, or the only permissions (MMU_READ | MMU_WRITE | MMU_EXEC) a
	 * mapping of the object may ever have: aspace_map() and
	 * aspace_protect() refuse more with E_PERM (Linux's VM_MAY*: the
	 * kernel image's frames mapped into a process can never be made
	 * writable by mprotect).
	 */
	uint16_t max_perms;               /* (both 16 bits: the struct stays 16 bytes) */
};

/* fork hooks of an object the child shares as it is (prepare does nothing, child is @obj). */
int mem_obj_fork_shared(struct mem_obj *obj);
struct mem_obj *mem_obj_fork_same(struct mem_obj *obj);

/* Take / drop a reference; the last put calls ops->destroy. */
void mem_obj_get(struct mem_obj *obj);
void mem_obj_put(struct mem_obj *obj);

/*
 * The unmapped hook of an object whose leaves each hold a reference to
 * their frames: drop one on every frame of @gone[0 .. @n) (in batches,
 * page_put_batch()).
 */
void mem_obj_put_frames(struct varea *va, const struct pt_gone *gone, unsigned n);

/*
 * An anonymous private object of @size bytes (offsets [0, size)): pages
 * appear zero-filled on first write; a read of a page no one has written
 * maps the shared zero page read-only (anon_zero_pa()); the object and
 * every leaf mapping a frame hold a reference to it.  Private: its pages belong to the vareas
 * mapping it, which must not overlap in offsets (aspace_map_anon() makes
 * one per mapping, whose offsets are its virtual addresses, so that
 * neighbours merge).  NULL when out of memory or @size is 0 or unaligned.
 */
struct mem_obj *anon_obj_create(uint64_t size);

/* The physical address of the shared zero page (for checks and tests). */
paddr_t anon_zero_pa(void);

/*
 * A physical object: [pa, pa + size), device registers or normal memory;
 * never allocates frames and takes no references to them.  The memory
 * type of a mapping follows the varea's VAREA_DEVICE flag.  NULL when out
 * of memory or the range is empty, unaligned or wraps.
 */
struct mem_obj *phys_obj_create(paddr_t pa, uint64_t size, int device);

#endif
