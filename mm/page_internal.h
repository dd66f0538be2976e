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
 *   CACHED    a free order-0 frame in some CPU's cache in front of the lists
 *   ALLOC     head of an allocated block; refcount >= 1
 *   TAIL      any other frame of a free or allocated block
 *   HOLE      no frame: an address between two RAM ranges, which has
 *             metadata only because the array spans all of RAM
 *
 * A free block's first bytes hold its struct free_block (list link and a
 * pointer back to its head's metadata, so popping a list needs no address
 * arithmetic).  Cached frames hold nothing.
 *
 * The state of a frame in a CPU's cache changes without pmm.lock (its CPU
 * hands it out), while a free on another CPU reads it under the lock to
 * see whether its buddy can merge: so states are written with
 * pg_set_state() and read with pg_state(), relaxed atomics.  The one
 * exception: page_free()'s fast path reads the state of the caller's own
 * frame plainly, with its order in one load; only its owner changes it.
 */
#ifndef MM_PAGE_INTERNAL_H
#define MM_PAGE_INTERNAL_H

#include <stdint.h>
#include <sys/queue.h>
#include <lib/panic.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <lib/spinlock.h>
#include <mm/page.h>

enum page_state {
	PG_ALLOC,      /* 0: the fast paths test and store it with the zero register */
	PG_RESERVED,
	PG_FREE,
	PG_CACHED,
	PG_TAIL,
	PG_HOLE,       /* not RAM: a hole between ranges; last (pmm_state_name()) */
};

/* One RAM range and its metadata: frame base_pfn + i is meta[i], inside pmm_ram.frames. */
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
 * The metadata is one array over the span of RAM, from the first range's
 * first frame to the last range's end, holes included (HOLE frames): so
 * physical address and frame convert both ways by arithmetic
 * (mm_frame_base), whatever the number of ranges.
 */
struct pmm_ram {
	unsigned nranges;
	struct pmm_range ranges[PMM_MAX_RANGES];
	uint64_t total;      /* frames in all ranges */
	uint64_t lo_pfn;     /* the first range's first frame */
	uint64_t span;       /* frames from there to the last range's end */
	struct page *frames; /* span entries: frame lo_pfn + i is frames[i] */
};

extern struct pmm_ram pmm_ram;

/*
 * Per-CPU caches of order-0 frames, in front of the lists: page_alloc(0)
 * and page_free(.., 0) use their own CPU's without any lock.  Each is a
 * stack of free frames (state CACHED, counted as free) in 512 bytes: the
 * top (the next free slot), a copy of RAM range 0's metadata bounds for
 * page_free()'s check, and PCP_MAX slots.  An empty cache takes PCP_BATCH
 * frames from the lists, under pmm.lock; a full one gives its PCP_BATCH
 * oldest back.
 *
 * Why this shape: a top pointer rather than a count, and 512-byte
 * alignment, make the fast paths' tests cheap (empty is top == slots,
 * full is top at the next 512-byte boundary) and index nothing (riscv64
 * has no scaled-index addressing); the range copy spares page_free() a
 * second symbol's address.  Batches of 32 rather than 16: bulk frees
 * (unmap_10000_per_page) cost 11 instructions a frame less on aarch64,
 * 14 on riscv64, being fewer lock round trips and shifts of the rest.
 *
 * What protects them is not a lock: only their own CPU touches them, with
 * interrupts masked (pcp_enter() .. pcp_exit()), so neither an interrupt
 * handler nor a fiber switch can come in between; fibers move to another
 * CPU only at a switch, so the CPU number read after masking stays right
 * until pcp_exit().  To the analysis that is the capability pmm_cpu,
 * which the members are guarded by.  Another CPU reads a cache's top (a
 * relaxed atomic, for the free-frame count) and, while the owner is
 * quiet, everything (pmm_check(), draining without an every-CPU call).
 */
#define PCP_MAX   61
#define PCP_BATCH 32

struct CAPABILITY("this CPU's cache") pcp_capability {
	char unused;
};

/* "This CPU's frame cache, with interrupts masked" (mm/page.c). */
extern struct pcp_capability pmm_cpu;

struct pmm_pcp {
	struct page **top GUARDED_BY(pmm_cpu);   /* slots[0 .. top - 1] hold frames, oldest first */
	uintptr_t meta0 GUARDED_BY(pmm_cpu);      /* pmm_ram.ranges[0].meta, set by pmm_init() */
	uint64_t meta0_bytes GUARDED_BY(pmm_cpu); /* and its meta_bytes */
	struct page *slots[PCP_MAX] GUARDED_BY(pmm_cpu);
} __attribute__((aligned(512)));

_Static_assert(sizeof(struct pmm_pcp) == 512, "top, range 0 and PCP_MAX slots: 512 bytes");

extern struct pmm_pcp pmm_pcp[CPU_MAX];

/* Fast paths are leaf functions (slow paths are tail calls); riscv64's
 * GCC 12 still sets up a frame record in a leaf (it has no
 * -momit-leaf-frame-pointer): 5 instructions per call, saved here.  A
 * backtrace from inside one then skips its caller, as from any leaf
 * function on aarch64. */
#if defined(__riscv) && !defined(__clang__)
#define MM_FAST_PATH __attribute__((optimize("omit-frame-pointer")))
#else
#define MM_FAST_PATH
#endif

/*
 * Mask interrupts and return this CPU's cache; *@irq is for pcp_exit().
 * The CPU number is read after masking, so it stays this CPU's.
 */
static inline struct pmm_pcp *pcp_enter(unsigned long *irq)
	ACQUIRE(pmm_cpu) NO_THREAD_SAFETY_ANALYSIS   /* the capability's primitive */
{
	struct pmm_pcp *pc;

	*irq = arch_irq_save();
	pc = &pmm_pcp[cpu_num()];
	/* Hide where pc comes from, so GCC addresses the cache from pc
	 * rather than recomputing each field's address from the symbol
	 * (1-2 instructions per fast path). */
	__asm__("" : "+r"(pc));
	return pc;
}

static inline void pcp_exit(unsigned long irq)
	RELEASE(pmm_cpu) NO_THREAD_SAFETY_ANALYSIS   /* the capability's primitive */
{
	arch_irq_restore(irq);
}

/*
 * CPU @cpu's cache: this CPU's own, or another's while that CPU runs no
 * frame allocator code (drains with no every-CPU call, the checker).
 * Masks this CPU's interrupts like pcp_enter(); leave with pcp_exit().
 */
static inline struct pmm_pcp *pcp_enter_quiet(unsigned cpu, unsigned long *irq)
	ACQUIRE(pmm_cpu) NO_THREAD_SAFETY_ANALYSIS   /* the capability's primitive */
{
	*irq = arch_irq_save();
	return &pmm_pcp[cpu];
}

/*
 * Frames in @pc, and the slot past them.  The top is read by other CPUs
 * (pcp_count_of()): stored whole, in one store.
 */
static inline unsigned long pcp_count(const struct pmm_pcp *pc) REQUIRES(pmm_cpu)
{
	return (unsigned long)(pc->top - pc->slots);
}

static inline void pcp_set_count(struct pmm_pcp *pc, unsigned long n) REQUIRES(pmm_cpu)
{
	__atomic_store_n(&pc->top, &pc->slots[n], __ATOMIC_RELAXED);
}

/* The fast paths' store of the top: the kernel's is a volatile (see pg_set_state()). */
static inline void pcp_set_top(struct pmm_pcp *pc, struct page **top) REQUIRES(pmm_cpu)
{
#ifdef KTEST_HOST
	__atomic_store_n(&pc->top, top, __ATOMIC_RELAXED);
#else
	*(struct page **volatile *)&pc->top = top;
#endif
}

/* Is the cache full (its top at the next 512-byte boundary)? */
static inline int pcp_full(struct page **top)
{
	return ((uintptr_t)top & (sizeof(struct pmm_pcp) - 1)) == 0;
}

/*
 * CPU @cpu's cached frames, from any CPU at any time: a relaxed atomic
 * load of a top its owner may be changing, the one access to another
 * CPU's cache that needs no quiet.
 */
static inline unsigned long pcp_count_of(unsigned cpu)
	NO_THREAD_SAFETY_ANALYSIS   /* an atomic read, see above */
{
	struct page **top = __atomic_load_n(&pmm_pcp[cpu].top, __ATOMIC_RELAXED);

	return top ? (unsigned long)(top - pmm_pcp[cpu].slots) : 0;
}

/*
 * Is @p, the caller's own frame, exactly what page_alloc(0, ..) hands out:
 * refcount 1, order 0, state ALLOC (0)?  Those are the low 48 bits of its
 * 8 bytes (little-endian, both arches and the host), the owner field the
 * top 16: one load, a shift and one compare (a load and a compare fewer
 * than field by field).  A plain read: only the owner writes these.
 */
_Static_assert(sizeof(struct page) == 8 && _Alignof(struct page) == 8 &&
               __builtin_offsetof(struct page, refcount) == 0 &&
               __builtin_offsetof(struct page, order) == 4 &&
               __builtin_offsetof(struct page, state) == 5 &&
               __builtin_offsetof(struct page, owner) == 6 &&
               __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "struct page as one word");

typedef uint64_t pg_word __attribute__((may_alias));

static inline int pg_is_fresh_order0(const struct page *p)
{
	return *(const pg_word *)p << 16 == (uint64_t)1 << 16;
}

static inline unsigned pg_state(const struct page *p)
{
	return __atomic_load_n(&p->state, __ATOMIC_RELAXED);
}

static inline void pg_set_state(struct page *p, unsigned state)
{
#ifdef KTEST_HOST
	__atomic_store_n(&p->state, (uint8_t)state, __ATOMIC_RELAXED);
#else
	/* The same single store (Linux's WRITE_ONCE), without the address
	 * arithmetic GCC puts around an atomic byte store (1-2 instructions
	 * on the fast paths), and a plain sd where riscv64's GCC makes a
	 * 64-bit one an amoswap.  The host build keeps the atomic, which
	 * ThreadSanitizer follows. */
	*(volatile uint8_t *)&p->state = (uint8_t)state;
#endif
}

/*
 * What changes under the lock: all of it (the declaration after the
 * struct says so to the analysis), as are the states and orders of the
 * frames on the lists, which <mm/page.h>'s public struct page cannot name.
 */
struct pmm {
	struct spinlock lock;
	struct free_list free[PAGE_MAX_ORDER + 1];
	uint64_t nblocks[PAGE_MAX_ORDER + 1];   /* blocks on each list */
	uint64_t nfree;      /* frames on the lists (not the caches) */
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

/* Physical frame number of @p (a frame in the metadata). */
static inline uint64_t frame_pfn(const struct page *p)
{
	return frame_pa(p) >> PAGE_SHIFT;
}

static inline void *frame_va(const struct page *p)
{
	return pa_to_va(frame_pa(p));
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
