/*
 * The heap's checking side: poison and double-free checks for debug
 * builds, and heap_check() for tests.
 */
#include <stdarg.h>
#include <stdio.h>
#include <lib/err.h>
#include <lib/panic.h>
#include <mm/heap.h>
#include <mm/page.h>
#include "slab_internal.h"

/* Offset of the first byte of @obj past its link word that lost its poison, or 0. */
static size_t poison_broken_at(const struct kmem_cache *c, const void *obj)
{
	const unsigned char *b = obj;

	for (size_t i = sizeof(void *); i < c->size; i++)
		if (b[i] != OBJ_POISON)
			return i;
	return 0;
}

void slab_check_poison(const struct kmem_cache *c, const void *obj)
{
	size_t i = poison_broken_at(c, obj);

	if (i)
		panic("heap: use after free: %p (offset %zu in a %s object at %p) "
		      "holds 0x%02x, written after it was freed",
		      (const void *)((const char *)obj + i), i, c->name, obj,
		      ((const unsigned char *)obj)[i]);
}

void slab_check_free_locked(struct kmem_cache *c, const struct slab *s, const void *obj,
                            unsigned long irq) REQUIRES(c->lock)
{
	uintptr_t off = (uintptr_t)obj - (uintptr_t)s - c->first;
	const char *why = NULL;

	if (s->magic != SLAB_MAGIC || s->cache != c)
		why = "not in a slab of this cache";
	else if (off % c->size || off / c->size >= c->per_slab)
		why = "not the start of an object";
	else {
		/* Bounded: a corrupt list must not hang the check. */
		unsigned n = 0;

		for (void *f = s->free; f && n <= c->per_slab; f = *(void **)f, n++)
			if (f == obj) {
				why = "already free (double free)";
				break;
			}
	}
	if (why) {
		spin_unlock_irqrestore(&c->lock, irq);
		panic("heap: freeing %p into \"%s\": %s", obj, c->name, why);
	}
}

/* ---- heap_check ------------------------------------------------------------ */

static int __attribute__((format(printf, 2, 3)))
corrupt(const struct kmem_cache *c, const char *fmt, ...)
{
	va_list ap;

	printf("heap_check: cache \"%s\": ", c->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return E_CORRUPT;
}

/* One slab of @c, on its full list when @full. */
static int check_slab(const struct kmem_cache *c, const struct slab *s, int full)
{
	uintptr_t bytes = PAGE_SIZE << c->order, base = (uintptr_t)s;
	struct page *pg = va_to_page(s);
	unsigned nfree = 0;

	if ((base & (bytes - 1)) || !pg || page_refcount(pg) != 1)
		return corrupt(c, "slab %p is not a block of frames of its own", (const void *)s);
	if (s->magic != SLAB_MAGIC || s->cache != c)
		return corrupt(c, "slab %p: bad header (magic 0x%x, cache %p)",
		               (const void *)s, s->magic, (const void *)s->cache);
	for (const char *f = s->free; f; f = *(char *const *)f) {
		uintptr_t off = (uintptr_t)f - base - c->first;

		if ((uintptr_t)f < base + c->first || off % c->size || off / c->size >= c->per_slab)
			return corrupt(c, "slab %p: free list holds %p, not an object of it",
			               (const void *)s, (const void *)f);
		if (++nfree > c->per_slab)
			return corrupt(c, "slab %p: free list loops", (const void *)s);
		if (KDEBUG && poison_broken_at(c, f))
			return corrupt(c, "free object %p written at offset %zu", (const void *)f,
			               poison_broken_at(c, f));
	}
	if (s->inuse + nfree != c->per_slab)
		return corrupt(c, "slab %p: %u in use + %u free != %u", (const void *)s,
		               s->inuse, nfree, c->per_slab);
	if (full != (nfree == 0))
		return corrupt(c, "slab %p with %u free objects is on the %s list",
		               (const void *)s, nfree, full ? "full" : "partial");
	return E_OK;
}

static int check_cache(struct kmem_cache *c)
{
	unsigned long irq = spin_lock_irqsave(&c->lock);
	uint64_t slabs = 0, empty = 0;
	struct slab *s;
	int rc = E_OK;

	LIST_FOREACH(s, &c->partial, link) {
		if (rc || ++slabs > c->nslabs)
			break;
		rc = check_slab(c, s, 0);
		empty += !s->inuse;
	}
	LIST_FOREACH(s, &c->full, link) {
		if (rc || ++slabs > c->nslabs)
			break;
		rc = check_slab(c, s, 1);
	}
	if (!rc && slabs != c->nslabs)
		rc = corrupt(c, "%llu slabs on the lists, %llu counted",
		             (unsigned long long)slabs, (unsigned long long)c->nslabs);
	if (!rc && empty > 1)
		rc = corrupt(c, "%llu empty slabs kept", (unsigned long long)empty);
	spin_unlock_irqrestore(&c->lock, irq);
	return rc;
}

int heap_check(void)
{
	unsigned long irq = spin_lock_irqsave(&heap_caches_lock);
	struct kmem_cache *c;
	int rc = E_OK;

	TAILQ_FOREACH(c, &heap_caches, link)
		if (!rc)
			rc = check_cache(c);
	spin_unlock_irqrestore(&heap_caches_lock, irq);
	return rc;
}
