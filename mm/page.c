/*
 * The frame allocator: a binary buddy system per RAM range, per-CPU
 * caches of order-0 frames in front of it, and per-frame reference counts.  See mm/page.h for
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
uintptr_t mm_frame_base;
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

void page_check_frame(const struct page *p, const char *who)
{
	check_frame(p, who);
}

/* ---- the buddy lists (lock held) ------------------------------------------ */

static void list_add_locked(struct page *p, unsigned order) REQUIRES(pmm.lock)
{
	struct free_block *b = frame_va(p);

	b->page = p;
	LIST_INSERT_HEAD(&pmm.free[order], b, link);
	pmm.nblocks[order]++;
	pg_set_state(p, PG_FREE);
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
		if (pg_state(b) != PG_FREE || b->order != order)
			break;
		list_del_locked(b, order);
		if (b < p) {
			pg_set_state(p, PG_TAIL);
			p = b;
		} else {
			pg_set_state(b, PG_TAIL);
		}
		pfn &= ~(1ull << order);
		order++;
	}
	list_add_locked(p, order);
}

/* ---- the per-CPU caches ---------------------------------------------------- */

struct pmm_pcp pmm_pcp[CPU_MAX];
struct pcp_capability pmm_cpu;

/*
 * Fill @pc (empty) with up to PCP_BATCH frames from the lists; returns how
 * many it holds now.  The buddy allocator hands out the lowest free block
 * of each split first, so they go in oldest first.
 */
static unsigned long pcp_refill(struct pmm_pcp *pc) REQUIRES(pmm_cpu)
{
	unsigned long n = pcp_count(pc);

	spin_lock(&pmm.lock);   /* interrupts are masked already */
	while (n < PCP_BATCH) {
		struct page *p = buddy_alloc_locked(0);

		if (!p)
			break;
		pg_set_state(p, PG_CACHED);
		pc->slots[n++] = p;
	}
	pcp_set_count(pc, n);
	spin_unlock(&pmm.lock);
	return n;
}

/* Give the @k oldest frames of @pc back to the lists (they merge there). */
static void pcp_drain_oldest(struct pmm_pcp *pc, unsigned long k) REQUIRES(pmm_cpu)
{
	unsigned long n = pcp_count(pc);

	spin_lock(&pmm.lock);
	for (unsigned long i = 0; i < k; i++)
		buddy_free_locked(pc->slots[i], 0);
	/* Word by word: picolibc's memmove() goes byte by byte. */
	for (unsigned long i = k; i < n; i++)
		pc->slots[i - k] = pc->slots[i];
	pcp_set_count(pc, n - k);
	spin_unlock(&pmm.lock);
}

/* Pop a frame from this CPU's cache, refilling it when empty; NULL when none is left. */
static struct page *pcp_alloc(void)
{
	unsigned long irq, n;
	struct pmm_pcp *pc = pcp_enter(&irq);
	struct page *p = NULL;

	n = pcp_count(pc);
	if (n || (n = pcp_refill(pc))) {
		p = pc->slots[n - 1];
		pcp_set_count(pc, n - 1);
		p->refcount = 1;   /* nobody else can see the frame yet */
		pg_set_state(p, PG_ALLOC);
	}
	pcp_exit(irq);
	return p;
}

/* pcp_free() found the cache full: make room, then push. */
static void __attribute__((noinline)) pcp_free_full(struct page *p)
{
	unsigned long irq;
	struct pmm_pcp *pc = pcp_enter(&irq);

	if (pcp_full(pc->top))
		pcp_drain_oldest(pc, PCP_BATCH);
	pg_set_state(p, PG_CACHED);
	*pc->top = p;
	pcp_set_top(pc, pc->top + 1);
	pcp_exit(irq);
}

/* Push @p (order 0, checked, poisoned, refcount 0) on this CPU's cache. */
static void pcp_free(struct page *p)
{
	unsigned long irq;
	struct pmm_pcp *pc = pcp_enter(&irq);
	struct page **top = pc->top;

	if (unlikely(pcp_full(top))) {
		pcp_exit(irq);
		return pcp_free_full(p);
	}
	pg_set_state(p, PG_CACHED);
	*top = p;
	pcp_set_top(pc, top + 1);
	pcp_exit(irq);
}

/*
 * Give every frame of CPU @cpu's cache back to the lists: on that CPU
 * (mm_each_cpu() through an every-CPU call), or from here while it is
 * quiet (without one).
 */
static void pcp_drain_cpu(unsigned cpu, void *arg)
{
	unsigned long irq;
	struct pmm_pcp *pc = pcp_enter_quiet(cpu, &irq);

	(void)arg;
	if (pcp_count(pc))
		pcp_drain_oldest(pc, pcp_count(pc));
	pcp_exit(irq);
}

/* ---- running on every CPU ---------------------------------------------------- */

static int (*every_cpu_call)(void (*fn)(void *arg), void *arg);

void mm_set_every_cpu_call(int (*run)(void (*fn)(void *arg), void *arg))
{
	__atomic_store_n(&every_cpu_call, run, __ATOMIC_RELEASE);
}

struct each_cpu {
	void (*fn)(unsigned cpu, void *arg);
	void *arg;
};

static void each_cpu_here(void *arg)
{
	struct each_cpu *e = arg;

	e->fn(cpu_num(), e->arg);
}

void mm_each_cpu(void (*fn)(unsigned cpu, void *arg), void *arg)
{
	int (*run)(void (*)(void *), void *) = __atomic_load_n(&every_cpu_call, __ATOMIC_ACQUIRE);
	struct each_cpu e = { fn, arg };

	if (run) {
		run(each_cpu_here, &e);
		return;
	}
	/* No other CPU runs calls: each cache is reached from here. */
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++)
		fn(cpu, arg);
}

/* ---- allocate and free ----------------------------------------------------- */

/*
 * A block of order 1 or more from the lists.  When none is free, this
 * CPU's cached frames may merge into one: they go back first.  (Other
 * CPUs' caches are out of reach here.)
 */
static struct page *buddy_alloc(unsigned order)
{
	unsigned long irq;
	struct pmm_pcp *pc = pcp_enter(&irq);
	struct page *p;

	spin_lock(&pmm.lock);
	p = buddy_alloc_locked(order);
	spin_unlock(&pmm.lock);
	if (!p && pcp_count(pc)) {
		pcp_drain_oldest(pc, pcp_count(pc));
		spin_lock(&pmm.lock);
		p = buddy_alloc_locked(order);
		spin_unlock(&pmm.lock);
	}
	if (p) {
		p->refcount = 1;
		pg_set_state(p, PG_ALLOC);
	}
	pcp_exit(irq);
	return p;
}

/* page_alloc() in full: any order, zeroing, the poison check. */
static struct page *__attribute__((noinline)) alloc_slow(unsigned order, unsigned flags)
{
	struct page *p;

	if (alloc_fail_injected())
		return NULL;
	if (order > PAGE_MAX_ORDER)
		return NULL;
	p = order ? buddy_alloc(order) : pcp_alloc();
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
 * The fast path is a hit in this CPU's cache for order 0 without zeroing,
 * in a build without poison: pop, mark, done.  Anything else goes the
 * slow way (debug builds always do, for the failure injection and the
 * poison check).
 */
MM_FAST_PATH struct page *page_alloc(unsigned order, unsigned flags)
{
	unsigned long irq;
	struct pmm_pcp *pc;
	struct page **top, *p;

	if (KDEBUG || (order | flags))
		return alloc_slow(order, flags);
	pc = pcp_enter(&irq);
	top = pc->top;
	if (unlikely(top == pc->slots)) {
		pcp_exit(irq);
		return alloc_slow(0, 0);
	}
	p = *--top;
	pcp_set_top(pc, top);
	p->refcount = 1;
	pg_set_state(p, PG_ALLOC);
	pcp_exit(irq);
	return p;
}

/*
 * Free the allocated block @p of @order, checked, whose last reference is
 * gone: order 0 to this CPU's cache, the rest to the lists.
 */
static void free_checked(struct page *p, unsigned order)
{
	unsigned long irq;

	p->refcount = 0;
	if (KDEBUG)
		pmm_poison(p, order);
	if (order == 0)
		return pcp_free(p);
	irq = spin_lock_irqsave(&pmm.lock);
	buddy_free_locked(p, order);
	spin_unlock_irqrestore(&pmm.lock, irq);
}

/* page_free() found @p not freeable as @order: say why and panic. */
static void __attribute__((noreturn, noinline, cold))
bad_free(const struct page *p, unsigned order)
{
	unsigned long long pa = frame_pa(p);
	unsigned refs = __atomic_load_n(&p->refcount, __ATOMIC_RELAXED);

	switch (pg_state(p)) {
	case PG_FREE:
	case PG_CACHED:
		panic("page_free: double free of frame 0x%llx (already free)", pa);
	case PG_RESERVED:
		panic("page_free: frame 0x%llx is reserved (never released)", pa);
	case PG_TAIL:
		panic("page_free: frame 0x%llx is not the head of a block", pa);
	}
	if (p->order != order)
		panic("page_free: block 0x%llx has order %u, freed as order %u", pa, p->order, order);
	panic("page_free: block 0x%llx still has %u references (use page_put)", pa, refs);
}

/*
 * page_free() in full: every check, any order, poison.  The checks need
 * no lock: a block the caller owns alone changes only by its hand.  (Two
 * CPUs freeing the same block at the same instant could both pass them;
 * a double free after the first has returned is always caught.)
 */
static void __attribute__((noinline)) free_slow(struct page *p, unsigned order)
{
	check_frame(p, "page_free");
	if (unlikely(pg_state(p) != PG_ALLOC || p->order != order ||
	             __atomic_load_n(&p->refcount, __ATOMIC_RELAXED) != 1))
		bad_free(p, order);
	free_checked(p, order);
}

/*
 * The fast path: an order-0 frame of the first RAM range (the only one on
 * most machines, so the range check is one compare, against the copy of
 * its bounds in the cache), exactly as page_alloc() handed it out, into
 * this CPU's cache with room.  Anything
 * else, and anything wrong, goes the slow way, which has the full checks.
 * (A misaligned pointer into the metadata is left to the state check here;
 * the slow path and debug builds reject it outright.)
 */
MM_FAST_PATH void page_free(struct page *p, unsigned order)
{
	unsigned long irq;
	struct pmm_pcp *pc;
	struct page **top;

	if (KDEBUG || order)
		return free_slow(p, order);
	pc = pcp_enter(&irq);
	top = pc->top;
	if (unlikely((uintptr_t)p - pc->meta0 >= pc->meta0_bytes || !pg_is_fresh_order0(p) ||
	             pcp_full(top))) {
		pcp_exit(irq);
		return free_slow(p, 0);
	}
	p->refcount = 0;
	pg_set_state(p, PG_CACHED);
	*top = p;
	pcp_set_top(pc, top + 1);
	pcp_exit(irq);
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
		      pmm_state_name(pg_state(p)));
	}
}

/* Drop a reference to @p: 1 when it was the last (the block is the caller's to free). */
static inline int put_ref(struct page *p, const char *who)
{
	uint32_t old;

	check_frame(p, who);
	/* Release: our writes to the block happen before whoever frees it. */
	old = __atomic_fetch_sub(&p->refcount, 1, __ATOMIC_ACQ_REL);
	if (old > 1)
		return 0;
	if (unlikely(old == 0)) {
		__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
		panic("%s: refcount underflow on frame 0x%llx (%s)", who,
		      (unsigned long long)frame_pa(p), pmm_state_name(pg_state(p)));
	}
	if (unlikely(pg_state(p) != PG_ALLOC)) {
		__atomic_fetch_add(&p->refcount, 1, __ATOMIC_RELAXED);
		panic("%s: last reference to frame 0x%llx, which is %s", who,
		      (unsigned long long)frame_pa(p), pmm_state_name(pg_state(p)));
	}
	return 1;
}

void page_put(struct page *p)
{
	if (put_ref(p, "page_put"))
		free_checked(p, p->order);
}

/*
 * The order-0 frames whose last reference went go to this CPU's cache in
 * one section with interrupts masked, a full cache giving its oldest to
 * the lists under one lock a batch; larger blocks go one by one.
 */
void page_put_batch(struct page **pages, unsigned n)
{
	unsigned long irq;
	struct pmm_pcp *pc;
	unsigned k = 0;

	if (n == 1)   /* page_put()'s path is the shorter one */
		return page_put(pages[0]);
	for (unsigned i = 0; i < n; i++) {
		struct page *p = pages[i];

		if (!put_ref(p, "page_put_batch"))
			continue;
		if (p->order) {
			free_checked(p, p->order);
			continue;
		}
		if (KDEBUG)
			pmm_poison(p, 0);
		pages[k++] = p;
	}
	if (!k)
		return;
	pc = pcp_enter(&irq);
	for (unsigned i = 0; i < k; i++) {
		if (pcp_full(pc->top))
			pcp_drain_oldest(pc, PCP_BATCH);
		pages[i]->refcount = 0;
		pg_set_state(pages[i], PG_CACHED);
		*pc->top = pages[i];
		pcp_set_top(pc, pc->top + 1);
	}
	pcp_exit(irq);
}

unsigned page_refcount(const struct page *p)
{
	check_frame(p, "page_refcount");
	return __atomic_load_n(&p->refcount, __ATOMIC_RELAXED);
}

unsigned page_order(const struct page *p)
{
	check_frame(p, "page_order");
	if (pg_state(p) != PG_ALLOC)
		panic("page_order: frame 0x%llx is %s, not an allocated block",
		      (unsigned long long)frame_pa(p), pmm_state_name(pg_state(p)));
	return p->order;
}

/* ---- conversions ------------------------------------------------------------ */

/* One index into the array over the span of RAM, and a hole's state. */
struct page *pa_to_page(paddr_t pa)
{
	uint64_t i = (pa >> PAGE_SHIFT) - pmm_ram.lo_pfn;
	struct page *p;

	if (i >= pmm_ram.span)
		return NULL;
	p = &pmm_ram.frames[i];
	return pg_state(p) != PG_HOLE ? p : NULL;
}

struct page *va_to_page(const void *va)
{
	return pa_to_page(va_to_pa(va));
}

void pmm_drain_cache(void)
{
	mm_each_cpu(pcp_drain_cpu, NULL);
}
