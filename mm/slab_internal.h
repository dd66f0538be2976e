/*
 * Private to the heap (mm/slab.c, mm/kmalloc.c): cache and slab layout,
 * and the allocate/free fast paths both files inline.
 *
 * A cache keeps its slabs on two lists: partial (at least one free object;
 * at most one slab there is completely free, kept to avoid asking the frame
 * allocator on every alloc/free cycle) and full.  Allocation pops the
 * first partial slab's free list; freeing pushes onto the object's slab.
 */
#ifndef MM_SLAB_INTERNAL_H
#define MM_SLAB_INTERNAL_H

#include <stdint.h>
#include <string.h>
#include <sys/queue.h>
#include <lib/panic.h>
#include <lib/spinlock.h>
#include <mm/heap.h>

#define SLAB_MAGIC     0x51ab51abu
#define SLAB_MAX_ORDER 3            /* slabs up to 32 KiB */
#define OBJ_POISON     0x6b         /* free objects, past their link word */

#define unlikely(x) __builtin_expect(!!(x), 0)
#define likely(x)   __builtin_expect(!!(x), 1)

/* At the start of every slab. */
struct slab {
	struct kmem_cache *cache;
	void *free;                  /* first free object; each links the next */
	LIST_ENTRY(slab) link;       /* on the cache's partial or full list */
	uint32_t inuse;              /* allocated objects */
	uint32_t magic;              /* SLAB_MAGIC while it is a live slab */
};

LIST_HEAD(slab_list, slab);

enum {
	CACHE_BUILTIN = 1 << 0,      /* the heap's own: never destroyed */
	CACHE_KMALLOC = 1 << 1,      /* a kmalloc size class: kfree may free */
};

/* Guards the list of every cache (mm/slab.c); taken before any cache's lock. */
extern struct spinlock heap_caches_lock;

/*
 * The lock guards the lists, the slabs on them and nslabs; the layout
 * fields are set before the cache is registered and never change.  (The
 * analysis cannot name a member's own struct's lock: the functions that
 * need it say REQUIRES(c->lock) instead.)
 */
struct kmem_cache {
	struct spinlock lock ACQUIRED_AFTER(heap_caches_lock);
	struct slab_list partial;
	struct slab_list full;
	uint32_t size;               /* object stride, a multiple of align */
	uint32_t align;
	uint32_t first;              /* offset of the first object in a slab */
	uint32_t per_slab;           /* objects per slab */
	uint8_t order;               /* a slab is 2^order frames */
	uint8_t flags;
	uint64_t nslabs;
	TAILQ_ENTRY(kmem_cache) link GUARDED_BY(heap_caches_lock); /* on heap_caches */
	char name[KMEM_NAME_MAX];
};

TAILQ_HEAD(cache_list, kmem_cache);

/* Every cache, oldest first (mm/slab.c). */
extern struct cache_list heap_caches GUARDED_BY(heap_caches_lock);

/* Slow paths (mm/slab.c). */

/* No partial slab: add one.  Lock held; returns the slab or NULL. */
struct slab *slab_grow_locked(struct kmem_cache *c) REQUIRES(c->lock);

/* Give the frames of @s (no object in use) back.  Lock held. */
void slab_release_locked(struct kmem_cache *c, struct slab *s) REQUIRES(c->lock);

/*
 * slab_release_locked(), then drop the lock taken with @irq.  Out of line
 * and called last, so slab_free() stays a leaf function on its fast path.
 */
void slab_release_unlock(struct kmem_cache *c, struct slab *s, unsigned long irq)
	RELEASE(c->lock);

/*
 * Lay out and register one of the heap's own caches (never destroyed),
 * with slabs of at most 2^@max_order frames.  Panics when none fits.
 */
void heap_builtin_cache(struct kmem_cache *c, const char *name, size_t size,
                        size_t align, unsigned max_order, unsigned flags);

/* mm/kmalloc.c: set up the size classes; count the large blocks. */
void kmalloc_init(void);
void kmalloc_large_stats(uint64_t *blocks, uint64_t *pages);

/* Debug builds (mm/slab_debug.c): check a free object's poison / vet a free (panic). */
void slab_check_poison(const struct kmem_cache *c, const void *obj);
void slab_check_free_locked(struct kmem_cache *c, const struct slab *s, const void *obj,
                            unsigned long irq) REQUIRES(c->lock);

static inline void slab_poison(const struct kmem_cache *c, void *obj)
{
	memset((char *)obj + sizeof(void *), OBJ_POISON, c->size - sizeof(void *));
}

/* Take the first free object of @s, a slab of @c with one.  Lock held. */
static inline void *slab_pop_locked(struct kmem_cache *c, struct slab *s) REQUIRES(c->lock)
{
	void **obj = s->free;

	s->free = *obj;
	s->inuse++;
	if (unlikely(!s->free)) {
		LIST_REMOVE(s, link);
		LIST_INSERT_HEAD(&c->full, s, link);
	}
	return obj;
}

/* slab_alloc() in full: growing the cache, the poison check, zeroing. */
void *slab_alloc_slow(struct kmem_cache *c, unsigned flags);

/*
 * The fast path pops the first partial slab's free list; everything else
 * (no partial slab, zeroing, debug checks) goes the slow way.
 */
static inline void *slab_alloc(struct kmem_cache *c, unsigned flags)
{
	unsigned long irq;
	struct slab *s;
	void *obj;

	if (KDEBUG || flags)
		return slab_alloc_slow(c, flags);
	irq = spin_lock_irqsave(&c->lock);
	s = LIST_FIRST(&c->partial);
	if (unlikely(!s)) {
		spin_unlock_irqrestore(&c->lock, irq);
		return slab_alloc_slow(c, flags);
	}
	obj = slab_pop_locked(c, s);
	spin_unlock_irqrestore(&c->lock, irq);
	return obj;
}

/* A full slab got an object back: it has room again. */
static inline void slab_unfull_locked(struct kmem_cache *c, struct slab *s) REQUIRES(c->lock)
{
	LIST_REMOVE(s, link);
	LIST_INSERT_HEAD(&c->partial, s, link);
}

/* Give @obj back to its slab @s of @c: a push, unless the slab changes list. */
static inline void slab_free(struct kmem_cache *c, struct slab *s, void *obj)
{
	unsigned long irq = spin_lock_irqsave(&c->lock);
	void *next = s->free;

	if (KDEBUG) {
		slab_check_free_locked(c, s, obj, irq);
		slab_poison(c, obj);
	}
	*(void **)obj = next;
	s->free = obj;
	if (unlikely(!next))
		slab_unfull_locked(c, s);
	/* An empty slab stays when it is the only one with room: the next
	 * allocation would need a slab again at once. */
	if (unlikely(--s->inuse == 0) &&
	    (LIST_FIRST(&c->partial) != s || LIST_NEXT(s, link)))
		return slab_release_unlock(c, s, irq);
	spin_unlock_irqrestore(&c->lock, irq);
}

#endif
