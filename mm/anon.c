/*
 * Anonymous private memory objects.
 *
 * An object keeps an index of the frames it holds, a red-black tree of
 * one small node per page keyed by page offset: O(log n) to find, insert
 * and remove, and nodes move between objects without allocating, which
 * is what merging two objects needs (it cannot fail).  A page appears on
 * first touch, zero-filled with arch_clear_page() (the fastest clear the
 * CPU has; page_alloc()'s PAGE_ZERO is a plain memset), and leaves when
 * its varea stops covering it (unmap: shrink or close).
 *
 * References: the node holds the reference page_alloc() gave; every leaf
 * mapping the frame holds another, taken here before varea_map() and
 * dropped in the unmapped hook.  Pages stay in the index while unmapped
 * (protect to no access, a rollback), and come back on the next fault.
 *
 * Offsets: objects made by aspace_map_anon() are numbered by the
 * addresses they are first mapped at (anon_obj_rebase()), and splitting
 * keeps each piece's offset - address, so two neighbouring anonymous
 * vareas always have contiguous offsets, and the pieces of one object
 * never cover the same offsets.  Merging two such vareas with different
 * objects, when nothing but vareas holds either object, moves the pages
 * of whichever varea has fewer into the other's object: no renumbering,
 * O(k log n) for the k pages moved (plus counting both).
 *
 * Fork (mm/anon_cow.c) puts a read-only backup level below an object:
 * its own index then holds only the pages written since, and lookups
 * that miss it go down the backups.  Objects with a backup neither
 * expand nor merge with other objects, as the backup's pages could not
 * follow.
 *
 * Locking: the aspace lock of the (one) aspace mapping the object, and,
 * for an object that was forked, its copy-on-write hierarchy's lock
 * (mm/anon_internal.h), which every hook that reads or changes an index
 * or a backup link takes (cow_lock()): a fault, close, shrink, a page
 * read or write, the checks, destroy.  The unmapped hook only drops
 * frame references (atomic) and takes nothing, so it may run inside the
 * others.
 */
#include <stdio.h>
#include <string.h>
#include <arch/arch.h>
#include <lib/err.h>
#include <lib/panic.h>
#include <mm/heap.h>
#include <mm/page.h>
#include "anon_internal.h"

static int page_cmp(const struct anon_page *a, const struct anon_page *b)
{
	return a->index < b->index ? -1 : a->index > b->index;
}

RB_GENERATE(anon_tree, anon_page, node, page_cmp)

struct kmem_cache *anon_obj_cache, *anon_page_cache;
struct page *anon_zero_page;
static paddr_t zero_pa;             /* its address, for the fault path */

int anon_cache_init(void)
{
	anon_obj_cache = kmem_cache_create("anon_obj", sizeof(struct anon_obj), 0);
	anon_page_cache = kmem_cache_create("anon_page", sizeof(struct anon_page), 0);
	anon_zero_page = page_alloc(0, 0);
	if (!anon_obj_cache || !anon_page_cache || !anon_zero_page)
		return E_NOMEM;
	arch_clear_page(page_to_va(anon_zero_page));
	zero_pa = page_to_pa(anon_zero_page);
	return E_OK;
}

paddr_t anon_zero_pa(void)
{
	return zero_pa;
}

int anon_map_frame(struct varea *va, uintptr_t addr, struct page *pg, unsigned flags)
{
	int rc;

	page_get(pg);
	rc = varea_map_flags(va, addr, page_to_pa(pg), PAGE_SIZE, flags);
	if (rc)
		page_put(pg);
	return rc;
}

int anon_set_frame(struct varea *va, const struct fault *f, uintptr_t addr, struct page *pg,
                   struct page *old, unsigned flags)
{
	int rc;

	if (!f->leaf)
		return anon_map_frame(va, addr, pg, flags);
	if (pg == old)
		return pt_replace(va->as->pt, f->leaf, f->leaf_level, addr, page_to_pa(pg), flags);
	page_get(pg);
	rc = pt_replace(va->as->pt, f->leaf, f->leaf_level, addr, page_to_pa(pg), flags);
	if (rc) {
		page_put(pg);
		return rc;
	}
	page_put(old);   /* no TLB holds the old leaf any more */
	va->as->stats.populated++;
	return E_OK;
}

/* ---- the page index --------------------------------------------------------------- */

struct anon_page *anon_lookup(struct anon_obj *ao, uint64_t offset)
{
	struct anon_page key = { .index = offset >> PAGE_SHIFT };

	return RB_FIND(anon_tree, &ao->pages, &key);
}

/* The first page at or above @offset, or NULL. */
struct anon_page *anon_lookup_from(struct anon_obj *ao, uint64_t offset)
{
	struct anon_page key = { .index = offset >> PAGE_SHIFT };

	return RB_NFIND(anon_tree, &ao->pages, &key);
}

void anon_insert(struct anon_obj *ao, struct anon_page *ap)
{
	if (RB_INSERT(anon_tree, &ao->pages, ap))
		panic("anon: two pages at offset %#llx",
		      (unsigned long long)(ap->index << PAGE_SHIFT));
	ao->npages++;
	if (is_backup(ao))
		ao->tree->gen++;   /* a level may have become non-empty */
}

void anon_drop(struct anon_obj *ao, struct anon_page *ap)
{
	RB_REMOVE(anon_tree, &ao->pages, ap);
	ao->npages--;
	page_put(ap->page);
	kmem_cache_free(anon_page_cache, ap);
}

/* A new page at @offset with a fresh frame (not cleared), or NULL. */
struct anon_page *anon_add(struct anon_obj *ao, uint64_t offset)
{
	struct anon_page *ap = kmem_cache_alloc(anon_page_cache, 0);

	if (!ap)
		return NULL;
	ap->page = page_alloc(0, 0);
	if (!ap->page) {
		kmem_cache_free(anon_page_cache, ap);
		return NULL;
	}
	ap->index = offset >> PAGE_SHIFT;
	anon_insert(ao, ap);
	return ap;
}

/* Frames whose references a release drops together (page_put_batch()). */
struct frame_batch {
	unsigned n;
	struct page *pages[32];
};

static void batch_put(struct frame_batch *b, struct page *pg)
{
	b->pages[b->n++] = pg;
	if (b->n == sizeof(b->pages) / sizeof(b->pages[0])) {
		page_put_batch(b->pages, b->n);
		b->n = 0;
	}
}

/*
 * Every node of @ao's index freed, children before their parent: no
 * rebalancing, as nothing looks at the tree until it is empty again.
 */
static void release_all(struct anon_obj *ao)
{
	struct anon_page *ap = RB_ROOT(&ao->pages), *parent;
	struct frame_batch b;   /* no initializer: memset() goes byte by byte */

	if (!ap)
		return;
	b.n = 0;
	while (ap) {
		if (RB_LEFT(ap, node)) {
			ap = RB_LEFT(ap, node);
			continue;
		}
		if (RB_RIGHT(ap, node)) {
			ap = RB_RIGHT(ap, node);
			continue;
		}
		parent = RB_PARENT(ap, node);
		if (parent && RB_LEFT(parent, node) == ap)
			RB_LEFT(parent, node) = NULL;
		else if (parent)
			RB_RIGHT(parent, node) = NULL;
		batch_put(&b, ap->page);
		kmem_cache_free(anon_page_cache, ap);
		ap = parent;
	}
	page_put_batch(b.pages, b.n);
	RB_INIT(&ao->pages);
	ao->npages = 0;
}

/*
 * Release every page of [offset, offset + size).  When the range holds
 * all of the index (a whole varea's unmap), the tree goes in one pass
 * without removals; otherwise page by page.  The frames' references drop
 * in batches either way.
 */
void anon_release(struct anon_obj *ao, uint64_t offset, uint64_t size)
{
	uint64_t end = (offset + size) >> PAGE_SHIFT;
	struct anon_page *ap = anon_lookup_from(ao, offset), *next;
	struct frame_batch b;   /* no initializer: memset() goes byte by byte */

	if (!ap || ap->index >= end)
		return;
	if (ao->npages > 1 && ap == RB_MIN(anon_tree, &ao->pages) &&
	    RB_MAX(anon_tree, &ao->pages)->index < end)
		return release_all(ao);
	b.n = 0;
	for (; ap && ap->index < end; ap = next) {
		next = RB_NEXT(anon_tree, &ao->pages, ap);
		RB_REMOVE(anon_tree, &ao->pages, ap);
		ao->npages--;
		batch_put(&b, ap->page);
		kmem_cache_free(anon_page_cache, ap);
	}
	page_put_batch(b.pages, b.n);
}

int anon_spares_alloc(struct anon_page **spares, uint64_t n)
{
	for (; n; n--) {
		struct anon_page *ap = kmem_cache_alloc(anon_page_cache, 0);

		if (ap && !(ap->page = page_alloc(0, 0))) {
			kmem_cache_free(anon_page_cache, ap);
			ap = NULL;
		}
		if (!ap) {
			anon_spares_free(spares);
			return E_NOMEM;
		}
		RB_LEFT(ap, node) = *spares;
		*spares = ap;
	}
	return E_OK;
}

void anon_spares_free(struct anon_page **spares)
{
	struct anon_page *ap;

	while ((ap = *spares)) {
		*spares = RB_LEFT(ap, node);
		page_put(ap->page);
		kmem_cache_free(anon_page_cache, ap);
	}
}

/* ---- objects ------------------------------------------------------------------------ */

struct mem_obj *anon_obj_create(uint64_t size)
{
	struct anon_obj *ao;

	if (!size || (size & PAGE_MASK))
		return NULL;
	ao = kmem_cache_alloc(anon_obj_cache, KM_ZERO);
	if (!ao)
		return NULL;
	ao->obj.ops = &anon_ops;
	ao->obj.refcount = 1;
	RB_INIT(&ao->pages);
	ao->end = size;
	return &ao->obj;
}

struct mem_obj *anon_obj_create_source(struct mem_obj *source, uint64_t offset, uint64_t size)
{
	struct mem_obj *obj = anon_obj_create(size);

	if (obj) {
		to_anon(obj)->base = offset;
		to_anon(obj)->end = offset + size;
		to_anon(obj)->source = source;
		mem_obj_get(source);
	}
	return obj;
}

void anon_obj_rebase(struct mem_obj *obj, uint64_t base)
{
	struct anon_obj *ao = to_anon(obj);

	if (ao->npages)
		panic("anon: renumbering an object that has pages");
	ao->end = base + (ao->end - ao->base);
	ao->base = base;
}

static void anon_destroy(struct mem_obj *obj)
{
	struct anon_obj *ao = to_anon(obj);
	struct cow_tree *t = cow_lock(ao), *dead;

	release_all(ao);
	if (ao->backup)
		anon_backup_unlink(ao);
	dead = cow_leave(ao);
	cow_unlock(t);
	kfree(dead);
	anon_spares_free(&ao->spares);
	if (ao->source)
		mem_obj_put(ao->source);
	kmem_cache_free(anon_obj_cache, ao);
}

/* In no copy-on-write hierarchy (any more): only its aspace can change it. */
static int private_now(struct anon_obj *ao)
{
	struct cow_tree *t = cow_lock(ao);

	cow_unlock(t);
	return t == NULL;
}

/* Held by its vareas only?  Then no one else can see its pages move. */
static int vareas_only(const struct mem_obj *obj)
{
	return __atomic_load_n(&obj->refcount, __ATOMIC_RELAXED) == to_anon(obj)->users;
}

/* ---- hooks ------------------------------------------------------------------------------ */

static uint64_t offset_of(const struct varea *va, uintptr_t addr)
{
	return va->offset + (addr - va->start);
}

/*
 * The page @src shows at @offset, for an object with a source: NULL
 * (none, or an error in *@rc), else the frame, to be used before
 * source_unlock().  The caller holds the source with source_lock().
 */
static struct page *source_page(struct anon_obj *ao, uint64_t offset, int *rc)
{
	struct page *pg = NULL;

	*rc = ao->source->ops->page_at(ao->source, offset, &pg);
	return *rc ? NULL : pg;
}

static unsigned long source_lock(struct mem_obj *src)
{
	return src->ops->source_lock ? src->ops->source_lock(src) : 0;
}

static void source_unlock(struct mem_obj *src, unsigned long state)
{
	if (src->ops->source_unlock)
		src->ops->source_unlock(src, state);
}

/*
 * A fault on a page neither the object nor its backups have, in an
 * object with a source: the source's frame is mapped read-only, and a
 * write copies it, as a backup's would be (anon_cow_fault()); a hole in
 * the source gives a zero page of the object's own (-1: the caller
 * makes it).
 */
static int source_fault(struct varea *va, uintptr_t addr, uint64_t offset,
                        const struct fault *f, enum fault_result *r) REQUIRES(va->as->lock)
{
	struct anon_obj *ao = to_anon(va->obj);
	unsigned long st = source_lock(ao->source);
	int rc;
	struct page *pg = source_page(ao, offset, &rc);

	if (pg) {
		struct anon_page shown = { .index = offset >> PAGE_SHIFT, .page = pg };

		*r = anon_cow_fault(va, addr, &shown, NULL, f);
	} else if (rc) {
		*r = rc == E_NOMEM ? FAULT_OOM : FAULT_DENIED;
	}
	source_unlock(ao->source, st);
	return pg || rc ? 0 : -1;
}

/*
 * A write where no level has a page: a new zeroed page of the object's
 * own, replacing the zero page's leaf if @f found one.
 */
static enum fault_result zero_fill(struct varea *va, const struct fault *f, uintptr_t addr,
                                   uint64_t offset) REQUIRES(va->as->lock)
{
	struct anon_obj *ao = to_anon(va->obj);
	struct anon_page *ap = anon_add(ao, offset);
	int rc;

	if (!ap)
		return FAULT_OOM;
	arch_clear_page(page_to_va(ap->page));
	rc = anon_set_frame(va, f, addr, ap->page, anon_zero_page, varea_mmu_flags(va));
	if (rc) {
		anon_drop(ao, ap);
		return anon_map_error(rc);
	}
	return FAULT_FIXED;
}

/*
 * A page of the object's own index is its alone: mapped with the varea's
 * flags.  A page only a backup has is shared copy-on-write
 * (anon_cow_fault()), and so is a page only the source has.  Where no
 * level has a page, a read maps the shared zero page read-only (unless
 * the object has a source) and a write creates a zero-filled page
 * (replacing the zero page's leaf).  The leaf is the one @f found (an
 * anonymous object maps 4 KiB pages only).
 */
static enum fault_result fault_locked(struct varea *va, const struct fault *f)
	REQUIRES(va->as->lock)
{
	struct anon_obj *ao = to_anon(va->obj);
	uintptr_t addr = f->addr & ~(uintptr_t)PAGE_MASK;
	uint64_t offset = offset_of(va, addr);
	struct anon_page *ap = anon_lookup(ao, offset), *shared;
	struct anon_obj *level;
	int rc;

	if (!ap && ao->backup && (shared = anon_backup_lookup(ao, offset, &level)))
		return anon_cow_fault(va, addr, shared, level, f);
	if (!ap && ao->source) {
		enum fault_result r = FAULT_DENIED;

		if (!source_fault(va, addr, offset, f, &r))
			return r;
	}
	if (f->leaf) {
		if (!ap) {
			/* Nothing below either: the zero page's leaf (a read
			 * with it mapped was a stale TLB entry). */
			if (arch_pte_pa(*f->leaf) != zero_pa)
				panic("anon: a leaf maps a frame its object does not show");
			return f->access == FAULT_WRITE ? zero_fill(va, f, addr, offset) : FAULT_FIXED;
		}
		/* The object's own page with other flags than the varea's:
		 * bring it in line (a read-only leaf may become writable). */
		unsigned want = varea_mmu_flags(va);

		if (arch_pte_pa(*f->leaf) != page_to_pa(ap->page))
			panic("anon: a leaf maps a frame its object does not show");
		if (f->leaf_flags == want)
			return FAULT_FIXED;
		rc = anon_set_frame(va, f, addr, ap->page, ap->page, want);
		return rc == E_OK ? FAULT_FIXED : anon_map_error(rc);
	}
	/* Not over a source: a page it commits later would have to replace
	 * the leaf (a hole there gives a zero page of the object's own). */
	if (!ap && f->access != FAULT_WRITE && !ao->source) {
		rc = anon_map_frame(va, addr, anon_zero_page, varea_mmu_flags(va) & ~MMU_WRITE);
		if (rc)
			return anon_map_error(rc);
		ao->zero_mapped = 1;
		return FAULT_FIXED;
	}
	if (!ap)
		return zero_fill(va, f, addr, offset);
	rc = anon_map_frame(va, addr, ap->page, varea_mmu_flags(va));
	return rc ? anon_map_error(rc) : FAULT_FIXED;
}

static enum fault_result anon_fault(struct varea *va, const struct fault *f)
	REQUIRES(va->as->lock)
{
	struct cow_tree *t = cow_lock(to_anon(va->obj));
	enum fault_result r = fault_locked(va, f);

	cow_unlock(t);
	return r;
}


/* Tell a source that tracks its private vareas that @va came (1) or went (0). */
static void track(struct varea *va, int on)
{
	struct mem_obj *src = to_anon(va->obj)->source;

	if (src && src->ops->track)
		src->ops->track(src, va, on);
}

static void anon_open(struct varea *va)
{
	to_anon(va->obj)->users++;
	track(va, 1);
}

static void anon_close(struct varea *va)
{
	struct cow_tree *t = cow_lock(to_anon(va->obj));

	track(va, 0);
	anon_release(to_anon(va->obj), va->offset, va->size);
	cow_unlock(t);
	to_anon(va->obj)->users--;
}

static int anon_split(struct varea *va, struct varea *upper, uintptr_t at)
{
	(void)at;
	to_anon(va->obj)->users++;
	track(upper, 1);
	return E_OK;
}

static void anon_shrink(struct varea *va, uintptr_t start, uint64_t size)
{
	struct cow_tree *t = cow_lock(to_anon(va->obj));

	anon_release(to_anon(va->obj), offset_of(va, start), size);
	cow_unlock(t);
}

/*
 * Growing past the end is safe only for an object no one else holds:
 * another varea of it could cover the offsets the growth takes.  Pages
 * left there by page_write() are dropped, so the new range reads zeros.
 */
static int anon_expand(struct varea *va, uint64_t size)
{
	struct anon_obj *ao = to_anon(va->obj);
	uint64_t from = va->offset + va->size;

	/* A backup may hold pages at the offsets the growth takes; an object
	 * in a hierarchy may get one from another aspace's collapse. */
	if (!vareas_only(va->obj) || ao->users != 1 || !private_now(ao) || ao->source)
		return E_BUSY;
	if (from + size < from)
		return E_OVERFLOW;
	anon_release(ao, from, size);
	if (from + size > ao->end)
		ao->end = from + size;
	return E_OK;
}

/*
 * Whether a merge may move the pages at [offset, offset + size) into
 * @ao: when no other varea of it can be using those offsets.  They are
 * the addresses of a neighbour, so they were free until aspace_remap()
 * could move a piece of an object away from the addresses it numbers.
 */
static int may_take(const struct anon_obj *ao, uint64_t offset, uint64_t size)
{
	return ao->users == 1 || offset >= ao->end || offset + size <= ao->base;
}

static int anon_can_merge(const struct varea *va, const struct varea *next)
{
	if (!is_anon(next->obj) || next->offset != va->offset + va->size ||
	    to_anon(va->obj)->source != to_anon(next->obj)->source)
		return 0;
	if (va->obj == next->obj)
		return 1;
	/* Two objects: only if nothing but vareas can see their pages move,
	 * and neither is in a copy-on-write hierarchy (a backup's pages could
	 * not follow, and another aspace may change its index). */
	return vareas_only(va->obj) && vareas_only(next->obj) &&
	       (may_take(to_anon(va->obj), next->offset, next->size) ||
	        may_take(to_anon(next->obj), va->offset, va->size)) &&
	       private_now(to_anon(va->obj)) && private_now(to_anon(next->obj));
}

/* Pages of @ao in [offset, offset + size). */
static uint64_t count(struct anon_obj *ao, uint64_t offset, uint64_t size)
{
	uint64_t end = (offset + size) >> PAGE_SHIFT, n = 0;

	for (struct anon_page *ap = anon_lookup_from(ao, offset); ap && ap->index < end;
	     ap = RB_NEXT(anon_tree, &ao->pages, ap))
		n++;
	return n;
}

/*
 * Move the pages of @from in [offset, offset + size) into @to, where
 * nothing is at those offsets (the pieces of an object never overlap in
 * offsets; pages page_write() left there unmapped are dropped first).
 */
static void move_pages(struct anon_obj *to, struct anon_obj *from, uint64_t offset,
                       uint64_t size)
{
	uint64_t end = (offset + size) >> PAGE_SHIFT;
	struct anon_page *ap = anon_lookup_from(from, offset), *next;

	anon_release(to, offset, size);
	for (; ap && ap->index < end; ap = next) {
		next = RB_NEXT(anon_tree, &from->pages, ap);
		RB_REMOVE(anon_tree, &from->pages, ap);
		from->npages--;
		anon_insert(to, ap);
	}
	if (offset < to->base)
		to->base = offset;
	if (offset + size > to->end)
		to->end = offset + size;
}

static void anon_merge(struct varea *va, struct varea *next)
{
	struct anon_obj *a = to_anon(va->obj), *b = to_anon(next->obj);
	struct mem_obj *keep;
	int into_a;

	track(next, 0);
	a->zero_mapped = b->zero_mapped = a->zero_mapped | b->zero_mapped;
	if (a == b) {
		a->users--;                      /* @next is gone */
		return;
	}
	/* The fewer pages move, unless the other object may not take them (may_take()). */
	into_a = count(a, va->offset, va->size) >= count(b, next->offset, next->size);
	if (into_a ? !may_take(a, next->offset, next->size) : !may_take(b, va->offset, va->size))
		into_a = !into_a;
	if (into_a) {
		move_pages(a, b, next->offset, next->size);
		b->users--;
		return;
	}
	/* @va's pages are fewer: they move, and @va takes @next's object. */
	move_pages(b, a, va->offset, va->size);
	a->users--;
	keep = next->obj;
	next->obj = va->obj;
	va->obj = keep;
}

static int in_object(const struct anon_obj *ao, uint64_t offset)
{
	return !(offset & PAGE_MASK) && offset >= ao->base && offset < ao->end;
}

static int page_read_locked(struct mem_obj *obj, uint64_t offset, void *buf)
{
	struct anon_obj *ao = to_anon(obj);
	struct anon_page *ap;

	if (!in_object(ao, offset))
		return E_RANGE;
	ap = anon_lookup(ao, offset);
	if (!ap && ao->backup)
		ap = anon_backup_lookup(ao, offset, NULL);
	if (!ap && ao->source) {
		unsigned long st = source_lock(ao->source);
		int rc;
		struct page *pg = source_page(ao, offset, &rc);

		if (pg)
			memcpy(buf, page_to_va(pg), PAGE_SIZE);
		source_unlock(ao->source, st);
		if (pg || rc)
			return rc;
	}
	if (!ap) {
		memset(buf, 0, PAGE_SIZE);
		return E_NOENT;
	}
	memcpy(buf, page_to_va(ap->page), PAGE_SIZE);
	return E_OK;
}

static int anon_page_read(struct mem_obj *obj, uint64_t offset, void *buf)
{
	struct cow_tree *t = cow_lock(to_anon(obj));
	int rc = page_read_locked(obj, offset, buf);

	cow_unlock(t);
	return rc;
}

static int page_write_locked(struct mem_obj *obj, uint64_t offset, const void *buf)
{
	struct anon_obj *ao = to_anon(obj);
	struct anon_page *ap;

	if (!in_object(ao, offset))
		return E_RANGE;
	ap = anon_lookup(ao, offset);
	/* A leaf may map the backup's (or the source's, or the zero) frame
	 * there: only a fault may replace it. */
	if (!ap && ((ao->backup && anon_backup_lookup(ao, offset, NULL)) || ao->source ||
	            ao->zero_mapped))
		return E_BUSY;
	if (!ap) {
		ap = anon_add(ao, offset);
		if (!ap)
			return E_NOMEM;
	}
	memcpy(page_to_va(ap->page), buf, PAGE_SIZE);
	return E_OK;
}

static int anon_page_write(struct mem_obj *obj, uint64_t offset, const void *buf)
{
	struct cow_tree *t = cow_lock(to_anon(obj));
	int rc = page_write_locked(obj, offset, buf);

	cow_unlock(t);
	return rc;
}

/*
 * A leaf maps the object's own page (writable or not), or, read-only, the
 * page a backup (or the source) shows at that offset, or the zero page
 * where no level has one; every leaf holds a frame reference beside the
 * index's (the zero page's own reference for it).
 */
static int anon_check_leaf(const struct varea *va, uintptr_t addr, paddr_t pa, uint64_t size)
{
	struct anon_obj *ao = to_anon(va->obj);
	struct cow_tree *t = cow_lock(ao);
	int problems = 0;

	for (uint64_t done = 0; done < size; done += PAGE_SIZE) {
		uint64_t offset = offset_of(va, addr + done);
		struct anon_page *ap = anon_lookup(ao, offset);
		unsigned flags = 0;
		int shared = 0;

		struct anon_page shown;

		if (!ap && ao->backup) {
			ap = anon_backup_lookup(ao, offset, NULL);
			shared = 1;
		}
		if (!ap && ao->source) {
			unsigned long st = source_lock(ao->source);
			int rc;

			shown.page = source_page(ao, offset, &rc);
			source_unlock(ao->source, st);
			ap = shown.page ? &shown : NULL;
			shared = 1;
		}
		if (!ap && ao->zero_mapped) {
			/* No level has a page: the zero page, read-only. */
			shown.page = anon_zero_page;
			ap = &shown;
			shared = 1;
		}
		pt_query(va->as->pt, addr + done, NULL, &flags, NULL);
		if (!ap || page_to_pa(ap->page) != pa + done || page_refcount(ap->page) < 2 ||
		    (shared && (flags & MMU_WRITE))) {
			printf("aspace_check %s: %#lx: anon leaf -> %#llx (flags %#x), %s has %#llx (refcount %u)\n",
			       va->as->name, (unsigned long)(addr + done),
			       (unsigned long long)(pa + done), flags, shared ? "backup, source or zero page" : "index",
			       ap ? (unsigned long long)page_to_pa(ap->page) : 0ull,
			       ap ? page_refcount(ap->page) : 0);
			problems++;
		}
	}
	cow_unlock(t);
	return problems;
}

/* Copy-on-write pages may be below, or the zero page mapped: protect must not make leaves writable. */
static int anon_shares_pages(const struct mem_obj *obj)
{
	struct anon_obj *ao = to_anon(obj);
	struct cow_tree *t = cow_lock(ao);
	int shared = ao->backup != NULL || ao->source != NULL || ao->zero_mapped;

	cow_unlock(t);
	return shared;
}

/* An anonymous object is private to the one aspace_map() it was made for. */
static int anon_can_map(struct mem_obj *obj, const struct varea *va)
{
	(void)va;
	return __atomic_exchange_n(&to_anon(obj)->claimed, 1, __ATOMIC_RELAXED) ? E_BUSY : E_OK;
}

/*
 * DONTNEED: the next touch of each page must find what it would have
 * found before the object had any: zeros, or the source's page.  Own
 * pages go, unless a backup shows a page at their offset (shared with
 * another aspace since a fork): then the object keeps a page of its own
 * there, zeroed or filled from the source; that may need a new page,
 * which prepare allocates.
 */
static uint64_t hidden_by_none(struct anon_obj *ao, uint64_t offset, uint64_t size)
{
	uint64_t n = 0;

	if (!ao->backup)
		return 0;
	for (uint64_t o = offset; o < offset + size; o += PAGE_SIZE)
		n += !anon_lookup(ao, o) && anon_backup_lookup(ao, o, NULL);
	return n;
}

static int anon_decommit_prepare(struct varea *va, uintptr_t start, uint64_t size)
{
	struct anon_obj *ao = to_anon(va->obj);
	struct cow_tree *t = cow_lock(ao);
	uint64_t n = hidden_by_none(ao, offset_of(va, start), size);
	int rc = anon_spares_alloc(&ao->spares, n);

	cow_unlock(t);
	return rc;
}

/* Fill @ap with what the object shows below its own pages when there are none. */
static void fill_bottom(struct anon_obj *ao, struct anon_page *ap, uint64_t offset)
{
	struct page *pg = NULL;
	unsigned long st;
	int rc;

	if (ao->source) {
		st = source_lock(ao->source);
		pg = source_page(ao, offset, &rc);
		if (pg)
			arch_copy_page(page_to_va(ap->page), page_to_va(pg));
		source_unlock(ao->source, st);
	}
	if (!pg)
		arch_clear_page(page_to_va(ap->page));
}

static void anon_decommit(struct varea *va, uintptr_t start, uint64_t size, int apply)
{
	struct anon_obj *ao = to_anon(va->obj);
	struct cow_tree *t = cow_lock(ao);
	uint64_t offset = offset_of(va, start);

	for (uint64_t o = offset; apply && o < offset + size; o += PAGE_SIZE) {
		struct anon_page *ap = anon_lookup(ao, o);

		if (!ao->backup || !anon_backup_lookup(ao, o, NULL)) {
			if (ap)
				anon_drop(ao, ap);
			continue;
		}
		if (!ap) {
			ap = ao->spares;
			ao->spares = RB_LEFT(ap, node);
			ap->index = o >> PAGE_SHIFT;
			anon_insert(ao, ap);
		}
		fill_bottom(ao, ap, o);
	}
	/* Prepare counted exactly what the apply takes (the vareas of one
	 * object cover other offsets each); an abort gives all back. */
	if (!apply)
		anon_spares_free(&ao->spares);
	cow_unlock(t);
}

const struct mem_obj_ops anon_ops = {
	.name = "anon",
	.fault = anon_fault,
	.unmapped = mem_obj_put_frames,
	.open = anon_open,
	.close = anon_close,
	.split = anon_split,
	.shrink = anon_shrink,
	.expand = anon_expand,
	.can_merge = anon_can_merge,
	.merge = anon_merge,
	.page_read = anon_page_read,
	.page_write = anon_page_write,
	.check_leaf = anon_check_leaf,
	.shares_pages = anon_shares_pages,
	.destroy = anon_destroy,
	.can_map = anon_can_map,
	.fork_prepare = anon_fork_prepare,
	.fork_child = anon_fork_child,
	.fork_commit = anon_fork_commit,
	.fork_abort = anon_fork_abort,
	.decommit_prepare = anon_decommit_prepare,
	.decommit = anon_decommit,
};
