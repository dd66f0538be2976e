/*
 * The frame allocator: a binary buddy system per RAM range, an order-0
 * cache in front of it, and per-frame reference counts.  See mm/page.h for
 * the contract and mm/page_internal.h for the frame states.
 *
 * Buddy arithmetic is done on physical frame numbers, so a block of order
 * k starts at a multiple of 2^k frames and its buddy is pfn ^ 2^k.  A
 * buddy is looked up only inside the range's own metadata, which is why
 * blocks never merge across range boundaries, even touching ones.
 */
#include <string.h>
#include <arch/arch.h>
#include <lib/err.h>
#include <lib/panic.h>
#include <lib/spinlock.h>
#include <mm/fail_inject.h>
#include <mm/page.h>
#include "page_internal.h"

uintptr_t mm_linear_offset;
struct pmm_ram pmm_ram;
struct pmm pmm;

/* ---- validating callers' frames ---------------------------------------- */

static void __attribute__((noreturn, noinline, cold))
not_a_frame(const struct page *p, const char *who)
{
	panic("%s: %p is not a frame of RAM (no metadata of any range)", who,
	      (const void *)p);
}

/* Panics unless @p points at a struct page of some RAM range. */
static inline void check_frame(const struct page *p, const char *who)
{
	if (unlikely(!find_range(p)))
		not_a_frame(p, who);
}

/* ---- the buddy lists (lock held) ------------------------------------------ */

static void list_add_locked(struct page *p, unsigned order) REQUIRES(pmm.lock)
{
	struct free_block *b = frame_va(p);

	b->page = p;
	LIST_INSERT_HEAD(&pmm.free[order], b, link);
	pmm.nblocks[order]++;
	p->state = PG_FREE;
	p->order = (uint8_t)order;
}

static void list_del_locked(struct page *p, unsigned order) REQUIRES(pmm.lock)
{
	struct free_block *b = frame_va(p);

	LIST_REMOVE(b, link);
	pmm.nblocks[order]--;
	if (KDEBUG)
		pmm_poison_link(p);
}

/*
 * Take a block of @order off the lists, splitting a larger one if needed;
 * the halves split off go back on the lists.  Returns its head (state
 * still FREE, for the caller to set) or NULL.
 */
static struct page *buddy_alloc_locked(unsigned order) REQUIRES(pmm.lock)
{
	unsigned o = order;
	struct page *p;

	spin_assert_held(&pmm.lock);
	while (o <= PAGE_MAX_ORDER && LIST_EMPTY(&pmm.free[o]))
		o++;
	if (o > PAGE_MAX_ORDER)
		return NULL;
	p = LIST_FIRST(&pmm.free[o])->page;
	list_del_locked(p, o);
	while (o > order) {
		o--;
		list_add_locked(p + (1u << o), o);   /* the upper half */
	}
	p->order = (uint8_t)order;
	pmm.nfree -= 1u << order;
	return p;
}

/*
 * Put the block of @order headed by @p on the lists, merging it with its
 * buddy while the buddy is a free block of the same order in the same
 * range.  @p's frames must all be TAIL or the head's own state.
 */
void buddy_free_locked(struct page *p, unsigned order) REQUIRES(pmm.lock)
{
	const struct pmm_range *r = frame_range(p);
	uint64_t pfn = frame_pfn(p);

	spin_assert_held(&pmm.lock);
	pmm.nfree += 1u << order;
	while (order < PAGE_MAX_ORDER) {
		uint64_t bpfn = pfn ^ (1ull << order);
		struct page *b;

		if (bpfn - r->base_pfn >= r->npages)
			break;   /* the buddy lies outside this range */
		b = r->meta + (bpfn - r->base_pfn);
		if (b->state != PG_FREE || b->order != order)
			break;
		list_del_locked(b, order);
		if (b < p) {
			p->state = PG_TAIL;
			p = b;
		} else {
			b->state = PG_TAIL;
		}
		pfn &= ~(1ull << order);
		order++;
	}
	list_add_locked(p, order);
}

/* ---- the order-0 cache (lock held) ---------------------------------------- */

/* Refill the empty cache from the lists; returns how many frames it holds. */
static unsigned cache_refill_locked(void) REQUIRES(pmm.lock)
{
	spin_assert_held(&pmm.lock);
	while (pmm.ncached < PCP_BATCH) {
		struct page *p = buddy_alloc_locked(0);

		if (!p)
			break;
		p->state = PG_CACHED;
		pmm.cache[pmm.ncached++] = p;
	}
	return pmm.ncached;
}

static void cache_drain_locked(void) REQUIRES(pmm.lock)
{
	while (pmm.ncached)
		buddy_free_locked(pmm.cache[--pmm.ncached], 0);
}

/* ---- allocate and free ----------------------------------------------------- */

/* Any block, cache or lists.  Returns the block's head (order set) or NULL. */
static struct page *alloc_locked(unsigned order) REQUIRES(pmm.lock)
{
	struct page *p;

	if (order > PAGE_MAX_ORDER)
		return NULL;
	if (order == 0)
		return pmm.ncached || cache_refill_locked() ? pmm.cache[--pmm.ncached] : NULL;
	p = buddy_alloc_locked(order);
	if (!p && pmm.ncached) {
		/* Cached frames may merge into what is asked for. */
		cache_drain_locked();
		p = buddy_alloc_locked(order);
	}
	return p;
}

/* page_alloc() in full: any order, zeroing, the poison check. */
static struct page *__attribute__((noinline)) alloc_slow(unsigned order, unsigned flags)
{
	struct page *p;
	unsigned long irq;

	if (alloc_fail_injected())
		return NULL;
	irq = spin_lock_irqsave(&pmm.lock);
	p = alloc_locked(order);
	if (p) {
		p->state = PG_ALLOC;
		p->refcount = 1;   /* nobody else can see the block yet */
	}
	spin_unlock_irqrestore(&pmm.lock, irq);
	if (!p)
		return NULL;
	if (KDEBUG)
		pmm_poison_check(p, order);
	if (flags & PAGE_ZERO)   /* the arch's fastest page clear, page by page */
		for (uint64_t i = 0; i < (1ull << order); i++)
			arch_clear_page((char *)frame_va(p) + i * PAGE_SIZE);
	return p;
}

/*
 * The fast path is a cache hit for order 0 without zeroing, in a build
 * without poison: pop, mark, done.  Anything else goes the slow way.
 */
struct page *page_alloc(unsigned order, unsigned flags)
{
	struct page *p;
	unsigned long irq;

	if (KDEBUG || (order | flags))
		return alloc_slow(order, flags);
	irq = spin_lock_irqsave(&pmm.lock);
	if (unlikely(!pmm.ncached)) {
		spin_unlock_irqrestore(&pmm.lock, irq);
		return alloc_slow(0, 0);
	}
	p = pmm.cache[--pmm.ncached];
	p->state = PG_ALLOC;
	p->refcount = 1;
	spin_unlock_irqrestore(&pmm.lock, irq);
	return p;
}

/* Free the allocated block @p of @order whose last reference is gone. */
static void free_locked(struct page *p, unsigned order) REQUIRES(pmm.lock)
{
	p->refcount = 0;
	if (KDEBUG)
		pmm_poison(p, order);
	if (order == 0 && pmm.ncached < PCP_MAX) {
		p->state = PG_CACHED;
		pmm.cache[pmm.ncached++] = p;
		return;
	}
	buddy_free_locked(p, order);
}

/* page_free() found @p not freeable as @order: say why, drop the lock, panic. */
static void __attribute__((noreturn, noinline, cold))
bad_free(unsigned long irq, const struct page *p, unsigned order) REQUIRES(pmm.lock)
{
	unsigned long long pa = frame_pa(p);
	unsigned refs = __atomic_load_n(&p->refcount, __ATOMIC_RELAXED);

	switch (p->state) {
	case PG_FREE:
	case PG_CACHED:
		BUG_LOCKED(irq, "page_free: double free of frame 0x%llx (already free)", pa);
	case PG_RESERVED:
		BUG_LOCKED(irq, "page_free: frame 0x%llx is reserved (never released)", pa);
	case PG_TAIL:
		BUG_LOCKED(irq, "page_free: frame 0x%llx is not the head of a block", pa);
	}
	if (p->order != order)
		BUG_LOCKED(irq, "page_free: block 0x%llx has order %u, freed as order %u",
		           pa, p->order, order);
	BUG_LOCKED(irq, "page_free: block 0x%llx still has %u references (use page_put)",
	           pa, refs);
}

/* page_free() in full: every check, any order, poison. */
static void __attribute__((noinline)) free_slow(struct page *p, unsigned order)
{
	unsigned long irq;

	check_frame(p, "page_free");
	irq = spin_lock_irqsave(&pmm.lock);
	if (unlikely(p->state != PG_ALLOC || p->order != order ||
	             __atomic_load_n(&p->refcount, __ATOMIC_RELAXED) != 1))
		bad_free(irq, p, order);
	free_locked(p, order);
	spin_unlock_irqrestore(&pmm.lock, irq);
}

/*
 * The fast path: an order-0 frame of the first RAM range (the only one on
 * most machines, so the range check is one compare), exactly as
 * page_alloc() handed it out, into a cache with room.  Anything else, and
 * anything wrong, goes the slow way, which has the full checks.  (A
 * misaligned pointer into the metadata is left to the state check here;
 * the slow path and debug builds reject it outright.)
 */
void page_free(struct page *p, unsigned order)
{
	unsigned long irq;

	if (KDEBUG || order ||
	    (uintptr_t)p - (uintptr_t)pmm_ram.ranges[0].meta >= pmm_ram.ranges[0].meta_bytes)
		return free_slow(p, order);
	irq = spin_lock_irqsave(&pmm.lock);
	if (unlikely(p->state != PG_ALLOC || p->order || p->refcount != 1 ||
	             pmm.ncached == PCP_MAX)) {
		spin_unlock_irqrestore(&pmm.lock, irq);
		return free_slow(p, order);
	}
	p->refcount = 0;
	p->state = PG_CACHED;
	pmm.cache[pmm.ncached++] = p;
	spin_unlock_irqrestore(&pmm.lock, irq);
}

/* ---- reference counts ------------------------------------------------------ */

void page_get(struct page *p)
{
	uint32_t old;

	check_frame(p, "page_get");
	old = __atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
	if (unlikely(old == 0 || old == UINT32_MAX)) {
		__atomic_fetch_sub(&p->refcount, 1, __ATOMIC_RELAXED);
		panic("page_get: frame 0x%llx %s (%s)", (unsigned long long)frame_pa(p),
		      old ? "refcount would overflow" : "has no reference",
		      pmm_state_name(p->state));
	}
}

void page_put(struct page *p)
{
	uint32_t old;
	unsigned long irq;

	check_frame(p, "page_put");
	/* Release: our writes to the block happen before whoever frees it. */
	old = __atomic_fetch_sub(&p->refcount, 1, __ATOMIC_ACQ_REL);
	if (old > 1)
		return;
	if (unlikely(old == 0)) {
		__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
		panic("page_put: refcount underflow on frame 0x%llx (%s)",
		      (unsigned long long)frame_pa(p), pmm_state_name(p->state));
	}
	irq = spin_lock_irqsave(&pmm.lock);
	if (unlikely(p->state != PG_ALLOC)) {
		__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
		BUG_LOCKED(irq, "page_put: last reference to frame 0x%llx, which is %s",
		           (unsigned long long)frame_pa(p), pmm_state_name(p->state));
	}
	free_locked(p, p->order);
	spin_unlock_irqrestore(&pmm.lock, irq);
}

unsigned page_refcount(const struct page *p)
{
	check_frame(p, "page_refcount");
	return __atomic_load_n(&p->refcount, __ATOMIC_RELAXED);
}

unsigned page_order(const struct page *p)
{
	check_frame(p, "page_order");
	if (p->state != PG_ALLOC)
		panic("page_order: frame 0x%llx is %s, not an allocated block",
		      (unsigned long long)frame_pa(p), pmm_state_name(p->state));
	return p->order;
}

/* ---- conversions ------------------------------------------------------------ */

paddr_t page_to_pa(const struct page *p)
{
	if (KDEBUG)
		check_frame(p, "page_to_pa");
	return frame_pa(p);
}

void *page_to_va(const struct page *p)
{
	if (KDEBUG)
		check_frame(p, "page_to_va");
	return frame_va(p);
}

struct page *pa_to_page(paddr_t pa)
{
	uint64_t pfn = pa >> PAGE_SHIFT;

	for (unsigned i = 0; i < pmm_ram.nranges; i++) {
		const struct pmm_range *r = &pmm_ram.ranges[i];

		if (pfn - r->base_pfn < r->npages)
			return r->meta + (pfn - r->base_pfn);
	}
	return NULL;
}

struct page *va_to_page(const void *va)
{
	return pa_to_page(va_to_pa(va));
}

void pmm_drain_cache(void)
{
	unsigned long irq = spin_lock_irqsave(&pmm.lock);

	cache_drain_locked();
	spin_unlock_irqrestore(&pmm.lock, irq);
}
