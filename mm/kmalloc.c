/*
 * kmalloc and friends: power-of-two size classes on slab caches, whole
 * frames for anything larger.  See mm/include/mm/heap.h for the contract.
 */
#include <string.h>
#include <lib/panic.h>
#include <mm/heap.h>
#include <mm/page.h>
#include "slab_internal.h"

#define NCLASSES 7   /* 16, 32, ..., 1024 */

_Static_assert(KMALLOC_MIN_CLASS << (NCLASSES - 1) == KMALLOC_MAX_CLASS, "classes");
_Static_assert(KMALLOC_MAX_SIZE == PAGE_SIZE << PAGE_MAX_ORDER, "largest block");

/*
 * Single-page slabs, header first: a kmalloc object is never page-aligned,
 * and its slab header is at the start of its page.
 */
static struct kmem_cache classes[NCLASSES];

/* The cache for a request of n bytes (1 <= n <= 1024): class_of[(n - 1) / 16]. */
static struct kmem_cache *const class_of[KMALLOC_MAX_CLASS / 16] = {
	[0] = &classes[0], [1] = &classes[1], [2 ... 3] = &classes[2],
	[4 ... 7] = &classes[3], [8 ... 15] = &classes[4], [16 ... 31] = &classes[5],
	[32 ... 63] = &classes[6],
};

/* Live large blocks and their frames (statistics only). */
static uint64_t large_blocks, large_pages;

void kmalloc_init(void)
{
	static const char *const names[NCLASSES] = {
		"kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-128",
		"kmalloc-256", "kmalloc-512", "kmalloc-1024",
	};

	for (unsigned i = 0; i < NCLASSES; i++) {
		size_t size = (size_t)KMALLOC_MIN_CLASS << i;

		heap_builtin_cache(&classes[i], names[i], size, size < 64 ? size : 64, 0,
		                   CACHE_KMALLOC);
	}
	__atomic_store_n(&large_blocks, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&large_pages, 0, __ATOMIC_RELAXED);
}

void kmalloc_large_stats(uint64_t *blocks, uint64_t *pages)
{
	*blocks = __atomic_load_n(&large_blocks, __ATOMIC_RELAXED);
	*pages = __atomic_load_n(&large_pages, __ATOMIC_RELAXED);
}

/* Smallest order whose block holds @size bytes (size <= KMALLOC_MAX_SIZE). */
static unsigned order_for(size_t size)
{
	unsigned o = 0;

	while ((PAGE_SIZE << o) < size)
		o++;
	return o;
}

static void *large_alloc(unsigned order, unsigned flags)
{
	struct page *p = page_alloc(order, flags & KM_ZERO);

	if (!p)
		return NULL;
	__atomic_fetch_add(&large_blocks, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&large_pages, 1ull << order, __ATOMIC_RELAXED);
	return page_to_va(p);
}

/* Everything kmalloc's fast path does not take: 0 and large sizes. */
static void *__attribute__((noinline)) kmalloc_slow(size_t size, unsigned flags)
{
	if (size == 0)
		return kmalloc(1, flags);   /* a unique pointer: NULL means failure */
	if (size > KMALLOC_MAX_SIZE)
		return NULL;
	return large_alloc(order_for(size), flags);
}

MM_FAST_PATH void *kmalloc(size_t size, unsigned flags)
{
	if (likely(size - 1 < KMALLOC_MAX_CLASS))
		return slab_alloc(class_of[(size - 1) >> 4], flags);
	return kmalloc_slow(size, flags);
}

void *kcalloc(size_t n, size_t size, unsigned flags)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kmalloc(bytes, flags | KM_ZERO);
}

void *kmalloc_aligned(size_t size, size_t align, unsigned flags)
{
	if (!align || (align & (align - 1)) || align > KMALLOC_MAX_SIZE)
		return NULL;
	/* A class of at least @align bytes is aligned to it, up to 64. */
	if (align <= 64)
		return kmalloc(size > align ? size : align, flags);
	if (size > KMALLOC_MAX_SIZE)
		return NULL;
	/* Blocks are aligned to their own size. */
	return large_alloc(order_for(size > align ? size : align), flags);
}

static void __attribute__((noreturn, noinline, cold)) not_heap(const void *p, const char *who)
{
	panic("%s: %p is not a live kmalloc block", who, p);
}

/* kfree()'s not_heap(), by a tail call (MM_TAIL_PANIC). */
static void MM_TAIL_PANIC kfree_not_heap(const void *p)
{
	not_heap(p, "kfree");
}

/* The frame heading the large block @p, checked. */
static struct page *large_page(const void *p, const char *who)
{
	struct page *pg = va_to_page(p);

	if (!pg || !page_refcount(pg))
		not_heap(p, who);
	return pg;
}

static void __attribute__((noinline)) kfree_large(void *p)
{
	struct page *pg = large_page(p, "kfree");
	unsigned order = page_order(pg);

	page_free(pg, order);
	__atomic_fetch_sub(&large_blocks, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&large_pages, 1ull << order, __ATOMIC_RELAXED);
}

MM_FAST_PATH void kfree(void *p)
{
	uintptr_t a = (uintptr_t)p;

	if (likely(a & PAGE_MASK)) {
		struct slab *s = (struct slab *)(a & ~PAGE_MASK);

		if (unlikely(!slab_is_live(s)))
			return kfree_not_heap(p);
		slab_free(s->cache, p);
	} else if (p) {
		kfree_large(p);
	}
}

size_t ksize(const void *p)
{
	uintptr_t a = (uintptr_t)p;

	if (a & PAGE_MASK) {
		const struct slab *s = (const struct slab *)(a & ~PAGE_MASK);

		if (!slab_is_live(s))
			not_heap(p, "ksize");
		return s->cache->size;
	}
	return PAGE_SIZE << page_order(large_page(p, "ksize"));
}

/* What ksize() of kmalloc(@size) would be (size <= KMALLOC_MAX_SIZE). */
static size_t usable_size(size_t size)
{
	if (size - 1 < KMALLOC_MAX_CLASS)
		return class_of[(size - 1) >> 4]->size;
	return size ? PAGE_SIZE << order_for(size) : classes[0].size;
}

void *krealloc(void *p, size_t size, unsigned flags)
{
	size_t old;
	void *q;

	if (!p)
		return kmalloc(size, flags);
	if (size > KMALLOC_MAX_SIZE)
		return NULL;
	old = ksize(p);
	if (usable_size(size) == old)
		return p;
	q = kmalloc(size, flags);
	if (!q)
		return NULL;
	memcpy(q, p, old < size ? old : size);
	kfree(p);
	return q;
}
