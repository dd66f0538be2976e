/*
 * Memory objects (<mm/vmo.h>): objects that own pages and are mapped
 * shared by any number of vareas, in any aspaces.
 *
 * Shape.  A struct vmo is what callers hold; its pages are in a
 * struct vmo_core, shared by the object and its slices: an anonymous
 * object used as a page store (never mapped itself: anon.c's index, and
 * anon_cow.c's backups once cloned), or, for a contiguous object, one
 * block of frames.  An object sees the store from its `base` on, for
 * `size` bytes.  The core also lists every varea that maps one of its
 * objects (struct varea's obj_link), shared vareas over the object
 * itself and private vareas whose anonymous object has it as source, and
 * the pins.
 *
 * Mappings map only the store's own pages, never a backup's: a fault
 * (read or write) makes the page the store's own first (anon_cow_own():
 * taken over when no one else sees it, copied otherwise).  So the frame
 * at an offset changes only by decommit, shrink or clone, which remove
 * the leaves of that range from every mapping first (zap_locked()), and
 * every mapping of an object always sees the same frame.
 *
 * References: a leaf of a store page holds a frame reference (taken at
 * the fault, dropped by the unmapped hook), as anonymous leaves do; a
 * pin holds one per frame and one on the object.  Contiguous blocks are
 * held by their object only, which lives while mapped.
 *
 * Locking: the core's lock guards the store (with the store's
 * copy-on-write hierarchy's lock inside, cow_lock()), the lists, the
 * objects' sizes and mapping counts.  Hooks run under their aspace's
 * lock and take it inside; the calls of <mm/vmo.h> take it with
 * interrupts masked, as faults run with them masked.  Removing leaves
 * of other aspaces under it goes against the order: see zap_locked().
 */
#include <stdio.h>
#include <string.h>
#include <arch/arch.h>
#include <lib/err.h>
#include <lib/panic.h>
#include <mm/heap.h>
#include <mm/page.h>
#include <mm/usercopy.h>
#include <mm/vmo.h>
#include "anon_internal.h"

struct vmo_pin {
	LIST_ENTRY(vmo_pin) link;
	struct vmo *v;             /* the object pinned through (holds a reference) */
	uint64_t start, size;      /* store offsets */
};

struct vmo_core {
	struct spinlock lock;
	struct anon_obj *store;    /* the pages; NULL for a contiguous object */
	struct page *block;        /* a contiguous object's frames */
	unsigned order;
	LIST_HEAD(, varea) maps;   /* every varea over its objects, shared or private */
	LIST_HEAD(, vmo_pin) pins;
	uint32_t npins;
	uint32_t refs;             /* objects using it */
};

struct vmo {
	struct mem_obj obj;        /* ops = &vmo_ops */
	struct vmo_core *core;
	uint64_t base;             /* this object's 0 in the store */
	uint64_t size;             /* under core->lock */
	uint32_t nmaps;            /* vareas mapping it; under core->lock */
	unsigned flags, cache;
	struct vmo *slice_of;      /* a slice holds its parent */
	uint32_t id, parent_id;
	int clone;
	TAILQ_ENTRY(vmo) link;     /* vmo_list, under vmo_list_lock */
	char name[VMO_NAME_MAX];
};

static const struct mem_obj_ops vmo_ops;
static struct kmem_cache *vmo_cache;
static struct spinlock vmo_list_lock = SPINLOCK_INIT;
static TAILQ_HEAD(vmo_list, vmo) vmo_list GUARDED_BY(vmo_list_lock) = TAILQ_HEAD_INITIALIZER(vmo_list);
static uint32_t vmo_next_id GUARDED_BY(vmo_list_lock) = 1;
static uint64_t vmo_live GUARDED_BY(vmo_list_lock);

static const unsigned cache_attrs[] = {
	[VMO_CACHED] = 0, [VMO_UNCACHED] = MMU_UNCACHED, [VMO_WC] = MMU_WC,
	[VMO_DEVICE] = MMU_DEVICE,
};

static struct vmo *to_vmo(const struct mem_obj *obj)
{
	return (struct vmo *)obj;
}

int vmo_cache_init(void)
{
	vmo_cache = kmem_cache_create("vmo", sizeof(struct vmo), 0);
	return vmo_cache ? E_OK : E_NOMEM;
}

struct mem_obj *vmo_obj(struct vmo *v)
{
	return &v->obj;
}

struct vmo *vmo_from_obj(struct mem_obj *obj)
{
	return obj && obj->ops == &vmo_ops ? to_vmo(obj) : NULL;
}

void vmo_get(struct vmo *v)
{
	mem_obj_get(&v->obj);
}

void vmo_put(struct vmo *v)
{
	mem_obj_put(&v->obj);
}

static unsigned long core_lock(struct vmo_core *c) ACQUIRE(c->lock)
{
	return spin_lock_irqsave(&c->lock);
}

static void core_unlock(struct vmo_core *c, unsigned long irq) RELEASE(c->lock)
{
	spin_unlock_irqrestore(&c->lock, irq);
}

/*
 * The range checks every call makes: E_OK or the error of <mm/vmo.h>.
 * The size may change once the lock is dropped: the calls check again
 * under it (fits_locked()).
 */
static int check_range(struct vmo *v, uint64_t offset, uint64_t len, int aligned)
{
	if (!v || !len)
		return E_INVAL;
	if (aligned && ((offset | len) & PAGE_MASK))
		return E_ALIGN;
	if (offset + len < offset)
		return E_OVERFLOW;
	return offset + len > vmo_size(v) ? E_RANGE : E_OK;
}

/* With the core's lock held: the range still fits (E_OK), or E_RANGE. */
static int fits_locked(const struct vmo *v, uint64_t offset, uint64_t len)
{
	return offset + len <= v->size ? E_OK : E_RANGE;
}

/* ---- pages ------------------------------------------------------------------------------ */

/*
 * The frame at store offset @off (page-aligned): with @own, made the
 * store's own page (committing or copying; new pages from *@spares when
 * given), else whatever the store shows there (E_NOENT: nothing).
 * E_OK and *@pa, or E_NOMEM.
 */
static int frame_locked(struct vmo_core *c, uint64_t off, int own, struct anon_page **spares,
                        paddr_t *pa) REQUIRES(c->lock)
{
	struct anon_obj *s = c->store;
	struct anon_page *ap;
	struct cow_tree *t;

	if (c->block) {
		*pa = page_to_pa(c->block) + off;
		return E_OK;
	}
	t = cow_lock(s);
	if (own) {
		ap = anon_cow_own(s, off, spares);
	} else {
		ap = anon_lookup(s, off);
		if (!ap && s->backup)
			ap = anon_backup_lookup(s, off, NULL);
	}
	if (ap)
		*pa = page_to_pa(ap->page);
	cow_unlock(t);
	return ap ? E_OK : own ? E_NOMEM : E_NOENT;
}

/* The store's own page at @off, or NULL (a contiguous object has no store). */
static struct anon_page *own_locked(struct vmo_core *c, uint64_t off) REQUIRES(c->lock)
{
	struct cow_tree *t = cow_lock(c->store);
	struct anon_page *ap = anon_lookup(c->store, off);

	cow_unlock(t);
	return ap;
}

static int pinned_locked(struct vmo_core *c, uint64_t start, uint64_t size) REQUIRES(c->lock)
{
	struct vmo_pin *p;

	LIST_FOREACH(p, &c->pins, link)
		if (p->start < start + size && start < p->start + p->size)
			return 1;
	return 0;
}

/* The object a varea in the core's list maps (its own, or its anonymous object's source). */
static struct vmo *map_vmo(const struct varea *va)
{
	return va->obj->ops == &vmo_ops ? to_vmo(va->obj) : to_vmo(to_anon(va->obj)->source);
}

/*
 * Remove every leaf of store offsets [start, start + size) from every
 * mapping of the core's objects, in whichever aspace.  The aspace locks
 * come before the core's: each is tried, and when one is busy (its
 * holder may be waiting for this core's lock) the core's lock is dropped
 * and the walk starts again; a varea cannot leave the list while the
 * core's lock is held, so its aspace is alive.  Returns, holding the
 * lock, once one whole walk found every mapping free: the leaves are
 * then gone, and no fault can bring them back before the lock is
 * dropped.  Callers check their conditions after it.  Vareas are read
 * only under their aspace's lock.  Not analysed: the aspace locks are
 * taken conditionally and the core's is dropped and taken again.
 */
static void zap_locked(struct vmo_core *c, uint64_t start, uint64_t size) NO_THREAD_SAFETY_ANALYSIS
{
	struct varea *va;

again:
	LIST_FOREACH(va, &c->maps, obj_link) {
		struct aspace *as = va->as;
		uint64_t vs, lo, hi;

		if (!aspace_trylock(as)) {
			spin_unlock(&c->lock);
			for (int i = 0; i < 64; i++)
				spin_relax();
			spin_lock(&c->lock);
			goto again;
		}
		vs = map_vmo(va)->base + va->offset;
		lo = vs > start ? vs : start;
		hi = vs + va->size < start + size ? vs + va->size : start + size;
		if (lo < hi && aspace_pt_unmap(as, va->start + (lo - vs), hi - lo, va))
			panic("vmo: removing the leaves of a mapping failed");
		spin_unlock(&as->lock);
	}
}

/* ---- hooks (under the aspace lock) ------------------------------------------------------ */

static uint64_t offset_of(const struct varea *va, uintptr_t addr)
{
	return va->offset + (addr - va->start);
}

/*
 * Map the store's own page at @off at @addr of @va, making it the store's
 * own first; when the map fails (no memory for a table), a page made or
 * taken over for it goes back, so a failed fault changes nothing.
 */
static int own_fault_locked(struct vmo_core *c, struct varea *va, uintptr_t addr, uint64_t off)
	REQUIRES(c->lock) REQUIRES(va->as->lock)
{
	struct anon_obj *s = c->store;
	struct cow_tree *t = cow_lock(s);
	struct anon_page *ap = anon_lookup(s, off);
	struct anon_own_undo undo;
	int fresh = !ap, rc;

	if (fresh)
		ap = anon_cow_own_undoable(s, off, &undo);
	rc = ap ? E_OK : E_NOMEM;
	if (ap) {
		page_get(ap->page);   /* the leaf's */
		rc = varea_map(va, addr, page_to_pa(ap->page), PAGE_SIZE);
		if (rc)
			page_put(ap->page);
		if (rc && fresh)
			anon_cow_own_undo(s, ap, &undo);
	}
	cow_unlock(t);
	return rc;
}

/* A shared mapping maps the store's own page, committing it on any touch. */
static enum fault_result vmo_fault(struct varea *va, const struct fault *f) REQUIRES(va->as->lock)
{
	struct vmo *v = to_vmo(va->obj);
	struct vmo_core *c = v->core;
	uintptr_t addr = f->addr & ~(uintptr_t)PAGE_MASK;
	uint64_t off = offset_of(va, addr);
	int rc;

	spin_lock(&c->lock);
	/* Populating maps what is committed (Zircon's MAP_RANGE) and commits
	 * nothing, so a population that fails leaves the object as it was. */
	if (f->populate && off < v->size && !c->block && !own_locked(c, v->base + off)) {
		spin_unlock(&c->lock);
		return FAULT_FIXED;
	}
	rc = off < v->size ? E_OK : E_RANGE;
	if (!rc && c->block) {
		rc = varea_map(va, addr, page_to_pa(c->block) + v->base + off, PAGE_SIZE);
	} else if (!rc) {
		rc = own_fault_locked(c, va, addr, v->base + off);
	}
	spin_unlock(&c->lock);
	if (!rc || rc == E_EXIST)
		return FAULT_FIXED;
	return rc == E_NOMEM ? FAULT_OOM : FAULT_DENIED;
}

static void vmo_unmapped(struct varea *va, const struct pt_gone *gone, unsigned n)
{
	if (!to_vmo(va->obj)->core->block)
		mem_obj_put_frames(va, gone, n);
}

/* @va (shared over @obj, or private over it) joins or leaves the core's list. */
static void vmo_track(struct mem_obj *obj, struct varea *va, int on)
{
	struct vmo *v = to_vmo(obj);
	struct vmo_core *c = v->core;

	spin_lock(&c->lock);
	if (on) {
		LIST_INSERT_HEAD(&c->maps, va, obj_link);
		v->nmaps++;
	} else {
		LIST_REMOVE(va, obj_link);
		v->nmaps--;
	}
	spin_unlock(&c->lock);
}

static void vmo_open(struct varea *va)
{
	vmo_track(va->obj, va, 1);
}

static void vmo_close(struct varea *va)
{
	vmo_track(va->obj, va, 0);
}

static int vmo_split(struct varea *va, struct varea *upper, uintptr_t at)
{
	(void)at;
	vmo_track(va->obj, upper, 1);
	return E_OK;
}

static int vmo_can_merge(const struct varea *va, const struct varea *next)
{
	return va->obj == next->obj && next->offset == va->offset + va->size;
}

static void vmo_merge(struct varea *va, struct varea *next)
{
	(void)va;
	vmo_track(next->obj, next, 0);
}

static int vmo_expand(struct varea *va, uint64_t size)
{
	struct vmo *v = to_vmo(va->obj);
	int rc;

	spin_lock(&v->core->lock);
	rc = va->offset + va->size + size <= v->size ? E_OK : E_RANGE;
	spin_unlock(&v->core->lock);
	return rc;
}

static int vmo_can_map(struct mem_obj *obj, const struct varea *va)
{
	struct vmo *v = to_vmo(obj);
	int rc;

	spin_lock(&v->core->lock);
	rc = va->offset + va->size <= v->size ? E_OK : E_RANGE;
	spin_unlock(&v->core->lock);
	return rc;
}

static int vmo_page_read(struct mem_obj *obj, uint64_t offset, void *buf)
{
	struct vmo *v = to_vmo(obj);
	paddr_t pa;
	int rc;

	spin_lock(&v->core->lock);
	rc = offset < v->size && !(offset & PAGE_MASK)
	             ? frame_locked(v->core, v->base + offset, 0, NULL, &pa) : E_RANGE;
	if (!rc)
		memcpy(buf, pa_to_va(pa), PAGE_SIZE);
	else if (rc == E_NOENT)
		memset(buf, 0, PAGE_SIZE);
	spin_unlock(&v->core->lock);
	return rc;
}

static int vmo_page_write(struct mem_obj *obj, uint64_t offset, const void *buf)
{
	struct vmo *v = to_vmo(obj);
	paddr_t pa;
	int rc;

	spin_lock(&v->core->lock);
	rc = offset < v->size && !(offset & PAGE_MASK)
	             ? frame_locked(v->core, v->base + offset, 1, NULL, &pa) : E_RANGE;
	if (!rc)
		memcpy(pa_to_va(pa), buf, PAGE_SIZE);
	spin_unlock(&v->core->lock);
	return rc;
}

/* A leaf maps the store's own page at its offset (or the block's frame), with a reference. */
static int vmo_check_leaf(const struct varea *va, uintptr_t addr, paddr_t pa, uint64_t size)
{
	struct vmo *v = to_vmo(va->obj);
	struct vmo_core *c = v->core;
	int problems = 0;

	spin_lock(&c->lock);
	for (uint64_t done = 0; done < size; done += PAGE_SIZE) {
		uint64_t off = offset_of(va, addr + done);
		struct anon_page *ap = !c->block && off < v->size ? own_locked(c, v->base + off) : NULL;
		paddr_t want = c->block ? page_to_pa(c->block) + v->base + off
		                        : ap ? page_to_pa(ap->page) : 0;

		if (off >= v->size || !want || want != pa + done ||
		    (ap && page_refcount(ap->page) < 2)) {
			printf("aspace_check %s: %#lx: vmo %s leaf -> %#llx, the object has %#llx\n",
			       va->as->name, (unsigned long)(addr + done), v->name,
			       (unsigned long long)(pa + done), (unsigned long long)want);
			problems++;
		}
	}
	spin_unlock(&c->lock);
	return problems;
}

/* ---- as a source of private mappings ---------------------------------------------------- */

static int vmo_can_source(struct mem_obj *obj)
{
	struct vmo *v = to_vmo(obj);

	return v->core->block || v->cache != VMO_CACHED ? E_NOTSUP : E_OK;
}

static unsigned long vmo_source_lock(struct mem_obj *obj) NO_THREAD_SAFETY_ANALYSIS
{
	return spin_lock_irqsave(&to_vmo(obj)->core->lock);
}

static void vmo_source_unlock(struct mem_obj *obj, unsigned long irq) NO_THREAD_SAFETY_ANALYSIS
{
	spin_unlock_irqrestore(&to_vmo(obj)->core->lock, irq);
}

/*
 * The page a private mapping shows at @offset: the store's own (a page
 * only a backup has is made its own first, so that the frame stays the
 * object's while the private mapping maps it), or NULL for a hole.
 */
static int vmo_page_at(struct mem_obj *obj, uint64_t offset, struct page **pg)
	NO_THREAD_SAFETY_ANALYSIS   /* under vmo_source_lock() */
{
	struct vmo *v = to_vmo(obj);
	struct vmo_core *c = v->core;
	paddr_t pa;
	int rc;

	*pg = NULL;
	if (offset >= v->size)
		return E_RANGE;
	rc = frame_locked(c, v->base + offset, 0, NULL, &pa);
	if (rc == E_NOENT)
		return E_OK;
	if (!own_locked(c, v->base + offset) &&
	    (rc = frame_locked(c, v->base + offset, 1, NULL, &pa)))
		return rc;
	*pg = pa_to_page(pa);
	return E_OK;
}

/* ---- life --------------------------------------------------------------------------------- */

static void list_add(struct vmo *v)
{
	unsigned long irq = spin_lock_irqsave(&vmo_list_lock);

	v->id = vmo_next_id++;
	vmo_live++;
	TAILQ_INSERT_TAIL(&vmo_list, v, link);
	spin_unlock_irqrestore(&vmo_list_lock, irq);
}

static void core_free(struct vmo_core *c)
{
	if (c->store)
		mem_obj_put(&c->store->obj);
	if (c->block)
		page_free(c->block, c->order);
	kfree(c);
}

static void vmo_destroy(struct mem_obj *obj)
{
	struct vmo *v = to_vmo(obj);
	struct vmo_core *c = v->core;
	unsigned long irq = spin_lock_irqsave(&vmo_list_lock);
	int last;

	TAILQ_REMOVE(&vmo_list, v, link);
	vmo_live--;
	spin_unlock_irqrestore(&vmo_list_lock, irq);
	irq = core_lock(c);
	last = !--c->refs;
	core_unlock(c, irq);
	if (last)
		core_free(c);
	if (v->slice_of)
		vmo_put(v->slice_of);
	kmem_cache_free(vmo_cache, v);
}

static struct vmo *vmo_alloc(const char *name, uint64_t size, unsigned flags, unsigned cache)
{
	struct vmo *v = kmem_cache_alloc(vmo_cache, KM_ZERO);

	if (!v)
		return NULL;
	v->obj.ops = &vmo_ops;
	v->obj.refcount = 1;
	v->obj.mmu_attrs = cache_attrs[cache];
	v->size = size;
	v->flags = flags;
	v->cache = cache;
	if (name)
		strncpy(v->name, name, VMO_NAME_MAX - 1);
	return v;
}

static struct vmo_core *core_alloc(void)
{
	struct vmo_core *c = kmalloc(sizeof(*c), KM_ZERO);

	if (c) {
		spin_init(&c->lock);
		LIST_INIT(&c->maps);
		LIST_INIT(&c->pins);
		c->refs = 1;
	}
	return c;
}

static int order_for(uint64_t size, unsigned *order)
{
	unsigned o = 0;

	while ((PAGE_SIZE << o) < size)
		o++;
	*order = o;
	return o > PAGE_MAX_ORDER ? E_RANGE : E_OK;
}

int vmo_create(uint64_t size, unsigned flags, const char *name, struct vmo **out)
{
	struct vmo_core *c;
	struct vmo *v;
	unsigned order = 0;
	int rc;

	if (!size || (flags & ~(VMO_RESIZABLE | VMO_CONTIGUOUS)) ||
	    flags == (VMO_RESIZABLE | VMO_CONTIGUOUS))
		return E_INVAL;
	if (size & PAGE_MASK)
		return E_ALIGN;
	if ((flags & VMO_CONTIGUOUS) && (rc = order_for(size, &order)))
		return rc;
	c = core_alloc();
	v = c ? vmo_alloc(name, size, flags, VMO_CACHED) : NULL;
	if (c && (flags & VMO_CONTIGUOUS)) {
		c->block = page_alloc(order, PAGE_ZERO);
		c->order = order;
	} else if (c) {
		c->store = to_anon(anon_obj_create(size));
	}
	if (!v || (!c->block && !c->store)) {
		if (c)
			core_free(c);
		if (v)
			kmem_cache_free(vmo_cache, v);
		return E_NOMEM;
	}
	v->core = c;
	list_add(v);
	*out = v;
	return E_OK;
}

uint64_t vmo_size(struct vmo *v)
{
	unsigned long irq = core_lock(v->core);
	uint64_t size = v->size;

	core_unlock(v->core, irq);
	return size;
}

/* ---- reading and writing --------------------------------------------------------------- */

/* One piece of a copy: @n bytes at @page (NULL: zeros to read) for the copy's @done onwards. */
typedef int (*copy_fn)(void *page, uint64_t done, size_t n, void *ctx);

static const char zeros[256];

/*
 * Copy through the frames of [@offset, @offset + @len) one page at a
 * time: the frame is found (and for a write made the object's own)
 * under the lock, held by a reference, and copied without the lock, as
 * a user copy may fault and take an aspace's lock.
 */
static int copy_pages(struct vmo *v, uint64_t offset, uint64_t len, int write, copy_fn fn,
                      void *ctx)
{
	struct vmo_core *c = v->core;
	uint64_t done = 0;

	while (done < len) {
		uint64_t pos = offset + done, in = pos & PAGE_MASK;
		size_t n = PAGE_SIZE - in < len - done ? PAGE_SIZE - in : len - done;
		unsigned long irq = core_lock(c);
		struct page *ref = NULL;
		paddr_t pa = 0;
		int rc = pos + n <= v->size ? frame_locked(c, v->base + pos - in, write, NULL, &pa)
		                            : E_RANGE;

		if (!rc && !c->block)
			page_get(ref = pa_to_page(pa));
		core_unlock(c, irq);
		if (rc && rc != E_NOENT)
			return rc;
		rc = fn(rc ? NULL : (char *)pa_to_va(pa) + in, done, n, ctx);
		if (ref)
			page_put(ref);
		if (rc)
			return rc;
		done += n;
	}
	return E_OK;
}

static int copy_checks(struct vmo *v, uint64_t offset, uint64_t len)
{
	int rc = check_range(v, offset, len, 0);

	if (!rc && v->cache != VMO_CACHED)
		rc = E_NOTSUP;
	return rc;
}

/* A whole page between page-aligned buffers: the arch's page copy, not memcpy(). */
static int whole_page(const void *a, const void *b, size_t n)
{
	return n == PAGE_SIZE && !(((uintptr_t)a | (uintptr_t)b) & PAGE_MASK);
}

static int to_kernel(void *page, uint64_t done, size_t n, void *ctx)
{
	char *dst = (char *)ctx + done;

	if (page && whole_page(dst, page, n))
		arch_copy_page(dst, page);
	else if (page)
		memcpy(dst, page, n);
	else
		memset(dst, 0, n);
	return E_OK;
}

static int from_kernel(void *page, uint64_t done, size_t n, void *ctx)
{
	const char *src = (const char *)ctx + done;

	if (whole_page(page, src, n))
		arch_copy_page(page, src);
	else
		memcpy(page, src, n);
	return E_OK;
}

static int to_user(void *page, uint64_t done, size_t n, void *ctx)
{
	uintptr_t u = *(uintptr_t *)ctx + done;

	if (page)
		return copy_to_user(u, page, n);
	for (size_t k = 0; k < n; k += sizeof(zeros)) {
		int rc = copy_to_user(u + k, zeros, n - k < sizeof(zeros) ? n - k : sizeof(zeros));

		if (rc)
			return rc;
	}
	return E_OK;
}

static int from_user(void *page, uint64_t done, size_t n, void *ctx)
{
	return copy_from_user(page, *(uintptr_t *)ctx + done, n);
}

int vmo_read(struct vmo *v, uint64_t offset, void *buf, uint64_t len)
{
	int rc = copy_checks(v, offset, len);

	return rc ? rc : copy_pages(v, offset, len, 0, to_kernel, buf);
}

int vmo_write(struct vmo *v, uint64_t offset, const void *buf, uint64_t len)
{
	int rc = copy_checks(v, offset, len);

	return rc ? rc : copy_pages(v, offset, len, 1, from_kernel, (void *)buf);
}

int vmo_read_user(struct vmo *v, uint64_t offset, uintptr_t ubuf, uint64_t len)
{
	int rc = copy_checks(v, offset, len);

	return rc ? rc : copy_pages(v, offset, len, 0, to_user, &ubuf);
}

int vmo_write_user(struct vmo *v, uint64_t offset, uintptr_t ubuf, uint64_t len)
{
	int rc = copy_checks(v, offset, len);

	return rc ? rc : copy_pages(v, offset, len, 1, from_user, &ubuf);
}

/* ---- commit, decommit, zero, resize ----------------------------------------------------- */

/*
 * Make every page of store offsets [start, start + size) that needs it
 * the store's own: all of them (commit), or those a backup shows (zero).
 * The pages it may need are allocated first, so it is all or nothing.
 */
static int make_own_locked(struct vmo_core *c, uint64_t start, uint64_t size, int all)
	REQUIRES(c->lock)
{
	struct anon_obj *s = c->store;
	struct anon_page *spares = NULL;
	struct cow_tree *t = cow_lock(s);
	uint64_t n = 0, o;
	int rc;

	for (o = start; o < start + size; o += PAGE_SIZE)
		n += !anon_lookup(s, o) && (all || (s->backup && anon_backup_lookup(s, o, NULL)));
	rc = anon_spares_alloc(&spares, n);
	for (o = start; !rc && o < start + size; o += PAGE_SIZE)
		if (!anon_lookup(s, o) && (all || (s->backup && anon_backup_lookup(s, o, NULL))))
			anon_cow_own(s, o, &spares);
	anon_spares_free(&spares);
	cow_unlock(t);
	return rc;
}

/* A page-range call: checked, then @fn under the lock once the range still fits. */
static int on_pages(struct vmo *v, uint64_t offset, uint64_t len,
                    int (*fn)(struct vmo_core *c, struct vmo *v, uint64_t offset, uint64_t len))
{
	unsigned long irq;
	int rc = check_range(v, offset, len, 1);

	if (rc)
		return rc;
	irq = core_lock(v->core);
	rc = fits_locked(v, offset, len);
	if (!rc)
		rc = fn(v->core, v, offset, len);   /* REQUIRES(c->lock) */
	core_unlock(v->core, irq);
	return rc;
}

static int commit_locked(struct vmo_core *c, struct vmo *v, uint64_t offset, uint64_t len)
	REQUIRES(c->lock)
{
	return c->block ? E_OK : make_own_locked(c, v->base + offset, len, 1);
}

int vmo_commit(struct vmo *v, uint64_t offset, uint64_t len)
{
	return on_pages(v, offset, len, commit_locked);
}

static int zero_locked(struct vmo_core *c, struct vmo *v, uint64_t offset, uint64_t len)
	REQUIRES(c->lock)
{
	int rc;

	if (c->block) {
		memset((char *)page_to_va(c->block) + v->base + offset, 0, len);
		return E_OK;
	}
	rc = make_own_locked(c, v->base + offset, len, 0);
	for (uint64_t o = offset; !rc && o < offset + len; o += PAGE_SIZE) {
		struct anon_page *ap = own_locked(c, v->base + o);

		if (ap)
			arch_clear_page(page_to_va(ap->page));
	}
	return rc;
}

int vmo_zero(struct vmo *v, uint64_t offset, uint64_t len)
{
	return on_pages(v, offset, len, zero_locked);
}

/* What forbids dropping store pages [start, start + size) of @c. */
static int drop_check_locked(struct vmo_core *c, uint64_t start, uint64_t size) REQUIRES(c->lock)
{
	struct cow_tree *t;
	int tree;

	if (pinned_locked(c, start, size))
		return E_BUSY;
	t = cow_lock(c->store);
	tree = c->store->backup != NULL;
	cow_unlock(t);
	return tree ? E_NOTSUP : E_OK;
}

/* Drop the pages (their leaves gone); the last reference frees each frame. */
static void release_locked(struct vmo_core *c, uint64_t start, uint64_t size) REQUIRES(c->lock)
{
	struct cow_tree *t = cow_lock(c->store);

	anon_release(c->store, start, size);
	cow_unlock(t);
}

/* E_BUSY when a pin overlaps store pages [start, start + size). */
static int pin_check_locked(struct vmo_core *c, uint64_t start, uint64_t size) REQUIRES(c->lock)
{
	return pinned_locked(c, start, size) ? E_BUSY : E_OK;
}

/*
 * Before changing the frames of [@offset, @offset + @len) of @v: check
 * that the range fits and that @check allows it, remove its leaves from
 * every mapping, and check both again, as the walk may have dropped the
 * lock.  E_OK, or the first error (the leaves may be gone: they fault
 * back).  The lock is held throughout, as far as the caller can tell.
 */
static int zap_checked_locked(struct vmo_core *c, struct vmo *v, uint64_t offset, uint64_t len,
                              int (*check)(struct vmo_core *c, uint64_t start, uint64_t size))
	REQUIRES(c->lock)
{
	int rc = E_OK;

	for (int pass = 0; pass < 2 && !rc; pass++) {
		rc = fits_locked(v, offset, len);
		if (!rc)
			rc = check(c, v->base + offset, len);
		if (!rc && !pass)
			zap_locked(c, v->base + offset, len);
	}
	return rc;
}

static int decommit_locked(struct vmo_core *c, struct vmo *v, uint64_t offset, uint64_t len)
	REQUIRES(c->lock)
{
	int rc = c->block ? E_NOTSUP : zap_checked_locked(c, v, offset, len, drop_check_locked);

	if (!rc)
		release_locked(c, v->base + offset, len);
	return rc;
}

int vmo_decommit(struct vmo *v, uint64_t offset, uint64_t len)
{
	return on_pages(v, offset, len, decommit_locked);
}

/*
 * The pages past @size go.  The walk may drop the lock, and another CPU
 * resize meanwhile: the cut is taken again until it held still.
 */
static int shrink_locked(struct vmo_core *c, struct vmo *v, uint64_t size) REQUIRES(c->lock)
{
	for (;;) {
		uint64_t old = v->size;
		int rc;

		if (old <= size)
			return E_OK;   /* shrunk further meanwhile: now a growth */
		rc = zap_checked_locked(c, v, size, old - size, drop_check_locked);
		if (rc == E_RANGE || (!rc && v->size != old))
			continue;
		if (rc)
			return rc == E_NOTSUP ? E_BUSY : rc;
		release_locked(c, v->base + size, old - size);
		return E_OK;
	}
}

int vmo_resize(struct vmo *v, uint64_t size)
{
	unsigned long irq;
	struct vmo_core *c;
	struct cow_tree *t;
	int rc = E_OK, tree;

	if (!v || !size)
		return E_INVAL;
	if (size & PAGE_MASK)
		return E_ALIGN;
	if (!(v->flags & VMO_RESIZABLE))
		return E_NOTSUP;
	c = v->core;
	irq = core_lock(c);
	t = cow_lock(c->store);
	tree = c->store->backup != NULL;
	cow_unlock(t);
	if (tree)
		rc = E_BUSY;
	else if (size < v->size)
		rc = shrink_locked(c, v, size);
	if (!rc) {
		v->size = size;
		c->store->end = v->base + size;
	}
	core_unlock(c, irq);
	return rc;
}

/* ---- clones and slices ----------------------------------------------------------------- */

/*
 * After the store forked (its whole index moved into the new backup @b),
 * the pages outside [start, start + size), which the clone cannot see,
 * go back to it: only the cloned range stays shared.
 */
static void give_back(struct anon_obj *s, struct anon_obj *b, uint64_t start, uint64_t size)
{
	struct anon_page *ap, *next;
	struct anon_page key = { .index = (start + size) >> PAGE_SHIFT };

	/* Below the range, then from its end: the pages inside are not walked. */
	for (ap = RB_MIN(anon_tree, &b->pages); ap; ap = next) {
		if (ap->index >= start >> PAGE_SHIFT && ap->index < key.index) {
			next = RB_NFIND(anon_tree, &b->pages, &key);   /* past the range */
			continue;
		}
		next = RB_NEXT(anon_tree, &b->pages, ap);
		RB_REMOVE(anon_tree, &b->pages, ap);
		b->npages--;
		anon_insert(s, ap);
	}
}

/* Fork the store (the lock held, the range's leaves gone): the new store, or NULL. */
static struct anon_obj *fork_store_locked(struct vmo_core *c, uint64_t start, uint64_t size)
	REQUIRES(c->lock)
{
	struct anon_obj *s = c->store, *child, *b;
	struct cow_tree *t;

	if (anon_fork_prepare(&s->obj))
		return NULL;
	child = to_anon(anon_fork_child(&s->obj));
	mem_obj_get(&child->obj);           /* ours, past the commit's put */
	b = s->fork_backup;
	anon_fork_commit(&s->obj);
	if (b) {
		t = cow_lock(s);
		give_back(s, b, start, size);
		cow_unlock(t);
	}
	return child;
}

static int child_checks(struct vmo *v, uint64_t offset, uint64_t len)
{
	return check_range(v, offset, len, 1);
}

static struct vmo *child_alloc(struct vmo *v, const char *name, uint64_t len)
{
	struct vmo *n = vmo_alloc(name, len, 0, v->cache);

	if (n)
		n->parent_id = v->id;
	return n;
}

int vmo_clone(struct vmo *v, uint64_t offset, uint64_t len, const char *name, struct vmo **out)
{
	struct vmo_core *c, *nc;
	struct anon_obj *store = NULL;
	struct vmo *n;
	unsigned long irq;
	int rc = child_checks(v, offset, len);

	if (rc)
		return rc;
	c = v->core;
	if (c->block || v->cache != VMO_CACHED)
		return E_NOTSUP;
	n = child_alloc(v, name, len);
	nc = n ? core_alloc() : NULL;
	if (!nc) {
		if (n)
			kmem_cache_free(vmo_cache, n);
		return E_NOMEM;
	}
	irq = core_lock(c);
	rc = zap_checked_locked(c, v, offset, len, pin_check_locked);
	if (!rc && !(store = fork_store_locked(c, v->base + offset, len)))
		rc = E_NOMEM;
	core_unlock(c, irq);
	if (rc) {
		kfree(nc);
		kmem_cache_free(vmo_cache, n);
		return rc;
	}
	nc->store = store;
	n->core = nc;
	n->base = v->base + offset;
	n->clone = 1;
	list_add(n);
	*out = n;
	return E_OK;
}

int vmo_slice(struct vmo *v, uint64_t offset, uint64_t len, const char *name, struct vmo **out)
{
	struct vmo *n;
	unsigned long irq;
	int rc = child_checks(v, offset, len);

	if (rc)
		return rc;
	if (v->flags & VMO_RESIZABLE)
		return E_NOTSUP;
	n = child_alloc(v, name, len);
	if (!n)
		return E_NOMEM;
	irq = core_lock(v->core);
	v->core->refs++;
	core_unlock(v->core, irq);
	vmo_get(v);
	n->core = v->core;
	n->base = v->base + offset;
	n->slice_of = v;
	list_add(n);
	*out = n;
	return E_OK;
}

/* ---- pins, physical pages ------------------------------------------------------------- */

/* Every page of store offsets [start, start + size) is committed: E_OK, else E_NOENT. */
static int committed_locked(struct vmo_core *c, uint64_t start, uint64_t size) REQUIRES(c->lock)
{
	for (uint64_t o = start; !c->block && o < start + size; o += PAGE_SIZE)
		if (!own_locked(c, o))
			return E_NOENT;
	return E_OK;
}

/* Take (@get 1) or drop the pin's frame references. */
static void pin_refs_locked(struct vmo_core *c, uint64_t start, uint64_t size, int get)
	REQUIRES(c->lock)
{
	for (uint64_t o = start; !c->block && o < start + size; o += PAGE_SIZE) {
		struct anon_page *ap = own_locked(c, o);

		if (!ap)
			panic("vmo: a pinned page is gone");
		if (get)
			page_get(ap->page);
		else
			page_put(ap->page);
	}
}

int vmo_pin(struct vmo *v, uint64_t offset, uint64_t len)
{
	struct vmo_pin *p;
	unsigned long irq;
	int rc = check_range(v, offset, len, 1);

	if (rc)
		return rc;
	p = kmalloc(sizeof(*p), KM_ZERO);
	if (!p)
		return E_NOMEM;
	p->v = v;
	p->start = v->base + offset;
	p->size = len;
	irq = core_lock(v->core);
	rc = fits_locked(v, offset, len);
	if (!rc)
		rc = committed_locked(v->core, p->start, len);
	if (!rc) {
		pin_refs_locked(v->core, p->start, len, 1);
		LIST_INSERT_HEAD(&v->core->pins, p, link);
		v->core->npins++;
		vmo_get(v);
	}
	core_unlock(v->core, irq);
	if (rc)
		kfree(p);
	return rc;
}

int vmo_unpin(struct vmo *v, uint64_t offset, uint64_t len)
{
	struct vmo_pin *p;
	unsigned long irq;
	int rc = check_range(v, offset, len, 1);

	if (rc)
		return rc;
	irq = core_lock(v->core);
	LIST_FOREACH(p, &v->core->pins, link)
		if (p->v == v && p->start == v->base + offset && p->size == len)
			break;
	if (p) {
		pin_refs_locked(v->core, p->start, len, 0);
		LIST_REMOVE(p, link);
		v->core->npins--;
	}
	core_unlock(v->core, irq);
	if (!p)
		return E_NOENT;
	kfree(p);
	vmo_put(v);
	return E_OK;
}

int vmo_lookup(struct vmo *v, uint64_t offset, uint64_t len, struct vmo_run *runs, size_t max,
               size_t *nruns)
{
	unsigned long irq;
	size_t n = 0;
	int rc = check_range(v, offset, len, 1);

	if (rc || !runs || !nruns)
		return rc ? rc : E_INVAL;
	irq = core_lock(v->core);
	rc = fits_locked(v, offset, len);
	if (!rc)
		rc = committed_locked(v->core, v->base + offset, len);
	for (uint64_t o = offset; !rc && o < offset + len; o += PAGE_SIZE) {
		paddr_t pa;

		frame_locked(v->core, v->base + o, 0, NULL, &pa);
		if (n && runs[n - 1].pa + runs[n - 1].size == pa) {
			runs[n - 1].size += PAGE_SIZE;
		} else if (n == max) {
			rc = E_NOSPC;
		} else {
			runs[n].pa = pa;
			runs[n++].size = PAGE_SIZE;
		}
	}
	core_unlock(v->core, irq);
	*nruns = n;
	return rc;
}

/* ---- cache policy and maintenance ---------------------------------------------------- */

/* arch_cache_maint() over what is committed of [offset, offset + len) of @v. */
static int maint_locked(struct vmo_core *c, struct vmo *v, uint64_t offset, uint64_t len,
                        unsigned op) REQUIRES(c->lock)
{
	int rc = E_OK;

	for (uint64_t done = 0; !rc && done < len;) {
		uint64_t pos = offset + done, in = pos & PAGE_MASK;
		uint64_t n = PAGE_SIZE - in < len - done ? PAGE_SIZE - in : len - done;
		paddr_t pa;

		if (!frame_locked(c, v->base + pos - in, 0, NULL, &pa))
			rc = arch_cache_maint(op, (char *)pa_to_va(pa) + in, n);
		done += n;
	}
	return rc;
}

int vmo_set_cache(struct vmo *v, unsigned policy)
{
	struct vmo_core *c;
	unsigned long irq;
	struct cow_tree *t;
	int rc = E_OK;

	if (!v || policy > VMO_DEVICE)
		return E_INVAL;
	c = v->core;
	irq = core_lock(c);
	if (c->store) {
		t = cow_lock(c->store);
		rc = c->store->backup ? E_BUSY : E_OK;
		cow_unlock(t);
	}
	if (!rc && (!LIST_EMPTY(&c->maps) || c->npins || c->refs > 1))
		rc = E_BUSY;
	if (!rc && v->cache == VMO_CACHED && policy != VMO_CACHED)
		maint_locked(c, v, 0, v->size, ARCH_CACHE_FLUSH);   /* E_NOTSUP: nothing to do */
	if (!rc) {
		v->cache = policy;
		v->obj.mmu_attrs = cache_attrs[policy];
	}
	core_unlock(c, irq);
	return rc;
}

int vmo_cache_op(struct vmo *v, uint64_t offset, uint64_t len, unsigned op)
{
	struct vmo_core *c;
	unsigned long irq;
	int rc = check_range(v, offset, len, 0);

	if (rc)
		return rc;
	if (!op || (op & ~ARCH_CACHE_FLUSH))
		return E_INVAL;
	c = v->core;
	irq = core_lock(c);
	rc = fits_locked(v, offset, len);
	if (!rc)
		rc = maint_locked(c, v, offset, len, op);
	core_unlock(c, irq);
	return rc;
}

/* ---- reports ------------------------------------------------------------------------------- */

void vmo_info(struct vmo *v, struct vmo_info *out)
{
	struct vmo_core *c = v->core;
	unsigned long irq = core_lock(c);
	struct vmo_pin *p;

	memset(out, 0, sizeof(*out));
	out->id = v->id;
	out->parent_id = v->parent_id;
	memcpy(out->name, v->name, sizeof(out->name));
	out->size = v->size;
	if (c->block) {
		out->committed = 1ull << c->order;
	} else {
		struct cow_tree *t = cow_lock(c->store);

		out->committed = c->store->npages;
		cow_unlock(t);
	}
	out->mappings = v->nmaps;
	LIST_FOREACH(p, &c->pins, link)
		out->pins += p->v == v;
	out->flags = v->flags;
	out->cache = v->cache;
	out->slice = v->slice_of != NULL;
	out->clone = v->clone;
	core_unlock(c, irq);
}

int vmo_traverse(int (*fn)(void *ctx, const struct vmo_info *info), void *ctx)
{
	unsigned long irq = spin_lock_irqsave(&vmo_list_lock);
	struct vmo *v;
	struct vmo_info info;
	int rc = 0;

	TAILQ_FOREACH(v, &vmo_list, link) {
		vmo_info(v, &info);
		rc = fn(ctx, &info);
		if (rc)
			break;
	}
	spin_unlock_irqrestore(&vmo_list_lock, irq);
	return rc;
}

void vmo_metadata(uint64_t *per_object, uint64_t *per_page)
{
	*per_object = sizeof(struct vmo) + sizeof(struct vmo_core) + sizeof(struct anon_obj);
	*per_page = sizeof(struct anon_page) + sizeof(struct page);
}

uint64_t vmo_count(void)
{
	unsigned long irq = spin_lock_irqsave(&vmo_list_lock);
	uint64_t n = vmo_live;

	spin_unlock_irqrestore(&vmo_list_lock, irq);
	return n;
}

static const struct mem_obj_ops vmo_ops = {
	.name = "vmo",
	.fault = vmo_fault,
	.unmapped = vmo_unmapped,
	.open = vmo_open,
	.close = vmo_close,
	.split = vmo_split,
	.expand = vmo_expand,
	.can_merge = vmo_can_merge,
	.merge = vmo_merge,
	.page_read = vmo_page_read,
	.page_write = vmo_page_write,
	.check_leaf = vmo_check_leaf,
	.destroy = vmo_destroy,
	.can_map = vmo_can_map,
	.fork_prepare = mem_obj_fork_shared,
	.fork_child = mem_obj_fork_same,
	.can_source = vmo_can_source,
	.page_at = vmo_page_at,
	.source_lock = vmo_source_lock,
	.source_unlock = vmo_source_unlock,
	.track = vmo_track,
};
