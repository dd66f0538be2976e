/*
 * Private to the frame allocator (mm/page.c, mm/page_debug.c): its state
 * and the helpers both files need.
 *
 * Every frame is in exactly one state:
 *
 *   RESERVED  never released (firmware, kernel image, metadata, holes in
 *             usable RAM); holds one permanent reference, so a put that
 *             would free it is caught
 *   FREE      head of a free block, linked in pmm.free[order]
 *   CACHED    a free order-0 frame in the cache in front of the lists
 *   ALLOC     head of an allocated block; refcount >= 1
 *   TAIL      any other frame of a free or allocated block
 *
 * A free block's first bytes hold its struct free_block (list link and a
 * pointer back to its head's metadata, so popping a list needs no address
 * arithmetic).  Cached frames hold nothing.
 */
#ifndef MM_PAGE_INTERNAL_H
#define MM_PAGE_INTERNAL_H

#include <stdint.h>
#include <sys/queue.h>
#include <lib/panic.h>
#include <lib/spinlock.h>
#include <mm/page.h>

enum page_state {
	PG_RESERVED,
	PG_FREE,
	PG_CACHED,
	PG_ALLOC,
	PG_TAIL,
};

/* One RAM range and its metadata: frame base_pfn + i is meta[i]. */
struct pmm_range {
	uint64_t base_pfn;
	uint64_t npages;
	struct page *meta;
	uint64_t meta_bytes;   /* npages * sizeof(struct page), for quick checks */
};

/* Lives in the first bytes of every free block on a list. */
struct free_block {
	LIST_ENTRY(free_block) link;
	struct page *page;
};

LIST_HEAD(free_list, free_block);

/*
 * The RAM ranges and their metadata: filled in by pmm_init() before
 * anything else uses the allocator, never changed after, so read without
 * the lock (every check of a caller's frame does, on the fast paths too).
 */
struct pmm_ram {
	unsigned nranges;
	struct pmm_range ranges[PMM_MAX_RANGES];
	uint64_t total;      /* frames in all ranges */
};

extern struct pmm_ram pmm_ram;

/*
 * The order-0 cache: a stack of free frames that page_alloc(0) and
 * page_free(.., 0) use without splitting or merging.  It refills from the
 * lists PCP_BATCH frames at a time; a free that finds it full goes to the
 * lists.  One cache under the allocator lock for now; with SMP it becomes
 * one per CPU.
 */
#define PCP_MAX   64
#define PCP_BATCH 16

/*
 * What changes: all of it under the lock (the declaration after the
 * struct says so to the analysis), as are the states and orders of the
 * frames in it, which <mm/page.h>'s public struct page cannot name.
 */
struct pmm {
	struct spinlock lock;
	unsigned long ncached;
	struct page *cache[PCP_MAX];
	struct free_list free[PAGE_MAX_ORDER + 1];
	uint64_t nblocks[PAGE_MAX_ORDER + 1];   /* blocks on each list */
	uint64_t nfree;      /* frames on the lists (not the cache) */
	uint64_t reserved;   /* frames still RESERVED */
};

extern struct pmm pmm;
extern struct pmm pmm GUARDED_BY(pmm.lock);

/*
 * The range whose metadata holds @p (at a struct page boundary), or NULL.
 * A short walk: machines have one or a few ranges.
 */
static inline const struct pmm_range *find_range(const struct page *p)
{
	for (unsigned i = 0; i < pmm_ram.nranges; i++) {
		uintptr_t off = (uintptr_t)p - (uintptr_t)pmm_ram.ranges[i].meta;

		if (off < pmm_ram.ranges[i].meta_bytes)
			return off % sizeof(*p) ? NULL : &pmm_ram.ranges[i];
	}
	return NULL;
}

/* The range of @p, a frame known to be in RAM. */
static inline const struct pmm_range *frame_range(const struct page *p)
{
	const struct pmm_range *r = pmm_ram.ranges;

	while ((uintptr_t)p - (uintptr_t)r->meta >= r->meta_bytes)
		r++;
	return r;
}

/* Physical frame number of @p (a frame in some range's metadata). */
static inline uint64_t frame_pfn(const struct page *p)
{
	const struct pmm_range *r = frame_range(p);

	return r->base_pfn + (uint64_t)(p - r->meta);
}

static inline void *frame_va(const struct page *p)
{
	return pa_to_va(frame_pfn(p) << PAGE_SHIFT);
}

static inline paddr_t frame_pa(const struct page *p)
{
	return frame_pfn(p) << PAGE_SHIFT;
}

#define unlikely(x) __builtin_expect(!!(x), 0)

/*
 * Invariant broke with the lock held: drop it first, so that a test which
 * catches the panic finds the allocator unlocked (and, since every check
 * comes before any change, consistent).
 */
#define BUG_LOCKED(irq, ...)                                    \
	do {                                                    \
		spin_unlock_irqrestore(&pmm.lock, (irq));       \
		panic(__VA_ARGS__);                             \
	} while (0)

/*
 * Put the block of @order headed by @p on the lists, merging it with free
 * buddies (mm/page.c).  Lock held.
 */
void buddy_free_locked(struct page *p, unsigned order) REQUIRES(pmm.lock);

/* Debug builds: poison (mm/page_debug.c). */

/* Fill the 2^@order frames of @p's block with the poison pattern. */
void pmm_poison(const struct page *p, unsigned order);

/* Restore the poison over a block's struct free_block once unlinked. */
void pmm_poison_link(const struct page *p);

/*
 * Check that @p's block (just allocated) is still poisoned throughout;
 * panics naming the first changed address (a write after free).
 */
void pmm_poison_check(const struct page *p, unsigned order);

/* "free", "reserved", ...: for messages. */
const char *pmm_state_name(unsigned state);

#endif
