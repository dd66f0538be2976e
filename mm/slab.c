/*
 * Slab caches: creating and destroying them, growing and shrinking their
 * slabs, statistics and the invariant checker.  The allocate/free fast
 * paths are inline in mm/slab_internal.h.
 */
#include <stdio.h>
#include <string.h>
#include <lib/err.h>
#include <lib/panic.h>
#include <mm/fail_inject.h>
#include <mm/heap.h>
#include <mm/page.h>
#include "slab_internal.h"

struct spinlock heap_caches_lock = SPINLOCK_INIT;
struct cache_list heap_caches = TAILQ_HEAD_INITIALIZER(heap_caches);

/* Where kmem_cache_create() takes its struct kmem_cache from. */
static struct kmem_cache cache_cache;

static size_t round_up(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* Bytes a slab of @order leaves unused with @c's layout. */
static size_t slab_waste(const struct kmem_cache *c, unsigned order)
{
	size_t bytes = PAGE_SIZE << order;

	return (bytes - c->first) % c->size;
}

/*
 * Lay out @c for objects of @size bytes aligned to @align: the stride, the
 * first object's offset past the header, and the slab order: the smallest
 * that wastes at most an eighth of the slab (at most @max_order).
 * Returns E_OK, or E_INVAL when no slab of @max_order holds one object.
 */
static int cache_layout(struct kmem_cache *c, size_t size, size_t align, unsigned max_order)
{
	size_t bytes;

	if (align < sizeof(void *))
		align = sizeof(void *);   /* free objects hold a pointer */
	c->align = (uint32_t)align;
	c->size = (uint32_t)round_up(size < sizeof(void *) ? sizeof(void *) : size, align);
	c->first = (uint32_t)round_up(sizeof(struct slab), align);
	if (c->first + c->size > (PAGE_SIZE << max_order))
		return E_INVAL;
	c->order = 0;
	while (c->order < max_order &&
	       (c->first + c->size > (PAGE_SIZE << c->order) ||
	        slab_waste(c, c->order) * 8 > (PAGE_SIZE << c->order)))
		c->order++;
	bytes = PAGE_SIZE << c->order;
	c->per_slab = (uint32_t)((bytes - c->first) / c->size);
	return E_OK;
}

/* Set @c up empty, with a layout already chosen. */
static void cache_setup(struct kmem_cache *c, const char *name, unsigned flags)
{
	spin_init(&c->lock);
	LIST_INIT(&c->partial);
	LIST_INIT(&c->full);
	c->nslabs = 0;
	c->flags = (uint8_t)flags;
	snprintf(c->name, sizeof(c->name), "%s", name);
}

static void cache_register(struct kmem_cache *c)
{
	unsigned long irq = spin_lock_irqsave(&heap_caches_lock);

	TAILQ_INSERT_TAIL(&heap_caches, c, link);
	spin_unlock_irqrestore(&heap_caches_lock, irq);
}

/* ---- slabs ------------------------------------------------------------- */

static struct slab *slab_of(const struct kmem_cache *c, const void *obj)
{
	return (struct slab *)((uintptr_t)obj & ~((PAGE_SIZE << c->order) - 1));
}

struct slab *slab_grow_locked(struct kmem_cache *c) REQUIRES(c->lock)
{
	struct page *pg;
	struct slab *s;
	char *obj;

	spin_assert_held(&c->lock);
	if (!c->size)
		panic("heap: cache \"%s\" used before heap_init()", c->name);
	pg = page_alloc(c->order, 0);
	if (!pg)
		return NULL;
	s = page_to_va(pg);
	s->cache = c;
	s->inuse = 0;
	s->magic = SLAB_MAGIC;
	s->free = NULL;
	/* Link back to front, so objects go out in address order. */
	obj = (char *)s + c->first + (size_t)(c->per_slab - 1) * c->size;
	for (unsigned i = 0; i < c->per_slab; i++, obj -= c->size) {
		*(void **)obj = s->free;
		s->free = obj;
		if (KDEBUG)
			slab_poison(c, obj);
	}
	LIST_INSERT_HEAD(&c->partial, s, link);
	c->nslabs++;
	return s;
}

void slab_release_locked(struct kmem_cache *c, struct slab *s) REQUIRES(c->lock)
{
	spin_assert_held(&c->lock);
	LIST_REMOVE(s, link);
	s->magic = 0;
	c->nslabs--;
	page_free(va_to_page(s), c->order);
}

void slab_release_unlock(struct kmem_cache *c, struct slab *s, unsigned long irq)
	RELEASE(c->lock)
{
	slab_release_locked(c, s);
	spin_unlock_irqrestore(&c->lock, irq);
}

/* Release every empty slab of @c. */
static void cache_shrink(struct kmem_cache *c)
{
	unsigned long irq = spin_lock_irqsave(&c->lock);
	struct slab *s = LIST_FIRST(&c->partial);

	while (s) {
		struct slab *next = LIST_NEXT(s, link);

		if (!s->inuse)
			slab_release_locked(c, s);
		s = next;
	}
	spin_unlock_irqrestore(&c->lock, irq);
}

/* ---- caches -------------------------------------------------------------- */

struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align)
{
	struct kmem_cache layout, *c;

	if (!size || size > (PAGE_SIZE << SLAB_MAX_ORDER) || (align & (align - 1)) ||
	    align > PAGE_SIZE)
		return NULL;
	if (cache_layout(&layout, size, align, SLAB_MAX_ORDER))
		return NULL;
	c = slab_alloc(&cache_cache, KM_ZERO);
	if (!c)
		return NULL;
	*c = layout;
	cache_setup(c, name ? name : "?", 0);
	cache_register(c);
	return c;
}

int kmem_cache_destroy(struct kmem_cache *c)
{
	unsigned long irq;

	if (c->flags & CACHE_BUILTIN)
		return E_PERM;
	irq = spin_lock_irqsave(&heap_caches_lock);
	spin_lock(&c->lock);
	int busy = !LIST_EMPTY(&c->full);
	struct slab *s;

	LIST_FOREACH(s, &c->partial, link)
		busy |= s->inuse != 0;
	if (busy) {
		spin_unlock(&c->lock);
		spin_unlock_irqrestore(&heap_caches_lock, irq);
		return E_BUSY;
	}
	while ((s = LIST_FIRST(&c->partial)))
		slab_release_locked(c, s);
	TAILQ_REMOVE(&heap_caches, c, link);
	spin_unlock(&c->lock);
	spin_unlock_irqrestore(&heap_caches_lock, irq);
	kmem_cache_free(&cache_cache, c);
	return E_OK;
}

void *slab_alloc_slow(struct kmem_cache *c, unsigned flags)
{
	unsigned long irq;
	struct slab *s;
	void *obj;

	if (alloc_fail_injected())
		return NULL;
	irq = spin_lock_irqsave(&c->lock);
	s = LIST_FIRST(&c->partial);
	if (!s && !(s = slab_grow_locked(c))) {
		spin_unlock_irqrestore(&c->lock, irq);
		return NULL;
	}
	obj = slab_pop_locked(c, s);
	spin_unlock_irqrestore(&c->lock, irq);
	if (KDEBUG)
		slab_check_poison(c, obj);
	if (flags & KM_ZERO)
		memset(obj, 0, c->size);
	return obj;
}

void *kmem_cache_alloc(struct kmem_cache *c, unsigned flags)
{
	return slab_alloc(c, flags);
}

void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	struct slab *s;

	if (!obj)
		return;
	s = slab_of(c, obj);
	if (unlikely(s->cache != c))
		panic("kmem_cache_free: %p is not an object of \"%s\"", obj, c->name);
	slab_free(c, s, obj);
}

size_t kmem_cache_size(const struct kmem_cache *c)
{
	return c->size;
}

/* ---- setting up ------------------------------------------------------------ */

void heap_builtin_cache(struct kmem_cache *c, const char *name, size_t size,
                        size_t align, unsigned max_order, unsigned flags)
{
	if (cache_layout(c, size, align, max_order))
		panic("heap: no layout for \"%s\"", name);
	cache_setup(c, name, flags | CACHE_BUILTIN);
	cache_register(c);
}

void heap_init(void)
{
	spin_init(&heap_caches_lock);
	TAILQ_INIT(&heap_caches);
	heap_builtin_cache(&cache_cache, "kmem_cache", sizeof(struct kmem_cache),
	                   _Alignof(struct kmem_cache), 0, 0);
	kmalloc_init();
}

/* ---- statistics ------------------------------------------------------------- */

void kmem_cache_stats(struct kmem_cache *c, struct kmem_cache_stats *st)
{
	unsigned long irq = spin_lock_irqsave(&c->lock);
	struct slab *s;

	st->name = c->name;
	st->obj_size = c->size;
	st->align = c->align;
	st->objs_per_slab = c->per_slab;
	st->pages_per_slab = 1u << c->order;
	st->slabs = c->nslabs;
	st->objs_total = c->nslabs * c->per_slab;
	st->pages = c->nslabs << c->order;
	st->objs_inuse = 0;
	LIST_FOREACH(s, &c->partial, link)
		st->objs_inuse += s->inuse;
	LIST_FOREACH(s, &c->full, link)
		st->objs_inuse += s->inuse;
	spin_unlock_irqrestore(&c->lock, irq);
}

void kmem_cache_foreach(void (*fn)(const struct kmem_cache_stats *st, void *ctx), void *ctx)
{
	unsigned long irq = spin_lock_irqsave(&heap_caches_lock);
	struct kmem_cache *c;
	struct kmem_cache_stats st;

	TAILQ_FOREACH(c, &heap_caches, link) {
		kmem_cache_stats(c, &st);
		fn(&st, ctx);
	}
	spin_unlock_irqrestore(&heap_caches_lock, irq);
}

void heap_shrink(void)
{
	unsigned long irq = spin_lock_irqsave(&heap_caches_lock);
	struct kmem_cache *c;

	TAILQ_FOREACH(c, &heap_caches, link)
		cache_shrink(c);
	spin_unlock_irqrestore(&heap_caches_lock, irq);
}

uint64_t heap_free_frames_settled(void)
{
	heap_shrink();
	pmm_drain_cache();
	return pmm_free_frames();
}

void heap_stats(struct heap_stats *st)
{
	unsigned long irq = spin_lock_irqsave(&heap_caches_lock);
	struct kmem_cache *c;

	st->caches = 0;
	st->slab_pages = 0;
	TAILQ_FOREACH(c, &heap_caches, link) {
		st->caches++;
		st->slab_pages += __atomic_load_n(&c->nslabs, __ATOMIC_RELAXED) << c->order;
	}
	spin_unlock_irqrestore(&heap_caches_lock, irq);
	kmalloc_large_stats(&st->large_blocks, &st->large_pages);
}
