/*
 * Address spaces and virtual areas.
 *
 * An aspace is a page table (struct pt), an ASID, a lock and a red-black
 * tree of vareas (picolibc's <sys/tree.h>), ordered by start address, with
 * O(log n) lookup.  There is one kernel aspace (kernel_aspace: the kernel
 * varea window of mm/layout.h, in kernel_pt) and any number of user ones
 * (the lower half).
 *
 * A varea covers [start, start + size) with permissions (MMU_READ, _WRITE,
 * _EXEC; never write and execute together), flags, and a memory object
 * plus the offset of the varea's start into it.  The memory object is the
 * varea's pager (struct mem_obj, <mm/mem_obj.h>): it resolves faults and
 * is told when its vareas are opened, closed, split, shrunk, expanded and
 * merged.  Fault records are in <mm/fault.h>; this header has the
 * vareas, the aspaces, the dispatcher and the trap handler's router
 * (aspace_fault_mmu()).
 *
 * Every operation validates its input and either succeeds or changes
 * nothing (what it must allocate, it allocates first).  One qualification:
 * page-table entries are a cache of what the vareas and their objects
 * hold, so an operation that fails after it had to remove some (a fixed
 * map whose population ran out of memory, a protect that failed half way)
 * restores the vareas and their contents, and the pages come back on the
 * next touch.
 *
 * References.  A varea holds one reference to its object.  Each frame of
 * an anonymous object is held once by the object (its page index) and
 * once more by every page-table leaf that maps it; the object takes the
 * leaf's reference when its fault hook maps the frame and drops it in its
 * unmapped hook, which the aspace calls for every leaf it removes.  So a
 * frame is freed when it is neither indexed nor mapped.  After a fork the
 * index holding a frame may be a backup shared by several aspaces, and
 * its leaves may be in any of them (mm/anon_cow.c).  Physical objects
 * hold nothing.
 *
 * Locking: the aspace lock is taken by every function here, which say
 * EXCLUDES(as->lock); functions named *_locked need it held, say
 * REQUIRES(as->lock) and assert it.  Lock order: aspace lock, then the
 * heap's and the frame allocator's own locks.
 */
#ifndef MM_ASPACE_H
#define MM_ASPACE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/tree.h>
#include <lib/spinlock.h>
#include <mm/asid.h>
#include <mm/fault.h>
#include <mm/kmap.h>
#include <mm/mem_obj.h>
#include <mm/pt.h>
#include <mm/types.h>

struct aspace;
struct varea;

/* ---- vareas ---------------------------------------------------------------- */

#define VAREA_POPULATE  (1u << 0)   /* fault every page in at map time (not kept) */
#define VAREA_STACK     (1u << 1)   /* a stack: an unmapped guard page below */
#define VAREA_DEVICE    (1u << 2)   /* device memory (physical objects) */

#define VAREA_FLAGS     (VAREA_POPULATE | VAREA_STACK | VAREA_DEVICE)

/*
 * perms 0 is allowed (a reserved range nothing may touch: no leaves);
 * otherwise MMU_READ is required, as no arch can map a page that is not
 * readable.
 */
struct varea {
	RB_ENTRY(varea) node;
	uintptr_t start;
	uint64_t size;
	unsigned perms;          /* MMU_READ | MMU_WRITE | MMU_EXEC subset */
	unsigned flags;          /* VAREA_* */
	struct mem_obj *obj;
	uint64_t offset;         /* of start into obj */
	struct aspace *as;
	uint64_t resident;       /* pages mapped now (4 KiB units, blocks count all theirs) */
	const char *name;        /* optional label for reports (not owned) */
	/* In the list of its memory object's mappings (mm/vmo.c), under that
	 * object's lock: a varea over a memory object, or a private varea
	 * over one (its anonymous object's source). */
	LIST_ENTRY(varea) obj_link;
	/* Gap search (mm/varea.c): the free bytes between the previous varea
	 * (or the aspace's base) and this one, and the largest such gap in
	 * this varea's subtree. */
	uint64_t gap;
	uint64_t max_gap;
};

RB_HEAD(varea_tree, varea);

struct aspace_stats {
	uint64_t faults[FAULT_OOM + 1];   /* by result */
	uint64_t kinds[FAULT_PERMISSION + 1];   /* by kind: not present, permission */
	uint64_t populated;               /* pages faulted in */
};

struct aspace {
	struct pt *pt;            /* &kernel_pt for the kernel, else &own_pt */
	struct pt own_pt;
	struct asid_ctx asid;
	struct spinlock lock;
	struct varea_tree tree;
	uint64_t nvareas;
	uintptr_t base, end;      /* where vareas may go: [base, end) */
	int kernel;
	const char *name;         /* not owned */
	struct aspace_stats stats;
};

extern struct aspace kernel_aspace;

/*
 * Set up kernel_aspace over kernel_pt's varea window [KERNEL_VAREA_BASE,
 * KERNEL_VAREA_END), mappings global, and the caches every aspace uses.
 * Boot, once, after the heap is up (the host tests call it again after
 * each heap_init(), with kernel_pt a table of their own).  E_OK or E_NOMEM.
 */
int aspace_kernel_init(void);

/*
 * A new, empty user address space: vareas may go in [PAGE_SIZE, end of
 * the user half) (page 0 stays unmapped), mappings are user-accessible.
 * Its table shares the kernel half with kernel_aspace's (pt_create()).
 * @name is kept, not copied.  Returns E_OK and *@out, or E_NOMEM.
 */
int aspace_create(const char *name, struct aspace **out);

/*
 * Unmap everything, drop every object, free the table, the ASID and the
 * aspace.  If @as is current it is switched away from first; no other CPU
 * may be using it.
 */
void aspace_destroy(struct aspace *as) EXCLUDES(as->lock);

/*
 * Copy-on-write fork (mm/fork.c, mm/anon_cow.c): a new user aspace
 * *@child with the same vareas as @parent.  Anonymous pages are not
 * copied: each object's pages move into a read-only backup shared by
 * both, and @parent's leaves lose MMU_WRITE; the child starts with no
 * leaves.  The first write to such a page in either copies it
 * (FAULT_FIXED_COW), or takes the frame over when no one else can see it
 * any more (FAULT_FIXED); pages never touched stay lazy and zero in both.
 * Each varea's object decides through its fork hooks (<mm/mem_obj.h>):
 * physical objects and memory objects mapped shared are shared.  Allocates the child, its table root, one
 * varea per varea and at most two objects per anonymous object; no data
 * pages.  Returns E_OK and *@child; E_INVAL for the kernel aspace;
 * E_NOMEM, and then nothing changed in @parent; E_NOTSUP when an object
 * has no fork hooks.
 */
int aspace_fork(struct aspace *parent, struct aspace **child) EXCLUDES(parent->lock);

/* Permission bits a varea may have; W+X is refused. */
#define VAREA_PERMS (MMU_READ | MMU_WRITE | MMU_EXEC)

/* aspace_map() placement flags */
#define MAP_FIXED       (1u << 8)    /* at *addr exactly, replacing what is there */

/*
 * Map @size bytes of @obj starting at @offset into it.  Where:
 *  - MAP_FIXED: at *@addr exactly, first unmapping whatever overlaps,
 *    like mmap's MAP_FIXED (if the map fails, what was there stays);
 *  - otherwise, *@addr != 0: at *@addr exactly, E_EXIST if anything
 *    overlaps (mmap's MAP_FIXED_NOREPLACE);
 *  - otherwise (*@addr == 0): at the lowest free address aligned to
 *    @align, stored in *@addr.  A VAREA_STACK varea gets a free guard
 *    page below it, and nothing is placed in the guard page of one.
 * @align: a power of two >= PAGE_SIZE, 0 meaning PAGE_SIZE; a fixed
 * *@addr must be aligned to it.  @flags: VAREA_* | MAP_FIXED; with
 * VAREA_POPULATE every page is faulted in now, all or nothing.  Takes a
 * reference on @obj.  Adjacent compatible vareas (same perms, flags and
 * name, and an object that agrees) are merged.
 * Returns E_OK; E_ALIGN (addr, size or offset not page-aligned; align not
 * a power of two); E_INVAL (size 0, unknown perms or flags, no MMU_READ
 * with other perms, NULL obj); E_PERM (write and execute, or more than
 * the object's max_perms, <mm/mem_obj.h>); E_OVERFLOW;
 * E_RANGE (outside [as->base, as->end), or the object cannot map that
 * range with these attributes while populating); E_EXIST (not MAP_FIXED
 * and overlapping); E_NOMEM (no free range, or no memory); what the
 * object's can_map hook says (E_BUSY: an anonymous object already given
 * to a mapping; E_RANGE: past a memory object's end).  A memory object
 * (<mm/vmo.h>) mapped this way is shared: every mapping sees and writes
 * its pages.
 */
int aspace_map(struct aspace *as, uintptr_t *addr, uint64_t size, uint64_t align,
               unsigned perms, unsigned flags, struct mem_obj *obj, uint64_t offset)
	EXCLUDES(as->lock);

/*
 * Anonymous private memory: aspace_map() of a new anon object whose
 * offsets are the addresses it is mapped at.
 */
int aspace_map_anon(struct aspace *as, uintptr_t *addr, uint64_t size, uint64_t align,
                    unsigned perms, unsigned flags) EXCLUDES(as->lock);

/*
 * Physical memory (device registers with VAREA_DEVICE, or reserved RAM):
 * aspace_map() of a new physical object of [@pa, @pa + @size).  Pages
 * are mapped on first touch, or at once with VAREA_POPULATE, in the
 * largest blocks address and alignment allow.  E_ALIGN for an unaligned
 * @pa, E_OVERFLOW when it wraps, else as aspace_map().
 */
int aspace_map_phys(struct aspace *as, uintptr_t *addr, paddr_t pa, uint64_t size,
                    uint64_t align, unsigned perms, unsigned flags) EXCLUDES(as->lock);

/*
 * aspace_map_phys() of frames a process must never write or execute
 * beyond @perms (the kernel image's program segments, the trampoline
 * code page): the object's max_perms is @perms, so no later
 * aspace_protect() (mprotect) can widen them (E_PERM).
 */
int aspace_map_phys_sealed(struct aspace *as, uintptr_t *addr, paddr_t pa, uint64_t size,
                           unsigned perms, unsigned flags) EXCLUDES(as->lock);

/*
 * A private copy-on-write mapping of [@offset, @offset + @size) of @obj,
 * any object that can be a source (its can_source hook: a memory object
 * of <mm/vmo.h> with the cached policy, or a physical object over RAM
 * frames, such as the kernel image's): a new anonymous object whose
 * lookups end in @obj.  A read maps @obj's frame read-only; the first
 * write copies it into the mapping's own page (FAULT_FIXED_COW); a hole
 * of @obj gives a zero page of the mapping's own.  Until a page is
 * copied the mapping sees @obj's changes to it; once copied, never.
 * Fork copies it on write like any private mapping.  Takes a reference
 * on @obj (the new object holds it).  Returns as aspace_map(), plus
 * E_INVAL for VAREA_DEVICE and E_NOTSUP for an object that cannot be a
 * source.
 */
int aspace_map_private(struct aspace *as, uintptr_t *addr, uint64_t size, uint64_t align,
                       unsigned perms, unsigned flags, struct mem_obj *obj, uint64_t offset)
	EXCLUDES(as->lock);

/*
 * madvise(MADV_DONTNEED) on [addr, addr + size): every leaf goes, and
 * private mappings drop their pages there, so that the next touch finds
 * a zero page (or, for aspace_map_private(), the source's page); a page
 * shared copy-on-write since a fork is replaced by a zero page of the
 * mapping's own.  Shared mappings keep their object's pages (only the
 * leaves go).  The range must be covered by vareas.  Returns E_OK, the
 * range errors of aspace_unmap(), E_NOENT (a hole), E_NOMEM (nothing
 * changed).
 */
int aspace_decommit(struct aspace *as, uintptr_t addr, uint64_t size) EXCLUDES(as->lock);

/*
 * Unmap [addr, addr + size): vareas inside go, vareas across an end are
 * shrunk, a varea around the range is split; their pages are released.
 * Parts with nothing mapped are fine.  Returns E_OK, E_ALIGN, E_INVAL
 * (size 0), E_OVERFLOW, E_RANGE, E_NOMEM (a split needed memory).
 */
int aspace_unmap(struct aspace *as, uintptr_t addr, uint64_t size) EXCLUDES(as->lock);

/*
 * mprotect: give every varea part in [addr, addr + size) @perms,
 * splitting vareas as needed, and change the page tables (perms 0
 * removes the leaves; the object keeps the pages, which come back on the
 * next touch once access is allowed again).  Vareas that already have
 * @perms are left whole.  The whole range must be covered by vareas
 * (E_NOENT otherwise, nothing changed), and no varea's object may
 * forbid @perms (its max_perms: E_PERM).  Returns as aspace_map() plus
 * E_NOENT, and E_NOMEM when splitting a varea or a block needed memory.
 */
int aspace_protect(struct aspace *as, uintptr_t addr, uint64_t size, unsigned perms)
	EXCLUDES(as->lock);

/* aspace_remap() flags */
#define REMAP_MAYMOVE   (1u << 0)    /* may move when it cannot grow in place */
#define REMAP_FIXED     (1u << 1)    /* move to *new_addr (needs REMAP_MAYMOVE) */

/*
 * mremap: resize the mapping [old, old + old_size), which must lie in
 * one varea, to @new_size bytes.  Shrinking unmaps the tail.  Growing
 * stays in place when the varea ends there and the pages above are free;
 * otherwise, with REMAP_MAYMOVE, the range moves (its pages with it, none
 * copied) to the lowest free range, or with REMAP_FIXED to *@new_addr,
 * unmapping what was there.  The growth is fresh zero memory with the
 * varea's permissions.  Returns E_OK and *@new_addr; E_ALIGN, E_INVAL
 * (size 0, bad flags, the kernel aspace, REMAP_FIXED ranges that
 * overlap), E_NOENT (the range is not inside one varea), E_NOMEM (cannot
 * grow in place and may not move, no free range, no memory), or the
 * range errors of aspace_unmap(); nothing changed then.
 */
int aspace_remap(struct aspace *as, uintptr_t old, uint64_t old_size, uint64_t new_size,
                 unsigned flags, uintptr_t *new_addr) EXCLUDES(as->lock);

/*
 * madvise(MADV_DONTNEED) as Linux does it over holes: aspace_decommit()
 * of every run of vareas in [addr, addr + size), the parts that are
 * mapped done even when others are not.  Returns E_OK, E_NOENT when
 * parts of the range are not mapped, the range errors of aspace_unmap()
 * or E_INVAL for the kernel aspace, or E_NOMEM (then the runs before
 * the failing one are done).
 */
int aspace_discard(struct aspace *as, uintptr_t addr, uint64_t size) EXCLUDES(as->lock);

/* The varea containing @addr, or NULL (the caller holds the lock). */
struct varea *aspace_find_locked(struct aspace *as, uintptr_t addr) REQUIRES(as->lock);

struct aspace_query {
	uintptr_t start;          /* the varea */
	uint64_t size;
	unsigned perms, flags;
	uint64_t resident;        /* the varea's pages mapped now */
	const char *obj_name;
	int mapped;               /* the page at the address is mapped */
	paddr_t pa;               /* then: its physical address */
	unsigned mmu_flags;       /* and its page-table flags */
};

/* What is at @addr.  E_OK, or E_NOENT when no varea covers it. */
int aspace_query(struct aspace *as, uintptr_t addr, struct aspace_query *out)
	EXCLUDES(as->lock);

/*
 * Call @fn for every varea in address order (lock held: @fn must not call
 * back into this aspace); stops when it returns non-zero and returns that.
 */
int aspace_traverse(struct aspace *as, int (*fn)(void *ctx, const struct varea *va), void *ctx)
	EXCLUDES(as->lock);

/*
 * Resolve a page fault in @as: find the varea, check the access against
 * its permissions, let its object map the page.  A fault on the page
 * just below a VAREA_STACK varea is FAULT_STACK_GUARD.  A fault on a page
 * already mapped with flags that allow the access (a stale TLB entry, or
 * another CPU was first) flushes that page and is FAULT_FIXED.  User-mode
 * faults on the kernel aspace, and kernel-mode instruction fetches from a
 * user aspace, are FAULT_DENIED.  Counts the result and the kind in
 * as->stats (FAULT_KIND_FROM_TABLE: read from the table under the lock).
 */
enum fault_result aspace_fault(struct aspace *as, const struct fault *f) EXCLUDES(as->lock);

/*
 * Check @as: vareas sorted, non-overlapping, inside [base, end), sizes and
 * offsets page-aligned, perms and flags valid, the count and the gap
 * search's bookkeeping right; every page-table leaf in [base, end) inside
 * one varea, its flags those of the varea, agreed to by the object
 * (check_leaf); resident counts right.  Returns 0 or the number of
 * problems (printed).
 */
int aspace_check(struct aspace *as) EXCLUDES(as->lock);

/*
 * Make @as the current user address space of this CPU (NULL: none),
 * giving it an ASID (flushing its TLB entries when it has to).
 */
void aspace_switch(struct aspace *as) EXCLUDES(as->lock);
struct aspace *aspace_current(void);

/*
 * The address space the MMU translates @addr in: the kernel's for
 * addresses of kernel_pt's half, the current user one below (NULL when
 * there is none).
 */
static inline struct aspace *aspace_of(uintptr_t addr)
{
	return addr >= kernel_pt.va_start ? &kernel_aspace : aspace_current();
}

/*
 * A page fault the MMU raised at @addr, as the trap handler (and the
 * host's fake user copies) see it: it goes to the address space it
 * belongs to (aspace_of()), then aspace_fault(), which classifies it
 * not-present or permission by asking the table under the aspace's lock
 * (RISC-V's cause does not say; walking the table here, unlocked, would
 * race with another CPU changing it and freeing its table pages).  *@asp
 * gets the aspace (NULL when there is none: FAULT_NO_VAREA).  Inline: it
 * is on every fault's path.
 */
static inline enum fault_result aspace_fault_mmu(uintptr_t addr, enum fault_access access,
                                                 int user, uintptr_t pc, struct aspace **asp)
{
	struct aspace *as = aspace_of(addr);
	struct fault f = { .addr = addr, .pc = pc, .access = access,
	                   .kind = FAULT_KIND_FROM_TABLE, .user = user };

	*asp = as;
	if (!as)
		return FAULT_NO_VAREA;
	return aspace_fault(as, &f);
}

/* ---- for memory objects ------------------------------------------------------ */

/* The MMU_* flags of @va's leaves: its perms, user or global, device. */
unsigned varea_mmu_flags(const struct varea *va);

/*
 * Map [addr, addr + size) (inside @va, page-aligned) to @pa with @va's
 * flags and count the pages resident and populated.  The aspace lock is
 * held.  Returns as pt_map().
 */
int varea_map(struct varea *va, uintptr_t addr, paddr_t pa, uint64_t size);

/* varea_map() with other MMU_* flags than the varea's (a read-only copy-on-write page). */
int varea_map_flags(struct varea *va, uintptr_t addr, paddr_t pa, uint64_t size,
                    unsigned flags);

#endif
