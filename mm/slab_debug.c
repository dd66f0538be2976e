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

const char *slab_free_problem(struct kmem_cache *c, const struct kmem_cpu *kc, const void *obj)
	REQUIRES(c->lock, heap_cpu)
{
	const struct slab *s = (const struct slab *)((uintptr_t)obj &
	                                             ~((PAGE_SIZE << c->order) - 1));
	uintptr_t off = (uintptr_t)obj - (uintptr_t)s - c->first;
	unsigned n = 0;

	if (!slab_is_live(s) || s->cache != c)
		return "not in a slab of this cache";
	if (off % c->size || off / c->size >= c->per_slab)
		return "not the start of an object";
	/* Bounded: a corrupt list must not hang the check. */
	for (void *f = s->free; f && n <= c->per_slab; f = *(void **)f, n++)
		if (f == obj)
			return "already free (double free)";
	n = 0;
	for (void *f = kc->head; f && n <= c->cpu_limit; f = *(void **)f, n++)
		if (f == obj)
			return "already free (double free, in this CPU's cache)";
	return NULL;
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
	if (!slab_is_live(s) || s->cache != c)
		return corrupt(c, "slab %p: bad header (self %p, cache %p)",
		               (const void *)s, (const void *)s->self, (const void *)s->cache);
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

/* Is @obj on a CPU's cache of @c before it reaches @stop (or the end)? */
static int kc_holds(const struct kmem_cache *c, unsigned cpu, const void *stop, const void *obj)
	REQUIRES(heap_cpu)
{
	unsigned n = 0;

	for (const void *f = c->cpu[cpu].head; f && f != stop && n <= c->cpu_limit;
	     f = *(void *const *)f, n++)
		if (f == obj)
			return 1;
	return 0;
}

/*
 * Every CPU's cache of @c: as many objects as its room says, each the
 * start of an object of a live slab of @c that counts it in use, not free
 * in its slab, on no other list; in debug builds still poisoned.
 */
static int check_cpu_caches(struct kmem_cache *c) REQUIRES(c->lock, heap_cpu)
{
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++) {
		const struct kmem_cpu *kc = &c->cpu[cpu];
		unsigned long n = 0;

		if (kc->room > c->cpu_limit)
			return corrupt(c, "CPU %u's cache has room for %lu, more than its %u",
			               cpu, kc->room, c->cpu_limit);
		for (const char *f = kc->head; f; f = *(char *const *)f) {
			const struct slab *s = (const struct slab *)((uintptr_t)f &
			                                             ~((PAGE_SIZE << c->order) - 1));
			uintptr_t off = (uintptr_t)f - (uintptr_t)s - c->first;

			if (++n > c->cpu_limit - kc->room)
				return corrupt(c, "CPU %u's cache holds more than the %lu objects it counts",
				               cpu, c->cpu_limit - kc->room);
			if ((uintptr_t)f < (uintptr_t)s + c->first || !slab_is_live(s) ||
			    s->cache != c || off % c->size || off / c->size >= c->per_slab)
				return corrupt(c, "CPU %u's cache holds %p, not an object of this cache",
				               cpu, (const void *)f);
			if (!s->inuse)
				return corrupt(c, "CPU %u's cache holds %p of slab %p, which has none in use",
				               cpu, (const void *)f, (const void *)s);
			for (const char *g = s->free; g; g = *(char *const *)g)
				if (g == f)
					return corrupt(c, "%p is both in CPU %u's cache and free in its slab",
					               (const void *)f, cpu);
			for (unsigned other = 0; other <= cpu; other++)
				if (kc_holds(c, other, other == cpu ? f : NULL, f))
					return corrupt(c, "%p is cached twice (CPUs %u and %u)",
					               (const void *)f, other, cpu);
			if (KDEBUG && poison_broken_at(c, f))
				return corrupt(c, "free object %p (CPU %u's cache) written at offset %zu",
				               (const void *)f, cpu, poison_broken_at(c, f));
		}
		if (n != c->cpu_limit - kc->room)
			return corrupt(c, "CPU %u's cache holds %lu objects, counts %lu", cpu, n,
			               c->cpu_limit - kc->room);
	}
	return E_OK;
}

static int check_cache(struct kmem_cache *c) REQUIRES(heap_cpu)
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
	if (!rc && empty != c->nempty)
		rc = corrupt(c, "%llu empty slabs, %llu counted", (unsigned long long)empty,
		             (unsigned long long)c->nempty);
	if (!rc)
		rc = check_cpu_caches(c);
	spin_unlock_irqrestore(&c->lock, irq);
	return rc;
}

/* Every CPU's caches are read from here: no other CPU may be using the heap. */
int heap_check(void)
{
	unsigned long irq, irq2;
	struct kmem_cache *c;
	int rc = E_OK;

	kc_enter_cpu(0, &irq);
	irq2 = spin_lock_irqsave(&heap_caches_lock);
	TAILQ_FOREACH(c, &heap_caches, link)
		if (!rc)
			rc = check_cache(c);
	spin_unlock_irqrestore(&heap_caches_lock, irq2);
	kc_exit(irq);
	return rc;
}
