/*
 * Private to the heap (mm/slab.c, mm/kmalloc.c): cache and slab layout,
 * and the allocate/free fast paths both files inline.
 *
 * A cache keeps its slabs on two lists: partial (at least one free object;
 * at most one slab there is completely free, kept to avoid asking the frame
 * allocator and building a slab on every alloc/free cycle) and full.  In front of them, each
 * CPU has a cache of free objects of its own (struct kmem_cpu): allocation
 * pops it and freeing pushes onto it, without a lock; an empty one takes
 * a batch of objects from the slabs, a full one gives a batch back, under
 * the cache's lock.  An object in a CPU's cache counts as in use to its
 * slab (inuse) and as free to everyone else (statistics, checks).
 */
#ifndef MM_SLAB_INTERNAL_H
#define MM_SLAB_INTERNAL_H

#include <stdint.h>
#include <string.h>
#include <sys/queue.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <lib/panic.h>
#include <lib/spinlock.h>
#include <mm/heap.h>

#define SLAB_MAX_ORDER 3            /* slabs up to 32 KiB */
#define OBJ_POISON     0x6b         /* free objects, past their link word */

#define unlikely(x) __builtin_expect(!!(x), 0)
#define likely(x)   __builtin_expect(!!(x), 1)

/* Leaf fast paths without a frame record on riscv64: see mm/page_internal.h. */
#if defined(__riscv) && !defined(__clang__)
#define MM_FAST_PATH __attribute__((optimize("omit-frame-pointer")))
#else
#define MM_FAST_PATH
#endif

/*
 * A fast path's panic, reached by a tail call so that the backtrace goes
 * on to the fast path's caller (a call from a function with no frame
 * record would leave that caller out).  noipa: were GCC to see that it
 * never returns, it would call it rather than jump.  (clang, which only
 * checks this code, has no noipa.)
 */
#ifdef __clang__
#define MM_TAIL_PANIC __attribute__((noinline, cold))
#else
#define MM_TAIL_PANIC __attribute__((noinline, noipa, cold))
#endif

/*
 * At the start of every slab.  A live slab's @self holds its own address
 * (a page that is not a slab rarely does): kfree() loads it with @cache
 * in one pair and compares it with the address it already has, where a
 * 32-bit magic number cost 3 instructions more on aarch64.
 */
struct slab {
	struct kmem_cache *cache;
	struct slab *self;           /* this slab while it is live, else NULL */
	void *free;                  /* first free object; each links the next */
	LIST_ENTRY(slab) link;       /* on the cache's partial or full list */
	uint32_t inuse;              /* allocated objects */
};

/* Is @s a live slab? */
static inline int slab_is_live(const struct slab *s)
{
	return s->self == s;
}

LIST_HEAD(slab_list, slab);

enum {
	CACHE_BUILTIN = 1 << 0,      /* the heap's own: never destroyed */
	CACHE_KMALLOC = 1 << 1,      /* a kmalloc size class: kfree may free */
};

/* Guards the list of every cache (mm/slab.c); taken before any cache's lock. */
extern struct spinlock heap_caches_lock;

/*
 * "This CPU's object caches, with interrupts masked": what protects each
 * struct kmem_cpu is that only its CPU touches it, between kc_enter() and
 * kc_exit() (the same rule as the frame allocator's pmm_cpu, see
 * mm/page_internal.h).  Taken before any lock of the heap's.
 */
struct CAPABILITY("this CPU's cache") heap_cpu_capability {
	char unused;
};

extern struct heap_cpu_capability heap_cpu;

/*
 * One CPU's free objects of one cache, linked through their first word
 * like a slab's (the poison of debug builds starts after it).  @room is
 * how many more it takes before a free gives a batch back: a countdown
 * rather than a count, so the free path tests it against zero.  A cache
 * line of its own.
 */
struct kmem_cpu {
	void *head GUARDED_BY(heap_cpu);
	unsigned long room GUARDED_BY(heap_cpu);
} __attribute__((aligned(64)));

#define KMEM_CPU_MAX 32   /* objects a CPU's cache may hold, for the smallest objects */

/*
 * The lock guards the lists, the slabs on them and nslabs; the layout
 * fields are set before the cache is registered and never change.  (The
 * analysis cannot name a member's own struct's lock: the functions that
 * need it say REQUIRES(c->lock) instead.)  The per-CPU caches come first,
 * so the fast paths find this CPU's at the cache's address plus 64 times
 * its number.
 */
struct kmem_cache {
	struct kmem_cpu cpu[CPU_MAX];
	struct spinlock lock ACQUIRED_AFTER(heap_caches_lock);
	struct slab_list partial;
	struct slab_list full;
	uint32_t size;               /* object stride, a multiple of align */
	uint32_t align;
	uint32_t first;              /* offset of the first object in a slab */
	uint32_t per_slab;           /* objects per slab */
	uint32_t cpu_limit;          /* objects a CPU's cache holds at most */
	uint32_t cpu_batch;          /* objects a refill takes / a full cache gives back */
	uint8_t order;               /* a slab is 2^order frames */
	uint8_t flags;
	uint64_t nslabs;
	uint64_t nempty;             /* slabs with no object in use: 0 or 1 */
	TAILQ_ENTRY(kmem_cache) link GUARDED_BY(heap_caches_lock); /* on heap_caches */
	char name[KMEM_NAME_MAX];
};

/* Mask interrupts and return this CPU's cache of @c; *@irq is for kc_exit(). */
static inline struct kmem_cpu *kc_enter(struct kmem_cache *c, unsigned long *irq)
	ACQUIRE(heap_cpu) NO_THREAD_SAFETY_ANALYSIS   /* the capability's primitive */
{
	struct kmem_cpu *kc;

	*irq = arch_irq_save();
	kc = &c->cpu[cpu_num()];
	/* Hide where kc comes from, so GCC addresses both fields from it
	 * (one load or store pair) instead of from c and the index. */
	__asm__("" : "+r"(kc));
	return kc;
}

static inline void kc_exit(unsigned long irq)
	RELEASE(heap_cpu) NO_THREAD_SAFETY_ANALYSIS   /* the capability's primitive */
{
	arch_irq_restore(irq);
}

/*
 * Take the capability for CPU @cpu's caches without a pointer to one:
 * this CPU's own, or another CPU's while it runs no heap code (the
 * checker; draining when no every-CPU call is set, see mm_each_cpu()).
 * Masks this CPU's interrupts; leave with kc_exit().
 */
static inline void kc_enter_cpu(unsigned cpu, unsigned long *irq)
	ACQUIRE(heap_cpu) NO_THREAD_SAFETY_ANALYSIS   /* the capability's primitive */
{
	(void)cpu;
	*irq = arch_irq_save();
}

/*
 * room is read by other CPUs (kc_cached_of()): stored whole, in one
 * store; in the kernel a volatile one (as the frame allocator's
 * pg_set_state(): GCC's relaxed atomic store costs address arithmetic,
 * and riscv64's is an amoswap), on the host the atomic ThreadSanitizer
 * follows.
 */
static inline void kc_set_room(struct kmem_cpu *kc, unsigned long room) REQUIRES(heap_cpu)
{
#ifdef KTEST_HOST
	__atomic_store_n(&kc->room, room, __ATOMIC_RELAXED);
#else
	*(volatile unsigned long *)&kc->room = room;
#endif
}

/*
 * Store @kc's head and room at once (the fast paths change both): one
 * store pair on aarch64 where two stores were, each half still a single
 * store for other CPUs' reads of room.  The host keeps kc_set_room()'s
 * atomic.
 */
typedef unsigned __int128 kc_pair __attribute__((may_alias));

_Static_assert(__builtin_offsetof(struct kmem_cpu, head) == 0 &&
               __builtin_offsetof(struct kmem_cpu, room) == 8 &&
               __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "head, then room, as one pair");

static inline void kc_set(struct kmem_cpu *kc, void *head, unsigned long room) REQUIRES(heap_cpu)
{
#ifdef KTEST_HOST
	kc->head = head;
	kc_set_room(kc, room);
#else
	*(volatile kc_pair *)kc = (kc_pair)room << 64 | (uintptr_t)head;
#endif
}

/* Objects in CPU @cpu's cache of @c, from anywhere: a relaxed read of a count its owner may be changing. */
static inline unsigned long kc_cached_of(const struct kmem_cache *c, unsigned cpu)
	NO_THREAD_SAFETY_ANALYSIS   /* an atomic read */
{
	return c->cpu_limit - __atomic_load_n(&c->cpu[cpu].room, __ATOMIC_RELAXED);
}

TAILQ_HEAD(cache_list, kmem_cache);

/* Every cache, oldest first (mm/slab.c). */
extern struct cache_list heap_caches GUARDED_BY(heap_caches_lock);

/* Slow paths (mm/slab.c). */

/* No partial slab: add one.  Lock held; returns the slab or NULL. */
struct slab *slab_grow_locked(struct kmem_cache *c) REQUIRES(c->lock);

/* Give the frames of @s (no object in use) back.  Lock held. */
void slab_release_locked(struct kmem_cache *c, struct slab *s) REQUIRES(c->lock);

/*
 * Lay out and register one of the heap's own caches (never destroyed),
 * with slabs of at most 2^@max_order frames.  Panics when none fits.
 */
void heap_builtin_cache(struct kmem_cache *c, const char *name, size_t size,
                        size_t align, unsigned max_order, unsigned flags);

/* mm/kmalloc.c: set up the size classes; count the large blocks. */
void kmalloc_init(void);
void kmalloc_large_stats(uint64_t *blocks, uint64_t *pages);

/* Debug builds (mm/slab_debug.c). */

/* Panic unless @obj, free, still holds its poison past the link word. */
void slab_check_poison(const struct kmem_cache *c, const void *obj);

/*
 * Why @obj cannot be freed into @c, whose lock is held and whose this
 * CPU's cache is @kc (not a slab of @c's, not an object's start, already
 * free in its slab or in @kc); NULL when it can.  A double free whose
 * first copy sits in another CPU's cache is found when that cache gives
 * it back to its slab (slab_put_locked()).
 */
const char *slab_free_problem(struct kmem_cache *c, const struct kmem_cpu *kc, const void *obj)
	REQUIRES(c->lock, heap_cpu);

static inline void slab_poison(const struct kmem_cache *c, void *obj)
{
	memset((char *)obj + sizeof(void *), OBJ_POISON, c->size - sizeof(void *));
}

/* slab_alloc() in full: refilling this CPU's cache, the poison check, zeroing. */
void *slab_alloc_slow(struct kmem_cache *c, unsigned flags);

/*
 * slab_free() in full: the debug checks and poison, a full cache.  The
 * object first: kfree() has it in the first argument register already
 * (a move fewer on its fast path).
 */
void slab_free_slow(void *obj, struct kmem_cache *c);

/*
 * The fast path pops this CPU's cache; everything else (an empty cache,
 * zeroing, debug checks and failure injection) goes the slow way.
 */
static inline void *slab_alloc(struct kmem_cache *c, unsigned flags)
{
	unsigned long irq, room;
	struct kmem_cpu *kc;
	void *obj;

	if (KDEBUG || flags)
		return slab_alloc_slow(c, flags);
	kc = kc_enter(c, &irq);
	obj = kc->head;
	room = kc->room;
	if (unlikely(!obj)) {
		kc_exit(irq);
		return slab_alloc_slow(c, flags);
	}
	kc_set(kc, *(void **)obj, room + 1);
	kc_exit(irq);
	return obj;
}

/* Give @obj (an object of @c, checked by the caller) back: a push on this CPU's cache. */
static inline void slab_free(struct kmem_cache *c, void *obj)
{
	unsigned long irq, room;
	void *head;
	struct kmem_cpu *kc;

	if (KDEBUG)
		return slab_free_slow(obj, c);
	kc = kc_enter(c, &irq);
	head = kc->head;
	room = kc->room;
	if (unlikely(!room)) {
		kc_exit(irq);
		return slab_free_slow(obj, c);
	}
	*(void **)obj = head;
	kc_set(kc, obj, room - 1);
	kc_exit(irq);
}

#endif
