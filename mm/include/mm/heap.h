/*
 * The kernel heap: slab caches of fixed-size objects, and kmalloc on top
 * of them, all backed by page frames (mm/page.h).
 *
 * A slab is a naturally aligned block of 2^order frames with its header
 * at the start and equal objects after it; free objects are linked
 * through their first word.  kmalloc rounds a request up to a power of two
 * from 16 to 1024 bytes and takes it from that size class's cache, whose
 * slabs are single pages; anything larger is a block of whole frames
 * straight from the buddy allocator.  So a heap pointer that is not
 * page-aligned is a slab object (header at the start of its page), and a
 * page-aligned one is a large block (order in the frame metadata).
 *
 * Alignment: kmalloc memory is aligned to 16 bytes, to 64 from the
 * 64-byte class up, and to a page (at least) when larger than 1024 bytes.
 *
 * Each CPU keeps a small cache of free objects of every cache (up to 8
 * KiB of them, at most 32): kmalloc/kfree and kmem_cache_alloc/free of a
 * CPU use its own without a lock, and move batches to and from the
 * slabs under the cache's lock.  Objects in those caches are free to
 * statistics (objs_cached) and checks, and in use to their slabs.
 *
 * Every function may be called with or without interrupts masked, except
 * the ones that wait for every CPU (heap_shrink(), heap_free_frames_settled(),
 * kmem_cache_destroy()).  Locks, in the order they nest: the list of
 * caches, one cache, the frame allocator.
 *
 * Debug builds (KDEBUG=1) poison free objects, check the poison when
 * handing them out again (a write after free panics with its address), and
 * catch double frees and pointers that are not heap objects.
 */
#ifndef MM_HEAP_H
#define MM_HEAP_H

#include <stddef.h>
#include <stdint.h>
#include <mm/types.h>

/* Allocation flags. */
#define KM_ZERO MM_ZERO            /* zero the memory */

#define KMALLOC_MIN_CLASS 16
#define KMALLOC_MAX_CLASS 1024     /* larger requests take whole frames */
#define KMALLOC_MAX_SIZE  (PAGE_SIZE << 10)   /* PAGE_MAX_ORDER: 4 MiB */

#define KMEM_NAME_MAX 24           /* cache names are cut to this, NUL included */

struct kmem_cache;

/*
 * Set up the kmalloc size classes and the cache of caches.  Call once,
 * after the frame allocator has memory (pmm_release_range); calling it
 * again forgets every cache and object (the host tests start over so).
 * Using the heap before it panics with a clear message.
 */
void heap_init(void);

/* ---- slab caches ------------------------------------------------------- */

/*
 * Create a cache of objects of @size bytes aligned to @align (a power of
 * two up to PAGE_SIZE; 0 means pointer alignment).  @name (for
 * statistics) is copied.  Objects may be up to about 32 KiB.  Returns the
 * cache, or NULL for a zero or too large size, a bad alignment, or no
 * memory.
 */
struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align);

/*
 * Destroy @c, giving its slabs back.  Refuses with E_BUSY, leaving the
 * cache as it was, while any object of it is still allocated, and with
 * E_PERM for the heap's own caches.  Returns E_OK once destroyed.  Every
 * CPU gives its cached objects of @c back first, so this waits for every
 * CPU like heap_shrink().
 */
int kmem_cache_destroy(struct kmem_cache *c) __attribute__((warn_unused_result));

/*
 * Allocate one object of @c; zeroed with KM_ZERO.  Returns it, or NULL
 * when no memory is left.
 */
void *kmem_cache_alloc(struct kmem_cache *c, unsigned flags);

/*
 * Free @obj, allocated from @c.  NULL is ignored.  Panics when @obj does
 * not belong to @c (and, in debug builds, on a double free).
 */
void kmem_cache_free(struct kmem_cache *c, void *obj);

/* The size of @c's objects as laid out (the size asked, rounded up). */
size_t kmem_cache_size(const struct kmem_cache *c);

/* ---- kmalloc ------------------------------------------------------------ */

/*
 * Allocate @size bytes (zeroed with KM_ZERO).  kmalloc(0) returns a unique
 * minimal object, so NULL always means failure: no memory, or more than
 * KMALLOC_MAX_SIZE.
 */
void *kmalloc(size_t size, unsigned flags);

/* kmalloc(@n * @size, @flags | KM_ZERO); NULL when the product overflows. */
void *kcalloc(size_t n, size_t size, unsigned flags);

/*
 * kmalloc whose result is aligned to @align (a power of two up to
 * KMALLOC_MAX_SIZE); free it with kfree.  NULL for a bad @align.
 */
void *kmalloc_aligned(size_t size, size_t align, unsigned flags);

/*
 * Resize @p (from kmalloc, or NULL) to @size bytes, keeping the contents
 * up to the smaller size.  Returns @p itself when its size class already
 * fits @size, else a new block (and frees @p).  With KM_ZERO, bytes past
 * the old usable size are zero.  On failure returns NULL and leaves @p
 * allocated and unchanged.
 */
void *krealloc(void *p, size_t size, unsigned flags);

/*
 * Free @p, from kmalloc, kcalloc, kmalloc_aligned or krealloc.  NULL is
 * ignored.  Panics on what is recognisably not a live heap block.
 */
void kfree(void *p);

/* How many bytes @p (a live kmalloc block) can hold: at least the size asked. */
size_t ksize(const void *p);

/* ---- statistics and checks ---------------------------------------------- */

struct kmem_cache_stats {
	const char *name;
	size_t obj_size;         /* bytes per object as laid out */
	size_t align;
	unsigned objs_per_slab;
	unsigned pages_per_slab;
	uint64_t slabs;
	uint64_t objs_inuse;     /* allocated objects */
	uint64_t objs_cached;    /* free objects in the CPUs' caches (not in use) */
	uint64_t objs_total;     /* objects the slabs have room for */
	uint64_t pages;          /* frames the slabs take */
};

/* Fill @st for cache @c. */
void kmem_cache_stats(struct kmem_cache *c, struct kmem_cache_stats *st);

/*
 * Call @fn(stats, @ctx) for every cache, the heap's own first.  @fn runs
 * with the list of caches locked: it must not create or destroy caches.
 */
void kmem_cache_foreach(void (*fn)(const struct kmem_cache_stats *st, void *ctx),
                        void *ctx);

struct heap_stats {
	uint64_t caches;
	uint64_t slab_pages;     /* frames in all slabs */
	uint64_t large_blocks;   /* live kmalloc blocks above KMALLOC_MAX_CLASS */
	uint64_t large_pages;    /* frames they take */
};

void heap_stats(struct heap_stats *st);

/*
 * Give every CPU's cached objects back to their slabs (each CPU its own,
 * through mm_each_cpu(), so this waits for every CPU: call it where a
 * fiber may wait, as pmm_drain_cache()), then the frames of every slab
 * with no object in use back to the frame allocator.
 */
void heap_shrink(void);

/*
 * Free frames once the heap's empty slabs and the CPUs' frame caches are
 * given back (heap_shrink(), pmm_drain_cache()): a count that means the
 * same at any two points, so tests and the self-test invariants compare
 * it.  Waits for every CPU, like heap_shrink().
 */
uint64_t heap_free_frames_settled(void);

/*
 * Set the function heap_free_frames_settled() calls first: the layer above
 * mm that keeps memory for reuse (the kernel's spare stacks) gives it back
 * there, so the count means the same with or without what it keeps.  One
 * function; NULL for none.
 */
void heap_set_reclaim(void (*fn)(void));

/*
 * Check every cache: slab headers, free lists (no loops, objects on their
 * boundaries), counts, the frames behind each slab, every CPU's cache of
 * it (its count, each object a free one of this cache, none on two
 * lists); in debug builds the poison of free objects too.  Prints the
 * first problem.  Returns E_OK or E_CORRUPT.  Reads the other CPUs'
 * caches: call it when no other CPU uses the heap (the self-test runner
 * checks between cases).
 */
int heap_check(void);

#endif
