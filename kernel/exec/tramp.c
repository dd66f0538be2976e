/*
 * FFI callback trampolines (kernel/exec/tramp.h).
 *
 * Windows.  A window is TRAMP_WINDOW_SIZE bytes aligned to its size: the
 * image's trampoline page mapped read+execute at its start, then fresh
 * zeroed read+write pages (hot pairs, header, cold entries), then any
 * reserved padding up to the power of two.  It is mapped with the kernel
 * aspace API rather than pt_map() into a private range, so that vareas, faults,
 * audits and aspace_check() see it like anything else:
 *  1. aspace_map_anon(size = align = TRAMP_WINDOW_SIZE, perms 0) finds and
 *     reserves an aligned free range (no leaves, no frames);
 *  2. aspace_map_phys(MAP_FIXED) puts the RX alias of the image's page over
 *     its first page (a physical object: no frame is copied, and the frame
 *     gets one page_get() per window, so its count says how many windows
 *     alias it);
 *  3. aspace_map_anon(MAP_FIXED, RW, POPULATE) backs the metadata pages
 *     with zeroed frames.
 * Each step is all-or-nothing and a failure unmaps the window, so a failed
 * window leaves nothing behind.
 *
 * The call path (arch/<arch>/tramp.S) reads the slot's {target, context}
 * at "trampoline + 4 KiB" and calls.  Everything else goes from an address
 * to its window by masking (the alignment) and checks the window against
 * the window list, so a stray address is refused, never dereferenced.
 *
 * A slot that is not live always holds {tramp_dead_call, its entry}, so a
 * call through a deleted (or never used) trampoline reaches the dead
 * handler, never stale data.  Free entries are kept FIFO: a freed one goes
 * to the tail, so an address just deleted is the last to come back.
 */
#include <stdio.h>
#include <string.h>
#include <arch/mmu.h>
#include <mm/boot_mmu.h>
#include <lib/err.h>
#include <exec/fiber.h>
#include <lib/panic.h>
#include <lib/spinlock.h>
#include <exec/tramp.h>
#include <mm/aspace.h>
#include <mm/heap.h>
#include <mm/page.h>

extern const char __tramp_start[];

/* What the stub reads: one per slot, at slot address + TRAMP_HOT_OFFSET. */
struct tramp_hot {
	void *target;
	void *ctx;
};

struct tramp_target;

/* The rest of a slot's metadata, in the cold pages, by slot index. */
struct tramp_entry {
	union {
		LIST_ENTRY(tramp_entry) owner;   /* live: on its owner's list */
		TAILQ_ENTRY(tramp_entry) free;   /* free: on the free list */
	} link;
	LIST_ENTRY(tramp_entry) tlink;   /* async: on its target's list */
	tramp_fn target;                 /* the caller's target */
	void *ctx;
	tramp_dtor_fn dtor;              /* run on ctx at delete, or NULL */
	struct tramp_owner *owner;
	struct tramp_target *tgt;        /* async: its fiber's record; NULL once it ended */
	uint32_t kind;                   /* enum tramp_kind */
	uint32_t pending;                /* async calls queued */
};
_Static_assert(sizeof(struct tramp_entry) <= 96, "cold entries are 96 bytes");
#define ENTRY_SIZE 96

/*
 * A fiber that async callbacks aim at: made with its first callback, gone
 * with the fiber (an exit hook), so nothing outlives it.  Its queued
 * calls wait here, oldest first.
 */
struct tramp_target {
	struct fiber_hook hook;          /* runs in the fiber's fiber_exit() */
	struct fiber *fiber;
	LIST_ENTRY(tramp_target) link;   /* on targets */
	LIST_HEAD(, tramp_entry) entries;   /* its live async callbacks */
	STAILQ_HEAD(, tramp_call) calls;
	struct fiber_future *waiting;    /* its fiber blocks in tramp_async_serve() */
};

/*
 * The window header, in the shadow of the stub at the start of the hot
 * page (no slot uses those bytes).  The runtime table is per window so a
 * window is self-describing: create and delete take the handlers from it.
 */
struct tramp_window {
	/* runtime function pointers */
	void *fn_dead;                   /* what a free slot calls */
	void *fn_async;                  /* what an async slot calls: queues */
	/* bookkeeping */
	uintptr_t base;
	unsigned nlive;
	unsigned boot;                   /* the boot window: never unmapped */
	TAILQ_ENTRY(tramp_window) link;
};
_Static_assert(sizeof(struct tramp_window) <= TRAMP_STUB_SIZE, "header fits the stub's shadow");
_Static_assert(TRAMP_COLD_OFFSET + TRAMP_NSLOTS * ENTRY_SIZE <= TRAMP_RW_END,
               "cold entries fit the RW pages");
_Static_assert(TRAMP_RW_END <= TRAMP_WINDOW_SIZE, "RW pages fit the window");
_Static_assert((TRAMP_WINDOW_SIZE & (TRAMP_WINDOW_SIZE - 1)) == 0, "window is a power of two");

/* A queued async call: the argument registers as the queueing function got them. */
struct tramp_call {
	STAILQ_ENTRY(tramp_call) link;
	struct tramp_entry *e;
	uint64_t i[8];
	double d[8];
};

typedef intptr_t (*tramp_full_fn)(void *ctx, uint64_t, uint64_t, uint64_t, uint64_t,
                                  uint64_t, uint64_t, uint64_t, uint64_t,
                                  double, double, double, double,
                                  double, double, double, double);

/*
 * Everything below (windows, slots, free list, async targets and their
 * queued calls, statistics) is under tramp_lock, IRQ-safe: an async
 * trampoline may be called from an interrupt handler, on any CPU.  Lock
 * order: tramp_lock, then the kernel aspace's (windows are mapped and
 * unmapped under it), then the heap's and the frame allocator's; also
 * inside it: fibers' live_lock (exit hooks) and a run queue's lock
 * (waking a target).  No target or destructor is ever called with it
 * held: they may create or delete trampolines.
 */
static struct spinlock tramp_lock = SPINLOCK_INIT;
static TAILQ_HEAD(, tramp_window) windows = TAILQ_HEAD_INITIALIZER(windows);
static TAILQ_HEAD(, tramp_entry) free_list = TAILQ_HEAD_INITIALIZER(free_list);
static LIST_HEAD(, tramp_target) targets = LIST_HEAD_INITIALIZER(targets);
static struct tramp_stats stats;
static paddr_t code_pa;

/* ---- addresses ------------------------------------------------------------ */

static struct tramp_window *window_hdr(uintptr_t base)
{
	return (struct tramp_window *)(base + TRAMP_HOT_OFFSET);
}

static struct tramp_hot *slot_hot(uintptr_t base, unsigned slot)
{
	return (struct tramp_hot *)(base + TRAMP_HOT_OFFSET + slot * TRAMP_SLOT_SIZE);
}

static struct tramp_entry *slot_entry(uintptr_t base, unsigned slot)
{
	return (struct tramp_entry *)(base + TRAMP_COLD_OFFSET + slot * ENTRY_SIZE);
}

static uintptr_t entry_base(const struct tramp_entry *e)
{
	return tramp_window_of((uintptr_t)e);
}

static unsigned entry_slot(const struct tramp_entry *e)
{
	return (unsigned)(((uintptr_t)e - entry_base(e) - TRAMP_COLD_OFFSET) / ENTRY_SIZE);
}

static tramp_fn entry_tramp(const struct tramp_entry *e)
{
	return (tramp_fn)(entry_base(e) + entry_slot(e) * TRAMP_SLOT_SIZE);
}

/*
 * The entry of trampoline address @t, or NULL when @t is not a slot of a
 * mapped window.  Walks the window list (not on the call path).
 */
static struct tramp_entry *find_entry(uintptr_t t)
{
	uintptr_t base = tramp_window_of(t), off = t - base;
	struct tramp_window *w;

	if (off >= PAGE_SIZE || off % TRAMP_SLOT_SIZE || off < TRAMP_STUB_SIZE)
		return NULL;
	TAILQ_FOREACH(w, &windows, link)
		if (w->base == base)
			return slot_entry(base, (unsigned)(off / TRAMP_SLOT_SIZE));
	return NULL;
}

/* ---- runtime functions the slots call ------------------------------------- */

/*
 * A free slot, or an async callback whose fiber ended, was called: report
 * it and return 0 to the caller.
 */
static intptr_t tramp_dead_call(struct tramp_entry *e)
{
	__atomic_fetch_add(&stats.dead_calls, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&e->kind, __ATOMIC_RELAXED) == TRAMP_DEAD)
		printf("tramp: call of async callback %p whose fiber ended\n", (void *)entry_tramp(e));
	else
		printf("tramp: call through deleted trampoline %p\n", (void *)entry_tramp(e));
	return 0;
}

/* A call came for @t, or its last callback went: wake its fiber if it waits. */
static void target_wake(struct tramp_target *t)
{
	struct fiber_future *fu = t->waiting;

	if (fu) {
		t->waiting = NULL;
		fiber_future_set(fu, 0);
	}
}

/*
 * An async slot was called: the stub handed over the context (@e) and the
 * caller's 8 integer arguments (the 8th from the stack) and left the FP
 * argument registers alone, so declaring them all captures everything.
 */
static intptr_t tramp_async_queue(struct tramp_entry *e, uint64_t i0, uint64_t i1,
                                  uint64_t i2, uint64_t i3, uint64_t i4, uint64_t i5,
                                  uint64_t i6, uint64_t i7, double d0, double d1,
                                  double d2, double d3, double d4, double d5,
                                  double d6, double d7)
{
	struct tramp_call *c = kmalloc(sizeof(*c), 0);
	unsigned long irq;

	if (!c)
		return E_NOMEM;
	c->e = e;
	c->i[0] = i0; c->i[1] = i1; c->i[2] = i2; c->i[3] = i3;
	c->i[4] = i4; c->i[5] = i5; c->i[6] = i6; c->i[7] = i7;
	c->d[0] = d0; c->d[1] = d1; c->d[2] = d2; c->d[3] = d3;
	c->d[4] = d4; c->d[5] = d5; c->d[6] = d6; c->d[7] = d7;
	irq = spin_lock_irqsave(&tramp_lock);
	/* Deleted, or its fiber ended, meanwhile (its slot now calls the dead
	 * handler): drop it. */
	if (e->kind != TRAMP_ASYNC) {
		spin_unlock_irqrestore(&tramp_lock, irq);
		kfree(c);
		return E_NOENT;
	}
	STAILQ_INSERT_TAIL(&e->tgt->calls, c, link);
	e->pending++;
	stats.async_pending++;
	target_wake(e->tgt);
	spin_unlock_irqrestore(&tramp_lock, irq);
	return 0;
}

/* Make @e's slot call the dead handler (free, or never used). */
static void slot_kill(struct tramp_window *w, struct tramp_entry *e)
{
	struct tramp_hot *h = slot_hot(w->base, entry_slot(e));

	h->ctx = e;
	h->target = w->fn_dead;
}

/* ---- windows -------------------------------------------------------------- */

/*
 * Map a window's pages into @as at *@base (0: the lowest free aligned
 * range): the image's trampoline page read+execute, zeroed read+write
 * metadata pages after it.  All or nothing.
 */
static int window_pages_map(struct aspace *as, uintptr_t *base)
{
	uintptr_t rx, rw;
	int rc;

	/* Reserve the whole aligned window (perms 0: no leaves, no frames)... */
	rc = aspace_map_anon(as, base, TRAMP_WINDOW_SIZE, TRAMP_WINDOW_SIZE, 0, 0);
	if (rc)
		return rc;
	/* ...then replace its start by the RX alias and the zeroed RW pages;
	 * any padding after them stays reserved, so nothing else lands there. */
	rx = *base;
	rc = aspace_map_phys_sealed(as, &rx, code_pa, PAGE_SIZE, MMU_READ | MMU_EXEC,
	                            VAREA_POPULATE | MAP_FIXED);
	if (rc)
		goto fail;
	rw = *base + PAGE_SIZE;
	rc = aspace_map_anon(as, &rw, TRAMP_RW_END - PAGE_SIZE, 0, MMU_READ | MMU_WRITE,
	                     VAREA_POPULATE | MAP_FIXED);
	if (rc)
		goto fail;
	return E_OK;

fail:
	aspace_unmap(as, *base, TRAMP_WINDOW_SIZE);
	return rc;
}

static int window_map(int boot)
{
	uintptr_t base = 0;
	int rc = window_pages_map(&kernel_aspace, &base);

	if (rc)
		return rc;
	page_get(pa_to_page(code_pa));

	struct tramp_window *w = window_hdr(base);

	w->fn_dead = (void *)tramp_dead_call;
	w->fn_async = (void *)tramp_async_queue;
	w->base = base;
	w->boot = boot;
	TAILQ_INSERT_TAIL(&windows, w, link);
	for (unsigned s = TRAMP_FIRST_SLOT; s < TRAMP_NSLOTS; s++) {
		struct tramp_entry *e = slot_entry(base, s);

		slot_kill(w, e);
		TAILQ_INSERT_TAIL(&free_list, e, link.free);
	}
	stats.windows++;
	stats.free += TRAMP_PER_WINDOW;
	return E_OK;
}

int tramp_window_map(struct aspace *as, uintptr_t *base)
{
	if (!as || !base || as == &kernel_aspace)
		return E_INVAL;
	if (*base & (TRAMP_WINDOW_SIZE - 1))
		return E_ALIGN;
	return window_pages_map(as, base);
}

int tramp_window_unmap(struct aspace *as, uintptr_t base)
{
	struct aspace_query q;

	if (!as || as == &kernel_aspace)
		return E_INVAL;
	if (base & (TRAMP_WINDOW_SIZE - 1))
		return E_ALIGN;
	/* A window starts with a varea of one read+execute page, the image's
	 * trampoline page where it is mapped (a fork's child maps it on touch). */
	if (aspace_query(as, base, &q) || q.start != base || q.size != PAGE_SIZE ||
	    q.perms != (MMU_READ | MMU_EXEC) || (q.mapped && q.pa != code_pa))
		return E_NOENT;
	return aspace_unmap(as, base, TRAMP_WINDOW_SIZE);
}

/* @w has no live callback left and is not the boot window: unmap it. */
static void window_unmap(struct tramp_window *w)
{
	uintptr_t base = w->base;
	int rc;

	for (unsigned s = TRAMP_FIRST_SLOT; s < TRAMP_NSLOTS; s++)
		TAILQ_REMOVE(&free_list, slot_entry(base, s), link.free);
	TAILQ_REMOVE(&windows, w, link);
	stats.windows--;
	stats.free -= TRAMP_PER_WINDOW;
	/* Unmapping whole vareas needs no split, so it cannot fail. */
	rc = aspace_unmap(&kernel_aspace, base, TRAMP_WINDOW_SIZE);
	if (rc)
		panic("tramp: unmapping window 0x%lx failed (%s)", (unsigned long)base, err_str(rc));
	page_put(pa_to_page(code_pa));
}

int tramp_init(void)
{
	code_pa = kernel_image_pa(__tramp_start);
	return window_map(1);
}

uintptr_t tramp_code_pa(void)
{
	return (uintptr_t)code_pa;
}

/* ---- create / delete ------------------------------------------------------ */

static struct tramp_entry *entry_alloc(void)
{
	struct tramp_entry *e = TAILQ_FIRST(&free_list);

	if (!e) {
		if (window_map(0))
			return NULL;
		e = TAILQ_FIRST(&free_list);
	}
	TAILQ_REMOVE(&free_list, e, link.free);
	stats.free--;
	return e;
}

static struct tramp_target *target_find(struct fiber *f)
{
	struct tramp_target *t;

	LIST_FOREACH(t, &targets, link)
		if (t->fiber == f)
			return t;
	return NULL;
}

static void target_ended(struct fiber_hook *h, struct fiber *f);

/* @f's record, made when it has none; NULL when memory ran out or @f is ending. */
static struct tramp_target *target_get(struct fiber *f)
{
	struct tramp_target *t = target_find(f);

	if (t)
		return t;
	t = kmalloc(sizeof(*t), KM_ZERO);
	if (!t)
		return NULL;
	t->fiber = f;
	t->hook.fn = target_ended;
	LIST_INIT(&t->entries);
	STAILQ_INIT(&t->calls);
	if (fiber_hook_add(f, &t->hook)) {
		kfree(t);
		return NULL;
	}
	LIST_INSERT_HEAD(&targets, t, link);
	return t;
}

static tramp_fn create(enum tramp_kind kind, tramp_fn target, void *ctx,
                       struct fiber *f, struct tramp_owner *owner)
{
	struct tramp_target *tgt = NULL;
	struct tramp_entry *e;

	if (kind == TRAMP_ASYNC && !(tgt = target_get(f)))
		return NULL;
	e = entry_alloc();
	if (!e)
		return NULL;
	struct tramp_window *w = window_hdr(entry_base(e));
	struct tramp_hot *h = slot_hot(w->base, entry_slot(e));

	e->kind = kind;
	e->target = target;
	e->ctx = ctx;
	e->dtor = NULL;
	e->tgt = tgt;
	e->owner = owner;
	e->pending = 0;
	if (tgt)
		LIST_INSERT_HEAD(&tgt->entries, e, tlink);
	if (owner) {
		LIST_INSERT_HEAD(&owner->list, e, link.owner);
		owner->count++;
	}
	w->nlive++;
	stats.live++;
	/* The stub reads target then context: write the context first. */
	if (kind == TRAMP_ASYNC) {
		h->ctx = e;
		h->target = w->fn_async;
	} else {
		h->ctx = ctx;
		h->target = (void *)target;
	}
	return entry_tramp(e);
}

static tramp_fn create_locked(enum tramp_kind kind, tramp_fn target, void *ctx,
                              struct fiber *f, struct tramp_owner *owner)
{
	unsigned long irq = spin_lock_irqsave(&tramp_lock);
	tramp_fn t = create(kind, target, ctx, f, owner);

	spin_unlock_irqrestore(&tramp_lock, irq);
	return t;
}

tramp_fn tramp_create(tramp_fn target, void *ctx, struct tramp_owner *owner)
{
	if (!target)
		return NULL;
	return create_locked(TRAMP_SYNC, target, ctx, NULL, owner);
}

tramp_fn tramp_create_async(tramp_fn target, void *ctx, struct fiber *f,
                            struct tramp_owner *owner)
{
	if (!target || !f)
		return NULL;
	return create_locked(TRAMP_ASYNC, target, ctx, f, owner);
}

/*
 * Take async callback @e off its target: its queued calls are dropped, its
 * slot calls the dead handler, and it no longer points at the fiber.
 */
static void entry_untarget(struct tramp_entry *e)
{
	struct tramp_target *t = e->tgt;
	struct tramp_call *c, *prev = NULL, *next;

	for (c = STAILQ_FIRST(&t->calls); c && e->pending; c = next) {
		next = STAILQ_NEXT(c, link);
		if (c->e != e) {
			prev = c;
			continue;
		}
		if (prev)
			STAILQ_REMOVE_AFTER(&t->calls, prev, link);
		else
			STAILQ_REMOVE_HEAD(&t->calls, link);
		kfree(c);
		e->pending--;
		stats.async_pending--;
	}
	LIST_REMOVE(e, tlink);
	e->tgt = NULL;
	slot_kill(window_hdr(entry_base(e)), e);
	if (LIST_EMPTY(&t->entries))
		target_wake(t);         /* nothing can come for it any more */
}

/* Exit hook: the target's fiber ends, its callbacks die (they stay allocated until deleted). */
static void target_ended(struct fiber_hook *h, struct fiber *f)
{
	struct tramp_target *t = (struct tramp_target *)h;
	unsigned long irq = spin_lock_irqsave(&tramp_lock);
	struct tramp_entry *e;

	(void)f;
	while ((e = LIST_FIRST(&t->entries)) != NULL) {
		entry_untarget(e);
		e->kind = TRAMP_DEAD;
	}
	LIST_REMOVE(t, link);
	spin_unlock_irqrestore(&tramp_lock, irq);
	kfree(t);
}

static void entry_free(struct tramp_entry *e)
{
	struct tramp_window *w = window_hdr(entry_base(e));

	if (e->tgt)
		entry_untarget(e);
	slot_kill(w, e);
	if (e->owner) {
		LIST_REMOVE(e, link.owner);
		e->owner->count--;
	}
	e->kind = TRAMP_FREE;
	e->target = NULL;
	e->ctx = NULL;
	e->owner = NULL;
	e->dtor = NULL;
	TAILQ_INSERT_TAIL(&free_list, e, link.free);
	stats.free++;
	stats.live--;
	if (--w->nlive == 0 && !w->boot)
		window_unmap(w);
}

/* What a deleted callback's destructor needs, taken under the lock. */
struct dtor_call {
	tramp_dtor_fn fn;
	void *ctx;
};

/* Free @e (lock held) and say what destructor to run once it is dropped. */
static struct dtor_call entry_delete(struct tramp_entry *e)
{
	struct dtor_call d = { e->dtor, e->ctx };

	entry_free(e);
	return d;
}

int tramp_delete(tramp_fn t)
{
	unsigned long irq = spin_lock_irqsave(&tramp_lock);
	struct tramp_entry *e = find_entry((uintptr_t)t);
	struct dtor_call d = { NULL, NULL };
	int rc = E_NOENT;

	if (e && e->kind != TRAMP_FREE) {
		d = entry_delete(e);
		rc = E_OK;
	}
	spin_unlock_irqrestore(&tramp_lock, irq);
	if (d.fn)
		d.fn(d.ctx);
	return rc;
}

unsigned tramp_delete_all(struct tramp_owner *owner)
{
	unsigned n = 0;

	for (;;) {
		unsigned long irq = spin_lock_irqsave(&tramp_lock);
		struct tramp_entry *e = LIST_FIRST(&owner->list);
		struct dtor_call d;

		if (!e) {
			spin_unlock_irqrestore(&tramp_lock, irq);
			return n;
		}
		d = entry_delete(e);
		spin_unlock_irqrestore(&tramp_lock, irq);
		if (d.fn)
			d.fn(d.ctx);
		n++;
	}
}

int tramp_set_dtor(tramp_fn t, tramp_dtor_fn dtor)
{
	unsigned long irq = spin_lock_irqsave(&tramp_lock);
	struct tramp_entry *e = find_entry((uintptr_t)t);
	int rc = E_NOENT;

	if (e && e->kind != TRAMP_FREE) {
		e->dtor = dtor;
		rc = E_OK;
	}
	spin_unlock_irqrestore(&tramp_lock, irq);
	return rc;
}

int tramp_lookup(tramp_fn t, struct tramp_info *out)
{
	unsigned long irq = spin_lock_irqsave(&tramp_lock);
	struct tramp_entry *e = find_entry((uintptr_t)t);

	if (!e) {
		spin_unlock_irqrestore(&tramp_lock, irq);
		return E_NOENT;
	}
	out->kind = (enum tramp_kind)e->kind;
	out->target = e->target;
	out->ctx = e->ctx;
	out->owner = e->owner;
	out->fiber = e->tgt ? e->tgt->fiber : NULL;
	out->window = entry_base(e);
	out->slot = entry_slot(e);
	spin_unlock_irqrestore(&tramp_lock, irq);
	return E_OK;
}

/* ---- async ---------------------------------------------------------------- */

unsigned tramp_async_run_pending(void)
{
	struct fiber *self = fiber_self();
	unsigned n = 0;

	for (;;) {
		unsigned long irq = spin_lock_irqsave(&tramp_lock);
		struct tramp_target *t = target_find(self);
		struct tramp_call *c = t ? STAILQ_FIRST(&t->calls) : NULL;

		if (!c) {
			spin_unlock_irqrestore(&tramp_lock, irq);
			return n;
		}
		STAILQ_REMOVE_HEAD(&t->calls, link);
		c->e->pending--;
		stats.async_pending--;
		/* The target may delete its own callback: read e before the call,
		 * which runs without the lock. */
		tramp_full_fn fn = (tramp_full_fn)c->e->target;
		void *ctx = c->e->ctx;
		spin_unlock_irqrestore(&tramp_lock, irq);
		fn(ctx, c->i[0], c->i[1], c->i[2], c->i[3], c->i[4], c->i[5], c->i[6],
		   c->i[7], c->d[0], c->d[1], c->d[2], c->d[3], c->d[4], c->d[5], c->d[6],
		   c->d[7]);
		kfree(c);
		n++;
	}
}

unsigned tramp_async_serve(void)
{
	struct fiber *self = fiber_self();

	for (;;) {
		unsigned n = tramp_async_run_pending();

		if (n)
			return n;
		struct fiber_future fu = { 0 };
		unsigned long irq = spin_lock_irqsave(&tramp_lock);
		struct tramp_target *t = target_find(self);

		if (!t || LIST_EMPTY(&t->entries)) {
			spin_unlock_irqrestore(&tramp_lock, irq);
			return 0;           /* no callback aims here: nothing can come */
		}
		if (!STAILQ_EMPTY(&t->calls)) {
			spin_unlock_irqrestore(&tramp_lock, irq);
			continue;
		}
		t->waiting = &fu;
		spin_unlock_irqrestore(&tramp_lock, irq);
		fiber_block_on(&fu);
	}
}

void tramp_get_stats(struct tramp_stats *out)
{
	unsigned long irq = spin_lock_irqsave(&tramp_lock);

	*out = stats;
	spin_unlock_irqrestore(&tramp_lock, irq);
}
