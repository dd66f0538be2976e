/*
 * Slab caches: creating and destroying them, growing and shrinking their
 * slabs, the per-CPU caches' refills and drains, statistics.  The
 * allocate/free fast paths are inline in mm/slab_internal.h.
 */
#include <stdio.h>
#include <string.h>
#include <lib/err.h>
#include <lib/panic.h>
#include <lib/words.h>
#include <mm/fail_inject.h>
#include <mm/heap.h>
#include <mm/page.h>
#include "slab_internal.h"

struct spinlock heap_caches_lock = SPINLOCK_INIT;
struct cache_list heap_caches = TAILQ_HEAD_INITIALIZER(heap_caches);
struct heap_cpu_capability heap_cpu;

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
	/* A CPU keeps up to 8 KiB of objects (32 at most, 2 at least);
	 * refills and drains move half of that. */
	c->cpu_limit = (uint32_t)(8192 / c->size);
	if (c->cpu_limit > KMEM_CPU_MAX)
		c->cpu_limit = KMEM_CPU_MAX;
	if (c->cpu_limit < 2)
		c->cpu_limit = 2;
	c->cpu_batch = c->cpu_limit / 2;
	return E_OK;
}

/* Set @c up empty, with a layout already chosen; no CPU can use it yet. */
static void cache_setup(struct kmem_cache *c, const char *name, unsigned flags)
{
	unsigned long irq;

	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++) {
		kc_enter_cpu(cpu, &irq);
		c->cpu[cpu].head = NULL;
		kc_set_room(&c->cpu[cpu], c->cpu_limit);
		kc_exit(irq);
	}
	spin_init(&c->lock);
	LIST_INIT(&c->partial);
	LIST_INIT(&c->full);
	c->nslabs = 0;
	c->nempty = 0;
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
	s->self = s;
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
	c->nempty++;
	return s;
}

void slab_release_locked(struct kmem_cache *c, struct slab *s) REQUIRES(c->lock)
{
	spin_assert_held(&c->lock);
	LIST_REMOVE(s, link);
	s->self = NULL;
	c->nslabs--;
	c->nempty--;
	page_free(va_to_page(s), c->order);
}

/* Take the first free object of @s, a slab of @c with one. */
static void *slab_pop_locked(struct kmem_cache *c, struct slab *s) REQUIRES(c->lock)
{
	void **obj = s->free;

	s->free = *obj;
	if (s->inuse++ == 0)
		c->nempty--;
	if (unlikely(!s->free)) {
		LIST_REMOVE(s, link);
		LIST_INSERT_HEAD(&c->full, s, link);
	}
	return obj;
}

/*
 * Give @obj back to its slab: a push on the slab's free list, which moves
 * a full slab to the partial list; a slab left empty goes back to the
 * frame allocator unless it is the cache's only empty one.  Keeping one
 * spares a cache whose objects come and go in batches (a fork's, a
 * process's exit) from building a slab each time, even while other slabs
 * of the cache are partly used.  Debug builds: @obj holds
 * its poison, and a double free whose first copy came back already is
 * caught here.
 */
static void slab_put_locked(struct kmem_cache *c, void *obj) REQUIRES(c->lock)
{
	struct slab *s = slab_of(c, obj);
	void *next = s->free;

	if (KDEBUG) {
		unsigned n = 0;   /* bounded: a corrupt list must not hang the check */

		for (void *f = next; f && n <= c->per_slab; f = *(void **)f, n++)
			if (f == obj)
				panic("heap: %p of \"%s\" freed twice (found when a CPU's cache gave "
				      "it back)", obj, c->name);
	}
	*(void **)obj = next;
	s->free = obj;
	if (unlikely(!next)) {
		LIST_REMOVE(s, link);
		LIST_INSERT_HEAD(&c->partial, s, link);
	}
	if (unlikely(--s->inuse == 0) && c->nempty++)
		slab_release_locked(c, s);   /* one empty slab is kept already */
}

/*
 * Give the @n oldest objects of @kc, a CPU's cache of @c, back to their
 * slabs: the list's tail, so the last freed (likeliest still in the
 * CPU's data cache) stay, as in the frame allocator's caches.
 */
static void kc_give_back_locked(struct kmem_cache *c, struct kmem_cpu *kc, unsigned long n)
	REQUIRES(c->lock, heap_cpu)
{
	unsigned long keep = c->cpu_limit - kc->room - n;
	void **link = &kc->head;
	void *obj;

	for (unsigned long i = 0; i < keep; i++)
		link = *link;
	obj = *link;
	*link = NULL;
	while (obj) {
		void *next = *(void **)obj;

		slab_put_locked(c, obj);
		obj = next;
	}
	kc_set_room(kc, kc->room + n);
}

/*
 * Fill @kc, this CPU's empty cache of @c, with a batch of objects from the
 * slabs, growing the cache as needed, in the order the slabs give them
 * (address order from a fresh slab).  Returns how many it took.
 */
static unsigned long kc_refill(struct kmem_cache *c, struct kmem_cpu *kc) REQUIRES(heap_cpu)
{
	void **tail = &kc->head;
	unsigned long n = 0;

	spin_lock(&c->lock);   /* interrupts are masked already */
	while (n < c->cpu_batch) {
		struct slab *s = LIST_FIRST(&c->partial);

		if (!s && !(s = slab_grow_locked(c)))
			break;
		*tail = slab_pop_locked(c, s);
		tail = *tail;
		n++;
	}
	*tail = NULL;
	kc_set_room(kc, kc->room - n);
	spin_unlock(&c->lock);
	return n;
}

/* Give every object of CPU @cpu's cache of @c back. */
static void kc_drain(struct kmem_cache *c, unsigned cpu) REQUIRES(heap_cpu)
{
	struct kmem_cpu *kc = &c->cpu[cpu];

	spin_lock(&c->lock);
	kc_give_back_locked(c, kc, c->cpu_limit - kc->room);
	spin_unlock(&c->lock);
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

/* Empty CPU @cpu's caches: of the cache @arg, or of every cache when NULL. */
static void heap_drain_cpu(unsigned cpu, void *arg)
{
	struct kmem_cache *one = arg, *c;
	unsigned long irq;

	kc_enter_cpu(cpu, &irq);
	if (one) {
		kc_drain(one, cpu);
	} else {
		spin_lock(&heap_caches_lock);
		TAILQ_FOREACH(c, &heap_caches, link)
			kc_drain(c, cpu);
		spin_unlock(&heap_caches_lock);
	}
	kc_exit(irq);
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
	mm_each_cpu(heap_drain_cpu, c);   /* objects cached by CPUs are free */
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

/* An object from this CPU's cache of @c, refilled when empty; NULL when there is no memory. */
static void *kc_alloc(struct kmem_cache *c)
{
	unsigned long irq;
	struct kmem_cpu *kc = kc_enter(c, &irq);
	void *obj = kc->head;

	if (!obj && kc_refill(c, kc))
		obj = kc->head;
	if (obj) {
		kc->head = *(void **)obj;
		kc_set_room(kc, kc->room + 1);
	}
	kc_exit(irq);
	return obj;
}

void *slab_alloc_slow(struct kmem_cache *c, unsigned flags)
{
	void *obj;

	if (alloc_fail_injected())
		return NULL;
	if (!c->size)
		panic("heap: cache \"%s\" used before heap_init()", c->name);
	obj = kc_alloc(c);
	if (!obj)
		return NULL;
	if (KDEBUG)
		slab_check_poison(c, obj);
	if (flags & KM_ZERO)
		words_clear(obj, c->size);   /* a multiple of the alignment, at least 8 */
	return obj;
}

void slab_free_slow(void *obj, struct kmem_cache *c)
{
	unsigned long irq;
	struct kmem_cpu *kc = kc_enter(c, &irq);

	if (KDEBUG) {
		const char *why;

		spin_lock(&c->lock);
		why = slab_free_problem(c, kc, obj);
		spin_unlock(&c->lock);
		if (why) {
			kc_exit(irq);
			panic("heap: freeing %p into \"%s\": %s", obj, c->name, why);
		}
		slab_poison(c, obj);
	}
	if (!kc->room) {
		spin_lock(&c->lock);
		kc_give_back_locked(c, kc, c->cpu_batch);
		spin_unlock(&c->lock);
	}
	*(void **)obj = kc->head;
	kc->head = obj;
	kc_set_room(kc, kc->room - 1);
	kc_exit(irq);
}

MM_FAST_PATH void *kmem_cache_alloc(struct kmem_cache *c, unsigned flags)
{
	return slab_alloc(c, flags);
}

/* kmem_cache_free()'s panic, by a tail call (MM_TAIL_PANIC). */
static void MM_TAIL_PANIC not_of_cache(const struct kmem_cache *c, const void *obj)
{
	panic("kmem_cache_free: %p is not an object of \"%s\"", obj, c->name);
}

MM_FAST_PATH void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	struct slab *s;

	if (!obj)
		return;
	s = slab_of(c, obj);
	if (unlikely(s->cache != c))
		return not_of_cache(c, obj);
	slab_free(c, obj);
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
	uint64_t inuse = 0, cached = 0;
	struct slab *s;

	st->name = c->name;
	st->obj_size = c->size;
	st->align = c->align;
	st->objs_per_slab = c->per_slab;
	st->pages_per_slab = 1u << c->order;
	st->slabs = c->nslabs;
	st->objs_total = c->nslabs * c->per_slab;
	st->pages = c->nslabs << c->order;
	LIST_FOREACH(s, &c->partial, link)
		inuse += s->inuse;
	LIST_FOREACH(s, &c->full, link)
		inuse += s->inuse;
	/* Under the lock no refill or drain moves objects: one snapshot. */
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++)
		cached += kc_cached_of(c, cpu);
	st->objs_cached = cached;
	st->objs_inuse = inuse - cached;
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
	unsigned long irq;
	struct kmem_cache *c;

	mm_each_cpu(heap_drain_cpu, NULL);
	irq = spin_lock_irqsave(&heap_caches_lock);
	TAILQ_FOREACH(c, &heap_caches, link)
		cache_shrink(c);
	spin_unlock_irqrestore(&heap_caches_lock, irq);
}

/*
 * Frames in the CPUs' frame caches count as free already; they are
 * drained all the same, so that whoever runs next (the next self-test
 * case) finds every free frame on the lists, reachable from any CPU.
 */
static void (*reclaim)(void);   /* atomic */

void heap_set_reclaim(void (*fn)(void))
{
	__atomic_store_n(&reclaim, fn, __ATOMIC_RELEASE);
}

uint64_t heap_free_frames_settled(void)
{
	void (*fn)(void) = __atomic_load_n(&reclaim, __ATOMIC_ACQUIRE);

	if (fn)
		fn();
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
