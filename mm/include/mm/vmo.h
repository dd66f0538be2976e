/*
 * Memory objects (VMOs, in the manner of Zircon's VmObject): objects that
 * own pages, mapped shared by any number of vareas in any aspaces, read
 * and written directly, committed and decommitted, resized, cloned
 * copy-on-write, sliced, pinned for DMA, given a cache policy.
 *
 * Life: vmo_create() gives one reference (a handle); vmo_get()/vmo_put()
 * take and drop more.  Every varea mapping the object, every pin and
 * every slice of it holds one too, so the object lives while mapped or
 * pinned even after its creator dropped it; the last put frees its pages.
 *
 * Pages: an object's pages sit in an anonymous object's page index (its
 * "store", mm/anon.c), which is what lets a clone reuse fork's
 * copy-on-write backups (mm/anon_cow.c): a clone is a fork of the store.
 * A slice shares its parent's store (and lock), seen at an offset.  A
 * page appears on commit, on a write, or on a fault through a mapping
 * (read or write); reads of a page no one committed give zeros.
 *
 * Mappings: aspace_map(as, .., vmo_obj(v), offset) maps it shared (every
 * mapping sees and writes the same frames; it stays shared across fork);
 * aspace_map_private(as, .., vmo_obj(v), offset) maps it copy-on-write.
 * The object knows all its mappings, so decommit, shrink and clone remove
 * their leaves from every aspace.
 *
 * Locking: one lock per store (struct vmo_core), shared by an object and
 * its slices; a clone tree's stores also share their copy-on-write
 * hierarchy's lock (struct cow_tree), taken inside it.  Order: an aspace's
 * lock, then the list of objects (vmo_list_lock), then an object's lock,
 * then its hierarchy's, then the heap's and the frame allocator's.
 * Removing the leaves of other aspaces goes against that order: it takes
 * their locks with a try-lock and, when one is busy, drops its own lock
 * and starts again.  None of these functions may be called with an
 * aspace lock held.
 *
 * Errors, for every function: E_INVAL (NULL object, unknown flag or
 * policy, zero length where a range is needed), E_ALIGN (an offset or
 * length that must be page-aligned is not), E_OVERFLOW (offset + length
 * wraps), E_RANGE (past the end); anything else is listed with the call.
 * A call that fails changes nothing, except where said.
 */
#ifndef MM_VMO_H
#define MM_VMO_H

#include <stddef.h>
#include <stdint.h>
#include <mm/mem_obj.h>
#include <mm/types.h>

struct vmo;

/* vmo_create() flags */
#define VMO_RESIZABLE   (1u << 0)   /* vmo_resize() allowed */
#define VMO_CONTIGUOUS  (1u << 1)   /* physically contiguous, committed at creation (DMA) */

/* Cache policies (vmo_set_cache()); every mapping gets the memory type. */
#define VMO_CACHED      0u          /* normal write-back memory */
#define VMO_UNCACHED    1u          /* strongly ordered (MMU_UNCACHED) */
#define VMO_WC          2u          /* write-combining (MMU_WC) */
#define VMO_DEVICE      3u          /* device memory (MMU_DEVICE) */

/* vmo_cache_op() operations: ARCH_CACHE_CLEAN, _INVAL, _FLUSH of <arch/arch.h>. */

#define VMO_NAME_MAX 24             /* names longer are cut */

/*
 * A new object of @size bytes (page-aligned, not 0), no page committed
 * (with VMO_CONTIGUOUS: all committed, in one physically contiguous block
 * of the next power of two of frames, up to 4 MiB; neither resizable nor
 * decommittable), cached, named @name (copied; NULL: ""), in the list
 * of live objects.  Returns E_OK and *@out holding one reference;
 * E_INVAL (unknown flags, contiguous and resizable), E_ALIGN, E_RANGE
 * (contiguous above 4 MiB), E_NOMEM.
 */
int vmo_create(uint64_t size, unsigned flags, const char *name, struct vmo **out);

void vmo_get(struct vmo *v);
void vmo_put(struct vmo *v);

/* The object as a mem_obj, for aspace_map() / aspace_map_private(); and back (NULL: not a vmo). */
struct mem_obj *vmo_obj(struct vmo *v);
struct vmo *vmo_from_obj(struct mem_obj *obj);

/*
 * Copy @len bytes at @offset (any alignment) out of / into the object.
 * Reads of uncommitted pages give zeros; writes commit pages (and copy a
 * page a clone shares). The _user forms copy to / from the current user
 * aspace with copy_to_user()/copy_from_user() (E_FAULT for a bad user
 * address, with the pages before it done).  E_NOMEM stops a write at the
 * page it could not commit (the pages before it are written).  E_NOTSUP
 * for an object that is not cached (its pages must not be reached
 * through the kernel's cached view).  A copy that runs while another
 * CPU decommits or clones the same pages is not atomic with it.
 */
int vmo_read(struct vmo *v, uint64_t offset, void *buf, uint64_t len);
int vmo_write(struct vmo *v, uint64_t offset, const void *buf, uint64_t len);
int vmo_read_user(struct vmo *v, uint64_t offset, uintptr_t ubuf, uint64_t len);
int vmo_write_user(struct vmo *v, uint64_t offset, uintptr_t ubuf, uint64_t len);

/*
 * Page ranges [@offset, @offset + @len), page-aligned:
 *  - commit: every page exists and is the object's own (a page a clone
 *    shares is copied); all or nothing, E_NOMEM;
 *  - decommit: the pages go (their frames are freed once no pin holds
 *    them) and their leaves leave every mapping; the next touch finds
 *    zeros.  E_BUSY when a pin overlaps the range; E_NOTSUP for a
 *    contiguous object and for one in a clone tree (a clone, or an object
 *    with clones, whose parent's pages would show through: zero instead);
 *  - zero: the range reads zeros; committed pages stay committed (and
 *    pinned ones in place), a page a clone shares gets a zero page of
 *    the object's own (E_NOMEM, nothing changed).
 */
int vmo_commit(struct vmo *v, uint64_t offset, uint64_t len);
int vmo_decommit(struct vmo *v, uint64_t offset, uint64_t len);
int vmo_zero(struct vmo *v, uint64_t offset, uint64_t len);

/*
 * Resize to @size bytes (page-aligned, not 0).  Growing adds uncommitted
 * pages; shrinking frees the pages past the new end and removes their
 * leaves from every mapping in every aspace (those vareas stay; a touch
 * past the end is FAULT_DENIED).  E_NOTSUP (not VMO_RESIZABLE), E_BUSY
 * (a pin past the new end, or the object is in a clone tree).
 */
int vmo_resize(struct vmo *v, uint64_t size);

/* Bytes. */
uint64_t vmo_size(struct vmo *v);

/*
 * A copy-on-write snapshot of [@offset, @offset + @len) of @v: a new
 * object *@out of @len bytes whose contents are @v's there now; from
 * then on each sees its own writes only.  No page is copied now: @v's
 * pages move into a read-only backup both see (fork's machinery), and
 * each copies a page it touches, or takes it over when the other has a
 * copy of its own.  @v's leaves in the range leave every mapping
 * (faults bring them back).  Clones of clones nest; destroying either
 * side first is fine.  E_NOTSUP (a contiguous or non-cached object:
 * a device object), E_BUSY (a pin in the range), E_NOMEM.
 */
int vmo_clone(struct vmo *v, uint64_t offset, uint64_t len, const char *name,
              struct vmo **out);

/*
 * A slice: a new object *@out of @len bytes that shows @v's pages at
 * [@offset, @offset + @len), the same frames (writes through either are
 * seen by both).  It holds a reference to @v.  E_NOTSUP for a resizable
 * @v, E_NOMEM.
 */
int vmo_slice(struct vmo *v, uint64_t offset, uint64_t len, const char *name,
              struct vmo **out);

/*
 * Pin [@offset, @offset + @len), every page of which must be committed
 * (E_NOENT otherwise): until vmo_unpin() of the same range its frames
 * are never moved, decommitted or freed, even if every mapping and every
 * handle goes (a pin holds the object).  Pins may overlap.  E_NOMEM.
 * vmo_unpin() takes exactly a range that was pinned (E_NOENT otherwise).
 */
int vmo_pin(struct vmo *v, uint64_t offset, uint64_t len);
int vmo_unpin(struct vmo *v, uint64_t offset, uint64_t len);

/* A physically contiguous run of an object's pages. */
struct vmo_run {
	paddr_t pa;
	uint64_t size;
};

/*
 * The physical pages of [@offset, @offset + @len), all committed
 * (E_NOENT otherwise), as runs of consecutive frames in offset order:
 * up to @max in @runs, their number in *@nruns (E_NOSPC when more were
 * needed: *@nruns is then @max).  Stable only while pinned.
 */
int vmo_lookup(struct vmo *v, uint64_t offset, uint64_t len, struct vmo_run *runs,
               size_t max, size_t *nruns);

/*
 * The cache policy (VMO_CACHED, ...): every mapping's leaves get its
 * memory type.  Only while the object is neither mapped nor pinned and
 * in no clone tree (E_BUSY); committed pages are cleaned and invalidated
 * from the caches when the policy leaves VMO_CACHED.
 */
int vmo_set_cache(struct vmo *v, unsigned policy);

/*
 * Data-cache maintenance (@op: ARCH_CACHE_CLEAN, _INVAL or _FLUSH) over
 * the committed pages of [@offset, @offset + @len) (any alignment; holes
 * are skipped): arch_cache_maint() on each.  Returns E_OK, or E_NOTSUP
 * where the CPU has no cache maintenance instructions (riscv64 without
 * Zicbom, see <arch/arch.h>).
 */
int vmo_cache_op(struct vmo *v, uint64_t offset, uint64_t len, unsigned op);

/* What one object is, for reports. */
struct vmo_info {
	uint32_t id;
	uint32_t parent_id;         /* the object it was cloned or sliced from; 0: none */
	char name[VMO_NAME_MAX];
	uint64_t size;
	uint64_t committed;         /* pages its store holds of its own (slices: the shared store's) */
	uint32_t mappings;          /* vareas mapping it, shared or private */
	uint32_t pins;
	unsigned flags, cache;
	int slice, clone;
};

void vmo_info(struct vmo *v, struct vmo_info *out);

/*
 * Call @fn for every live object, oldest first, under the list's lock
 * (@fn must not call into this module); stops at a non-zero return and
 * returns it.
 */
int vmo_traverse(int (*fn)(void *ctx, const struct vmo_info *info), void *ctx);

/*
 * Bytes of metadata: per object (struct vmo, its struct vmo_core and the
 * anonymous object its pages are in; a slice has only the first), and
 * per committed page (its index node and the frame's struct page).
 */
void vmo_metadata(uint64_t *per_object, uint64_t *per_page);

/* Live objects now. */
uint64_t vmo_count(void);

/* Make the caches of objects (from aspace_kernel_init()). */
int vmo_cache_init(void);

#endif
