/*
 * Fibers (kernel/exec/fiber.h): the scheduler, ending and joining,
 * resuming and suspending, futures.  Stacks are kstacks (kstack.c); the
 * register switch is the arch's (arch_fiber_switch, fiber_switch.S).
 *
 * A fiber's stack, from the top down: its link (the first frame record,
 * two words, rewritten by every switch into the fiber), then whatever it
 * runs.  Under the stack's lowest page sits the guard page that the
 * aspace keeps free for VAREA_STACK vareas.
 *
 * Waiting.  A fiber waits for a word to change (block_while()): under
 * its CPU's run queue lock it checks the word and, unchanged, marks
 * itself blocked and switches away.  Whoever changes the word does so
 * under the waiter's run queue lock and wakes it there (set_and_wake()),
 * so a wake-up is never lost, and once the waiter has seen the word
 * change, the waker is done with the waiter and with the word's memory.
 * Joins, resumes, suspends and futures are all built that way.
 */
#include <stdio.h>
#include <string.h>
#include <arch/arch.h>
#include <arch/smp.h>
#include <boot/smp.h>
#include <exec/fiber.h>
#include <exec/kstack.h>
#include <lib/err.h>
#include <lib/panic.h>
#include <lib/spinlock.h>
#include <mm/heap.h>

_Static_assert(FIBER_TRAP_RESERVE == KSTACK_TRAP_RESERVE, "one trap reserve");

enum fiber_state {
	FIBER_RUNNING,
	FIBER_RUNNABLE,                 /* on its CPU's run queue */
	FIBER_BLOCKED,                  /* waiting for a word to change */
	FIBER_IDLE,                     /* a CPU's idle fiber, not running */
	FIBER_DEAD,                     /* ended; its stack goes at the next switch */
};

struct fiber {
	TAILQ_ENTRY(fiber) runq;        /* on its CPU's run queue while runnable */
	struct kstack stack;
	uintptr_t sp;                   /* saved stack pointer while not running */
	uintptr_t *link;                /* its first frame record: two words */
	struct fiber *link_owner;       /* whose frames the link holds */
	struct fiber *linked;           /* the fiber whose link holds ours */
	enum fiber_state state;         /* under its CPU's run queue lock */
	unsigned cpu;                   /* where it runs; never changes */
	unsigned flags;                 /* FIBER_SUSPENDED: resumable */
	int ended;                      /* its stack is gone: it may be freed */
	int ending;                     /* in fiber_exit(): hooks closed */
	struct fiber *joiner;           /* waits in fiber_join() */
	/* Resuming: the resumer waits for suspends to change, the fiber for resumes. */
	struct fiber *resumer;          /* the last fiber_resume() caller */
	unsigned resumes, suspends;
	int suspended;                  /* waits for a resume (under its CPU's lock) */
	int finished;                   /* ended (while resumed) */
	intptr_t xfer;                  /* the value crossing a resume or suspend */
	LIST_HEAD(, fiber_hook) hooks;  /* under live_lock */
	fiber_entry_t entry;
	void *arg;
	intptr_t result;
	char name[FIBER_NAME_MAX];
};

TAILQ_HEAD(fiber_list, fiber);

extern char boot_stack_bottom[], boot_stack_top[];

/*
 * Each CPU's run queue.  The lock guards the queue, the state of every
 * fiber of the CPU, and the words its fibers wait for.  reap (a fiber
 * that ended, whose stack the next switch frees), idle, switch_irq and
 * prev are the CPU's own, read and written with interrupts masked.
 */
struct runq {
	struct spinlock lock;
	struct fiber_list queue;
	struct fiber *idle;             /* what runs when the queue is empty */
	struct fiber *reap;
	struct fiber *prev;             /* what the last switch left */
	unsigned long switch_irq;       /* interrupt state of the last switch */
} __attribute__((aligned(64)));

static struct runq runqs[CPU_MAX];

/*
 * A link is a frame record (two words) with the caller's sp in the word
 * below (arch_fiber_switch()).  A boot fiber's chain ends in start.S:
 * switches into it store their link here, where no walk reads it; a
 * switch away from an ended fiber stores it in dead_links: the frames it
 * describes are about to be freed.
 */
#define LINK_WORDS 4
static uintptr_t boot_links[CPU_MAX][LINK_WORDS];
static uintptr_t dead_links[CPU_MAX][LINK_WORDS];

/*
 * Each CPU's boot fiber: the context it booted in (the boot CPU's
 * kernel_main, a secondary's idle loop).  Boot stacks have no guard
 * page, so they get no stack limit (0).
 */
static struct fiber boot_fibers[CPU_MAX];

/* The running fiber of this CPU. */
#define current (this_cpu()->fiber)

/* The fiber count, and every fiber's exit hooks: under live_lock (IRQ-safe). */
static struct spinlock live_lock = SPINLOCK_INIT;
static unsigned nfibers = 1;

static int is_boot_fiber(const struct fiber *f)
{
	return f >= &boot_fibers[0] && f < &boot_fibers[CPU_MAX];
}

void fiber_cpu_init(struct cpu *c)
{
	struct fiber *f = &boot_fibers[c->num];
	struct runq *rq = &runqs[c->num];

	f->state = FIBER_RUNNING;
	f->cpu = c->num;
	f->link = &boot_links[c->num][2];
	if (c->num) {
		f->stack.lo = (uintptr_t)cpu_boot_stacks[c->num];
		f->stack.hi = f->stack.lo + CPU_BOOT_STACK_SIZE;
		rq->idle = f;           /* a secondary's boot fiber is its idle loop */
	} else {
		f->stack.lo = (uintptr_t)boot_stack_bottom;
		f->stack.hi = (uintptr_t)boot_stack_top;
	}
	snprintf(f->name, sizeof(f->name), c->num ? "cpu%u" : "boot", c->num);
	spin_init(&rq->lock);
	TAILQ_INIT(&rq->queue);
	c->fiber = f;
}

/* ---- switching ---------------------------------------------------------------- */

/* Make @f runnable: its CPU's lock held.  Returns 1 when it was blocked. */
static int wake_locked(struct fiber *f)
{
	if (f->state != FIBER_BLOCKED)
		return 0;
	f->state = FIBER_RUNNABLE;
	TAILQ_INSERT_TAIL(&runqs[f->cpu].queue, f, runq);
	return 1;
}

/* The next fiber for this CPU (lock held): the queue's first, else the idle fiber. */
static struct fiber *dequeue_next(struct runq *rq)
{
	struct fiber *next = TAILQ_FIRST(&rq->queue);

	if (next) {
		TAILQ_REMOVE(&rq->queue, next, runq);
		return next;
	}
	if (!rq->idle || rq->idle == current)
		panic("fiber %s: nothing else to run on cpu %u, every fiber waits",
		      current->name, cpu_num());
	return rq->idle;
}

/*
 * Links.  A switch from X into F points F's link at X's frames, which
 * stay as they are while X is suspended: until X runs again, or F ends.
 * Then the pair is undone (X->linked, F->link_owner), and F's chain ends
 * at its own stack, unless a new switch into F links it again.  A switch
 * from an ending fiber links nothing: its frames are about to go.  X and
 * F are always fibers of one CPU: fibers never change CPUs.
 */
static void unlink_fiber(struct fiber *f)
{
	f->link[0] = 0;
	f->link[1] = (uintptr_t)arch_fiber_origin_ra;   /* the chain's end */
	f->link_owner->linked = NULL;
	f->link_owner = NULL;
}

static void set_and_wake(struct fiber *w, unsigned *word, unsigned val);

/* After every switch, on the fiber switched to: free the stack of one that ended. */
static void finish_switch(struct runq *rq)
{
	struct fiber *dead = rq->reap, *j;

	if (!dead)
		return;
	rq->reap = NULL;
	/* A joiner on this CPU was woken at the exit: it runs after this. */
	kstack_fini(&dead->stack);
	unsigned long irq = spin_lock_irqsave(&rq->lock);

	j = dead->joiner;
	if (dead->ended || !j) {
		dead->ended = 1;
		spin_unlock_irqrestore(&rq->lock, irq);
		return;
	}
	spin_unlock_irqrestore(&rq->lock, irq);
	/* The joiner waits on another CPU: wake it under its CPU's lock. */
	set_and_wake(j, (unsigned *)&dead->ended, 1);
}

/*
 * Run @next (off the run queue) instead of the current fiber, which is
 * queued, blocked, idle or ended already.  Called with this CPU's run
 * queue lock held and interrupts masked (@irq: the state to restore),
 * returns with neither, when the current fiber is switched back to.
 * noinline: backtraces through a link name it.
 */
static __attribute__((noinline)) void switch_to(struct runq *rq, struct fiber *next,
                                                unsigned long irq)
{
	struct fiber *prev = current;
	uintptr_t *link = &dead_links[prev->cpu][2];

	if (prev->state != FIBER_DEAD) {
		uintptr_t sp = arch_current_fp();

		/* Another fiber would run on the stack under a call on it. */
		if (sp - prev->stack.lo >= prev->stack.hi - prev->stack.lo)
			panic("fiber %s: switching while on another stack (sp 0x%lx)",
			      prev->name, (unsigned long)sp);
	}
	if (next->linked)               /* next's frames change from now on */
		unlink_fiber(next->linked);
	if (prev->state != FIBER_DEAD) {
		if (next->link_owner)
			unlink_fiber(next);
		next->link_owner = prev;
		prev->linked = next;
		link = next->link;
	}
	current = next;
	next->state = FIBER_RUNNING;
	rq->switch_irq = irq;
	/* Interrupts stay masked: no trap between the new stack pointer and
	 * its limit (trap entry would check the new stack against the old). */
	spin_unlock(&rq->lock);
	/* struct cpu's proc holds only until a switch: a process thread
	 * switched back to takes it again, and its aspace with it, on its
	 * way back to user mode (proc_return()). */
	this_cpu()->proc = NULL;
	arch_fiber_switch(&prev->sp, next->sp, next->stack.limit, link);
	arch_irq_restore(irq);
	finish_switch(rq);
}

/* Where every fiber starts (from arch_fiber_entry). */
static __attribute__((noreturn)) void fiber_main(void)
{
	struct fiber *self = current;
	struct runq *rq = &runqs[self->cpu];

	arch_irq_restore(rq->switch_irq);   /* as the fiber that switched here had it */
	finish_switch(rq);
	fiber_exit(self->entry(self->arg));
}

/*
 * Block the running fiber until *@word differs from @old; the word is
 * changed under this CPU's run queue lock (set_and_wake()).
 */
static void block_while(const unsigned *word, unsigned old)
{
	struct fiber *self = current;
	struct runq *rq = &runqs[self->cpu];

	for (;;) {
		unsigned long irq = spin_lock_irqsave(&rq->lock);

		if (*word != old) {
			spin_unlock_irqrestore(&rq->lock, irq);
			return;
		}
		self->state = FIBER_BLOCKED;
		switch_to(rq, dequeue_next(rq), irq);
	}
}

/* Set *@word to @val and wake @w, which may wait for it, under @w's CPU's lock. */
static void set_and_wake(struct fiber *w, unsigned *word, unsigned val)
{
	unsigned cpu = w->cpu;
	struct runq *rq = &runqs[cpu];
	unsigned long irq = spin_lock_irqsave(&rq->lock);
	int woke;

	*word = val;
	woke = wake_locked(w);
	spin_unlock_irqrestore(&rq->lock, irq);
	if (woke && cpu != cpu_num())
		arch_ipi_send(&cpus[cpu]);
}

/*
 * Set *@word to @val for @t and wait until *@mine differs from @old.  When
 * @t is blocked on this CPU, switch straight to it (no run queue trip).
 */
static void handoff(struct fiber *t, unsigned *word, unsigned val,
                    const unsigned *mine, unsigned old)
{
	struct fiber *self = current;
	struct runq *rq = &runqs[self->cpu];

	if (t->cpu != self->cpu) {
		set_and_wake(t, word, val);
		block_while(mine, old);
		return;
	}
	unsigned long irq = spin_lock_irqsave(&rq->lock);

	*word = val;
	if (*mine != old) {
		wake_locked(t);
		spin_unlock_irqrestore(&rq->lock, irq);
		return;
	}
	self->state = FIBER_BLOCKED;
	if (t->state == FIBER_BLOCKED) {
		switch_to(rq, t, irq);
	} else {
		switch_to(rq, dequeue_next(rq), irq);
	}
	block_while(mine, old);
}

void fiber_yield(void)
{
	struct fiber *self = current;
	struct runq *rq = &runqs[self->cpu];
	unsigned long irq = spin_lock_irqsave(&rq->lock);
	struct fiber *next = TAILQ_FIRST(&rq->queue);

	if (!next) {
		spin_unlock_irqrestore(&rq->lock, irq);
		return;
	}
	TAILQ_REMOVE(&rq->queue, next, runq);
	self->state = FIBER_RUNNABLE;
	TAILQ_INSERT_TAIL(&rq->queue, self, runq);
	switch_to(rq, next, irq);
}

unsigned fiber_run_queued(void)
{
	struct fiber *self = current;
	struct runq *rq = &runqs[self->cpu];
	unsigned n = 0;

	for (;;) {
		unsigned long irq = spin_lock_irqsave(&rq->lock);
		struct fiber *next = TAILQ_FIRST(&rq->queue);

		if (!next) {
			spin_unlock_irqrestore(&rq->lock, irq);
			return n;
		}
		TAILQ_REMOVE(&rq->queue, next, runq);
		self->state = FIBER_IDLE;
		switch_to(rq, next, irq);
		n++;
	}
}

/* The boot CPU's idle fiber: runs what is queued, else waits for an interrupt. */
static __attribute__((noreturn)) intptr_t idle_main(void *arg)
{
	(void)arg;
	for (;;) {
		unsigned long irq = arch_irq_save();

		if (!fiber_run_queued())
			arch_cpu_idle();
		arch_irq_restore(irq);
	}
}

/* ---- creating, ending, joining ----------------------------------------------- */

static struct fiber *create(unsigned cpu, const char *name, fiber_entry_t entry, void *arg,
                            size_t stack_size, unsigned flags)
{
	struct fiber *f;

	if (flags & ~(FIBER_POPULATE | FIBER_SUSPENDED) || cpu >= CPU_MAX ||
	    !__atomic_load_n(&cpus[cpu].online, __ATOMIC_ACQUIRE))
		return NULL;
	f = kmalloc(sizeof(*f), KM_ZERO);
	if (!f)
		return NULL;
	if (kstack_init(&f->stack, stack_size, flags & FIBER_POPULATE ? KSTACK_POPULATE : 0,
	                "fiber")) {
		kfree(f);
		return NULL;
	}
	strlcpy(f->name, name ? name : "fiber", sizeof(f->name));
	f->entry = entry;
	f->arg = arg;
	f->cpu = cpu;
	f->flags = flags;
	f->link = (uintptr_t *)(f->stack.hi - 2 * sizeof(uintptr_t));
	f->sp = arch_fiber_stack_init(f->stack.hi, fiber_main);
	LIST_INIT(&f->hooks);
	unsigned long irq = spin_lock_irqsave(&live_lock);

	nfibers++;
	spin_unlock_irqrestore(&live_lock, irq);
	/* A resumable fiber waits for its first resume; others go on their queue. */
	f->state = FIBER_BLOCKED;
	f->suspended = !!(flags & FIBER_SUSPENDED);
	if (!(flags & FIBER_SUSPENDED))
		set_and_wake(f, &f->resumes, 0);
	return f;
}

struct fiber *fiber_create_on(unsigned cpu, const char *name, fiber_entry_t entry,
                              void *arg, size_t stack_size, unsigned flags)
{
	return create(cpu, name, entry, arg, stack_size, flags);
}

struct fiber *fiber_create_flags(const char *name, fiber_entry_t entry, void *arg,
                                 size_t stack_size, unsigned flags)
{
	return create(cpu_num(), name, entry, arg, stack_size, flags);
}

struct fiber *fiber_create(const char *name, fiber_entry_t entry, void *arg,
                           size_t stack_size)
{
	return create(cpu_num(), name, entry, arg, stack_size, 0);
}

int fiber_init(void)
{
	struct fiber *idle;
	int rc = kstack_cpu_init(0);

	if (rc)
		return rc;
	heap_set_reclaim(kstack_release_spares);   /* spares are free frames to the counts */
	idle = create(0, "idle0", idle_main, NULL, 0, FIBER_POPULATE | FIBER_SUSPENDED);
	if (!idle)
		return E_NOMEM;
	idle->state = FIBER_IDLE;
	runqs[0].idle = idle;
	return E_OK;
}

struct fiber *fiber_self(void)
{
	return current;
}

const char *fiber_name(const struct fiber *f)
{
	return f->name;
}

unsigned fiber_cpu(const struct fiber *f)
{
	return f->cpu;
}

/* The running fiber ends: its hooks run, then its resumer or joiner is told. */
static void run_hooks(struct fiber *self)
{
	for (;;) {
		unsigned long irq = spin_lock_irqsave(&live_lock);
		struct fiber_hook *h = LIST_FIRST(&self->hooks);

		self->ending = 1;
		if (h)
			LIST_REMOVE(h, link);
		spin_unlock_irqrestore(&live_lock, irq);
		if (!h)
			return;
		h->fn(h, self);
	}
}

void fiber_exit(intptr_t result)
{
	struct fiber *self = current;
	struct runq *rq = &runqs[self->cpu];

	if (is_boot_fiber(self) || self == rq->idle)
		panic("fiber_exit: %s cannot end", self->name);
	run_hooks(self);
	self->result = result;
	if (self->flags & FIBER_SUSPENDED) {
		/* A resumable fiber runs only while resumed: the resumer gets the result. */
		self->xfer = result;
		__atomic_store_n(&self->finished, 1, __ATOMIC_RELAXED);
		set_and_wake(self->resumer, &self->suspends, self->suspends + 1);
	}
	unsigned long irq = spin_lock_irqsave(&rq->lock);

	self->state = FIBER_DEAD;
	if (self->link_owner)
		unlink_fiber(self);
	/* A joiner on this CPU can run only after the switch has freed the
	 * stack (finish_switch() comes first on whatever runs next): wake it
	 * now, in its turn.  One on another CPU is woken after the free. */
	if (self->joiner && self->joiner->cpu == self->cpu) {
		self->ended = 1;
		wake_locked(self->joiner);
	}
	rq->reap = self;
	switch_to(rq, dequeue_next(rq), irq);
	panic("fiber %s: switched to after it ended", self->name);
}

intptr_t fiber_join(struct fiber *f)
{
	struct fiber *self = current;
	intptr_t result;

	if (f == self || is_boot_fiber(f) || f == runqs[f->cpu].idle)
		panic("fiber %s: cannot join %s", self->name, f->name);
	struct runq *rq = &runqs[f->cpu];
	unsigned long irq = spin_lock_irqsave(&rq->lock);

	if (f->joiner)
		panic("fiber %s: joined twice", f->name);
	f->joiner = self;
	spin_unlock_irqrestore(&rq->lock, irq);
	block_while((const unsigned *)&f->ended, 0);
	result = f->result;
	irq = spin_lock_irqsave(&live_lock);
	nfibers--;
	spin_unlock_irqrestore(&live_lock, irq);
	kfree(f);
	return result;
}

/* ---- resuming ----------------------------------------------------------------- */

int fiber_resume(struct fiber *f, intptr_t in, intptr_t *out)
{
	struct fiber *self = current;
	struct runq *rq;
	unsigned long irq;
	unsigned suspends;

	if (!f || !out || f == self || !(f->flags & FIBER_SUSPENDED) || f == runqs[f->cpu].idle)
		return E_INVAL;
	rq = &runqs[f->cpu];
	irq = spin_lock_irqsave(&rq->lock);
	if (!f->suspended) {            /* running, being resumed, or ended */
		spin_unlock_irqrestore(&rq->lock, irq);
		return E_INVAL;
	}
	f->suspended = 0;
	f->resumer = self;
	f->xfer = in;
	suspends = f->suspends;
	spin_unlock_irqrestore(&rq->lock, irq);
	handoff(f, &f->resumes, f->resumes + 1, &f->suspends, suspends);
	*out = f->xfer;
	return __atomic_load_n(&f->finished, __ATOMIC_RELAXED) ? 1 : 0;
}

intptr_t fiber_suspend(intptr_t out)
{
	struct fiber *self = current;
	unsigned resumes = self->resumes;
	struct fiber *r = self->resumer;

	if (!(self->flags & FIBER_SUSPENDED) || !r)
		panic("fiber %s: suspended while no one resumed it", self->name);
	self->xfer = out;
	/* Resumable again as soon as the resumer may look (it reads it under our lock). */
	struct runq *rq = &runqs[self->cpu];
	unsigned long irq = spin_lock_irqsave(&rq->lock);

	self->suspended = 1;
	spin_unlock_irqrestore(&rq->lock, irq);
	handoff(r, &self->suspends, self->suspends + 1, &self->resumes, resumes);
	return self->xfer;
}

/* ---- futures ------------------------------------------------------------------ */

enum { FUTURE_EMPTY, FUTURE_WAITED, FUTURE_SET };

intptr_t fiber_block_on(struct fiber_future *fu)
{
	int empty = FUTURE_EMPTY;

	fu->waiter = current;
	if (__atomic_compare_exchange_n(&fu->state, &empty, FUTURE_WAITED, 0,
	                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		block_while((const unsigned *)&fu->state, FUTURE_WAITED);
	else if (empty != FUTURE_SET)
		panic("fiber %s: a second waiter on one future", current->name);
	return __atomic_load_n(&fu->value, __ATOMIC_ACQUIRE);
}

int fiber_future_set(struct fiber_future *fu, intptr_t value)
{
	int old = FUTURE_EMPTY;

	/* One setter: it alone writes the value, before the state says set. */
	if (__atomic_exchange_n(&fu->claimed, 1, __ATOMIC_ACQUIRE))
		return E_BUSY;
	__atomic_store_n(&fu->value, value, __ATOMIC_RELAXED);
	if (__atomic_compare_exchange_n(&fu->state, &old, FUTURE_SET, 0,
	                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return E_OK;            /* no waiter yet: it will see the value */
	set_and_wake(fu->waiter, (unsigned *)&fu->state, FUTURE_SET);
	return E_OK;
}

/* ---- exit hooks --------------------------------------------------------------- */

int fiber_hook_add(struct fiber *f, struct fiber_hook *h)
{
	unsigned long irq = spin_lock_irqsave(&live_lock);
	int rc = E_NOENT;

	if (!f->ending) {
		LIST_INSERT_HEAD(&f->hooks, h, link);
		rc = E_OK;
	}
	spin_unlock_irqrestore(&live_lock, irq);
	return rc;
}

void fiber_hook_remove(struct fiber *f, struct fiber_hook *h)
{
	unsigned long irq = spin_lock_irqsave(&live_lock);
	struct fiber_hook *x;

	LIST_FOREACH(x, &f->hooks, link)
		if (x == h) {
			LIST_REMOVE(h, link);
			break;
		}
	spin_unlock_irqrestore(&live_lock, irq);
}

/* ---- stacks ------------------------------------------------------------------- */

/* On every resolved page fault: only the check stays on that path. */
void fiber_stack_faulted(uintptr_t addr)
{
	struct kstack *s = &current->stack;

	if (addr >= s->lo && addr < s->low_water && !is_boot_fiber(current))
		arch_set_stack_limit(kstack_map_down(s, addr));
}

int fiber_guard_hit(uintptr_t addr)
{
	return kstack_guard_of(addr) != NULL;
}

unsigned fiber_count(void)
{
	return __atomic_load_n(&nfibers, __ATOMIC_RELAXED);
}
