/*
 * Physical page frames: a buddy allocator over every usable RAM range, with
 * a reference count per frame.
 *
 * Every 4 KiB frame of RAM has an 8-byte struct page in a metadata array
 * (one array over the span of RAM, each hole between ranges taking 8 bytes
 * per 4 KiB too).  Frames are handed out in blocks of 2^order
 * frames, aligned to their size by physical frame number, order 0 (4 KiB)
 * to PAGE_MAX_ORDER (4 MiB).  A block is named by the struct page of its
 * first frame, its head; the head carries the block's reference count and
 * order.  Free blocks are linked through their own memory, so the metadata
 * holds no list pointers.
 *
 * Misuse is an invariant break, caught at once with a panic: freeing a
 * free block (double free), a frame outside RAM or one never released to
 * the allocator, a wrong order, a refcount going below zero.  Running out
 * of memory is not misuse: allocation returns NULL.
 *
 * Debug builds (KDEBUG=1) fill freed blocks with a poison pattern and
 * check it on allocation, so a write after free is reported with its
 * address when the block is next handed out.
 *
 * Order-0 frames go through a cache per CPU: page_alloc(0, ..) and
 * page_free(.., 0) use their own CPU's without a lock; a cache refills
 * from and drains to the buddy lists in batches.  Cached frames count as
 * free everywhere (pmm_free_frames(), pmm_stats()).
 *
 * Locking: one IRQ-safe spinlock inside the allocator behind the per-CPU
 * caches; every function here may be called with or without interrupts
 * masked, from any CPU, except pmm_drain_cache() (see there).
 */
#ifndef MM_PAGE_H
#define MM_PAGE_H

#include <stddef.h>
#include <stdint.h>
#include <mm/types.h>

#define PAGE_MAX_ORDER 10          /* largest block: 4 MiB */
#define PMM_MAX_RANGES 32          /* RAM ranges pmm_init() accepts */

/* page_alloc() flags. */
#define PAGE_ZERO MM_ZERO          /* zero the block */

/*
 * Frame metadata.  The fields belong to mm/page.c; everyone else goes
 * through the functions below.  It stays at 8 bytes per 4 KiB frame.
 * Which RAM range a frame is in follows from where its struct page lies
 * (each range is a stretch of the one array), so no field says it.
 */
struct page {
	uint32_t refcount;   /* users of the block this frame heads (atomic) */
	uint8_t order;       /* order of that block (heads only) */
	uint8_t state;       /* free, cached, allocated, part of a block, reserved */
	uint16_t owner;      /* the allocating layer's own use, see page_owner() */
} __attribute__((aligned(8)));   /* page_free() reads it as one word */

_Static_assert(sizeof(struct page) <= 8, "at most 8 bytes of metadata per frame");

/*
 * A 16-bit field of a frame for whoever owns it (the page-table walker
 * keeps each table's count of valid entries there).  Zero when the frame
 * allocator starts; the allocator itself never reads or writes it.
 */
static inline uint16_t *page_owner(struct page *p)
{
	return &p->owner;
}

/* ---- physical <-> kernel virtual ------------------------------------- */

/*
 * The kernel sees all RAM at one fixed offset from its physical address.
 * This is the only place that knows it: 0 (identity) in the kernel for
 * now; the host tests point it at their fake RAM.
 */
extern uintptr_t mm_linear_offset;

/* The kernel virtual address of physical address @pa (which is RAM). */
static inline void *pa_to_va(paddr_t pa)
{
	return (void *)(uintptr_t)(pa + mm_linear_offset);
}

/* The physical address of @va, a kernel address inside the RAM map. */
static inline paddr_t va_to_pa(const void *va)
{
	return (paddr_t)((uintptr_t)va - mm_linear_offset);
}

/*
 * The frames' metadata is one array over the span of RAM (holes between
 * ranges included, 8 bytes per 4 KiB of hole): frame number pfn's struct
 * page is at mm_frame_base + 8 * pfn.  Set by pmm_init(), never changed
 * after.  So these conversions are arithmetic, whatever the RAM layout.
 */
extern uintptr_t mm_frame_base;

/* The physical address of frame @p (no check: page_to_pa() checks in debug builds). */
static inline paddr_t frame_pa(const struct page *p)
{
	return (paddr_t)((uintptr_t)p - mm_frame_base) * (PAGE_SIZE / 8);
}

/* ---- setting up ------------------------------------------------------ */

/* One range of RAM: page-aligned, non-empty. */
struct pmm_range_desc {
	paddr_t base;
	uint64_t size;
};

/*
 * Describe RAM to the allocator: @n ranges at @ram, sorted by base, not
 * overlapping (touching is fine; blocks never span two ranges).  Takes one
 * metadata array over the span of RAM, 8 bytes per frame and per 4 KiB of
 * hole between ranges, from @early_alloc (asked for PAGE_SIZE alignment;
 * returns a kernel virtual address or NULL).  Every frame starts reserved:
 * nothing can be allocated until pmm_release_range() hands frames over.
 *
 * Returns E_OK; E_INVAL for n < 1, an empty range or unsorted ranges;
 * E_NOSPC for more than PMM_MAX_RANGES; E_ALIGN for a base or size that is
 * not page-aligned; E_OVERFLOW when a range wraps around; E_EXIST when two
 * overlap; E_NOMEM when @early_alloc fails (what it gave stays used), as
 * it will for ranges so far apart that the span's array cannot be had.
 * Nothing changes on error.  Calling it again starts over, forgetting
 * every frame (the host tests do this); it must not race with other calls.
 */
int pmm_init(const struct pmm_range_desc *ram, int n,
             void *(*early_alloc)(size_t size, size_t align));

/*
 * Hand the frames of [@base, @base + @size) to the allocator, which may
 * give them out from now on.  Needs page alignment, every frame inside the
 * RAM given to pmm_init() (the range may cross from one RAM range into an
 * adjacent one) and still reserved; anything else is a boot bug and
 * panics.  A size of 0 does nothing.
 */
void pmm_release_range(paddr_t base, uint64_t size);

/* ---- blocks ----------------------------------------------------------- */

/*
 * Allocate a block of 2^@order frames, aligned to its size; zeroed when
 * @flags has PAGE_ZERO (no other flag exists).  Returns its head with a
 * reference count of 1, or NULL when no such block is free or @order
 * exceeds PAGE_MAX_ORDER.  Never panics for lack of memory.
 */
struct page *page_alloc(unsigned order, unsigned flags);

/*
 * Free the block headed by @p, allocated with @order, which the caller
 * owns alone (refcount 1).  Panics when @p is not the head of an allocated
 * block (a double free, a frame outside RAM, a reserved frame), when the
 * order differs from the allocation's, or when others still hold
 * references (use page_put() for shared blocks).
 */
void page_free(struct page *p, unsigned order);

/*
 * Take another reference to the allocated block headed by @p.  Panics when
 * the block has no reference (it is free, or @p is not a head).
 */
void page_get(struct page *p);

/*
 * Drop a reference to the block headed by @p; the last one frees the block
 * (its order is remembered).  Panics on an underflow (a put with no
 * reference held) or when @p is not in RAM.
 */
void page_put(struct page *p);

/*
 * page_put() on each of @pages[0 .. @n), freeing the frames whose last
 * reference goes together (one interrupt-masked section, one lock a batch
 * of spills).  The array is scratch: its contents are gone on return.
 */
void page_put_batch(struct page **pages, unsigned n);

/* The reference count of the block headed by @p (0 when free). */
unsigned page_refcount(const struct page *p);

/* The order @p's block was allocated with (@p heads an allocated block). */
unsigned page_order(const struct page *p);

/* ---- conversions ------------------------------------------------------ */

/* Debug builds: panic unless @p is a frame of RAM (@who names the caller). */
void page_check_frame(const struct page *p, const char *who);

/* The physical address of frame @p (which is in RAM's metadata). */
static inline paddr_t page_to_pa(const struct page *p)
{
	if (KDEBUG)
		page_check_frame(p, "page_to_pa");
	return frame_pa(p);
}

/* The frame holding physical address @pa, or NULL when @pa is not RAM. */
struct page *pa_to_page(paddr_t pa);

/* The kernel virtual address of frame @p. */
static inline void *page_to_va(const struct page *p)
{
	if (KDEBUG)
		page_check_frame(p, "page_to_va");
	return pa_to_va(frame_pa(p));
}

/* The frame holding kernel virtual address @va, or NULL when not RAM. */
struct page *va_to_page(const void *va);

/* ---- statistics and checks -------------------------------------------- */

struct pmm_stats {
	uint64_t total;        /* frames of RAM in all ranges */
	uint64_t reserved;     /* frames never released (image, firmware, ...) */
	uint64_t free;         /* free frames, cached ones included */
	uint64_t cached;       /* of which in the CPUs' order-0 caches */
	uint64_t blocks[PAGE_MAX_ORDER + 1];   /* free blocks per order */
	uint64_t span;         /* frames from the first of RAM to the last, holes included */
	uint64_t meta_bytes;   /* bytes of struct page metadata in all: 8 per frame of the span */
	unsigned nranges;
};
/* Frames in use: total - reserved - free. */

/* Fill @st with a consistent snapshot. */
void pmm_stats(struct pmm_stats *st);

/* Free frames now, cached ones included (pmm_stats()'s free). */
uint64_t pmm_free_frames(void);

/*
 * Give every frame in every CPU's order-0 cache back to the buddy lists,
 * where it can merge with its buddies.  For tests that look at whole
 * blocks, and for callers that need large blocks more than speed.  Each
 * CPU drains its own cache, through mm_set_every_cpu_call()'s call (so
 * this waits for every CPU: call it where a fiber may wait, never from an
 * interrupt handler, with a lock held or from inside such a call); with
 * no call set, the caches are drained from here, which is right only
 * while no other CPU runs the frame allocator (one CPU, the host tests).
 */
void pmm_drain_cache(void);

/* ---- every CPU ---------------------------------------------------------- */

/*
 * How mm reaches every CPU's caches: @run(fn, arg) runs fn(arg) on every
 * online CPU, this one included, and returns when all have (the kernel
 * passes smp_run_everywhere() once it can call other CPUs).  Until one is
 * set, mm_each_cpu() reaches every CPU's caches from the calling CPU.
 */
void mm_set_every_cpu_call(int (*run)(void (*fn)(void *arg), void *arg));

/*
 * Run fn(cpu, @arg) for every CPU's caches: on each CPU for its own
 * (cpu == cpu_num()) through the call above, else from here for every
 * CPU number in turn.  For the frame allocator and the heap: @fn masks
 * interrupts itself.  Waits for every CPU, like pmm_drain_cache().
 */
void mm_each_cpu(void (*fn)(unsigned cpu, void *arg), void *arg);

/*
 * Check every invariant of the allocator: each free block is a free,
 * aligned head of the right order inside one range, its frames are its
 * own, the lists and the CPUs' caches hold exactly the free frames, the
 * counts add up.  Prints the first problem found.  Returns E_OK or
 * E_CORRUPT.  Walks all metadata and every CPU's cache: for tests and
 * debugging, not hot paths, at a time when no other CPU allocates or
 * frees frames (the self-test runner checks between cases).
 */
int pmm_check(void);

#endif
