/*
 * Fibers (kernel/exec/fiber.h): stacks, the cooperative scheduler, ending and
 * joining.  The register switch itself is the arch's (arch_fiber_switch,
 * arch/<arch>/fiber_switch.S).
 *
 * A fiber's stack, from the top down: its link (the first frame record,
 * two words, rewritten by every switch into the fiber), then whatever it
 * runs.  Under the stack's lowest page sits the guard page that the
 * aspace keeps free for VAREA_STACK vareas.
 */
#include <stdio.h>
#include <sys/queue.h>
#include <arch/arch.h>
#include <boot/smp.h>
#include <exec/fiber.h>
#include <lib/panic.h>
#include <lib/spinlock.h>
#include <mm/aspace.h>
#include <mm/heap.h>

/*
 * The stack limit (arch_fiber_switch) is the lowest mapped address of the
 * running fiber's stack plus FIBER_TRAP_RESERVE.  Below the limit trap
 * entry moves to the emergency stack; above it the trap frame and the C
 * handler fit in mapped pages.  Stack pages fault in lazily, so the mapped
 * part grows: trap entry must never fault while saving a frame, because
 * that second trap would overwrite the cause registers of the first before
 * they are saved.  fiber_stack_faulted() keeps the mapped part one range,
 * from its low-water mark to the top, and lowers the limit with it.
 */
#define TRAP_RESERVE FIBER_TRAP_RESERVE

enum fiber_state { FIBER_RUNNING, FIBER_RUNNABLE, FIBER_BLOCKED, FIBER_DEAD };

struct fiber {
	TAILQ_ENTRY(fiber) runq;        /* on the run queue while runnable */
	TAILQ_ENTRY(fiber) live;        /* on live_stacks while its stack exists */
	uintptr_t sp;                   /* saved stack pointer while not running */
	uintptr_t stack_lo, stack_hi;   /* the stack varea [lo, hi) */
	uintptr_t low_water;            /* [low_water, hi) is mapped */
	uintptr_t limit;                /* trap entry's: low_water + TRAP_RESERVE */
	uintptr_t *link;                /* its first frame record: two words */
	struct fiber *link_owner;       /* whose frames the link holds */
	struct fiber *linked;           /* the fiber whose link holds ours */
	enum fiber_state state;
	struct fiber *joiner;           /* blocked in fiber_join() on it */
	fiber_entry_t entry;
	void *arg;
	intptr_t result;
	char name[FIBER_NAME_MAX];
};

TAILQ_HEAD(fiber_list, fiber);

extern char boot_stack_bottom[], boot_stack_top[];

/* A boot fiber's chain ends in start.S: switches into it store their
 * record here, where no walk reads it. */
static uintptr_t boot_links[CPU_MAX][2];
/* A switch away from an ended fiber stores its record here: the frames
 * it describes are about to be freed. */
static uintptr_t dead_link[2];

/*
 * Each CPU's boot fiber: the context it booted in (the boot CPU's
 * kernel_main, a secondary's idle loop).  Boot stacks have no guard
 * page, so they get no stack limit (0).
 */
static struct fiber boot_fibers[CPU_MAX];

/* The running fiber of this CPU. */
#define current (this_cpu()->fiber)

/* The interrupt state of the last switch on each CPU, for a fiber's first run. */
static unsigned long switch_irq[CPU_MAX];

/*
 * Each CPU runs its own fibers: a fiber runs on the CPU that created it
 * (fibers do not move between CPUs), so its run queue, and the ended
 * fiber whose stack the next switch frees, are that CPU's alone and need
 * no lock.
 */
static struct fiber_list run_queues[CPU_MAX];
static struct fiber *reaps[CPU_MAX];
#define run_queue (run_queues[cpu_num()])

static int is_boot_fiber(const struct fiber *f)
{
	return f >= &boot_fibers[0] && f < &boot_fibers[CPU_MAX];
}

void fiber_cpu_init(struct cpu *c)
{
	struct fiber *f = &boot_fibers[c->num];

	f->state = FIBER_RUNNING;
	f->link = boot_links[c->num];
	snprintf(f->name, sizeof(f->name), c->num ? "cpu%u" : "boot", c->num);
	TAILQ_INIT(&run_queues[c->num]);
	c->fiber = f;
}

/*
 * Every fiber's stack, for the trap code's "which stack is this" on any
 * CPU, and the count of fibers: shared, under live_lock (IRQ-safe; a
 * reader in a trap report skips the list when its own CPU holds it).
 */
static struct spinlock live_lock = SPINLOCK_INIT;
static struct fiber_list live_stacks = TAILQ_HEAD_INITIALIZER(live_stacks);
static unsigned nfibers = 1;

static void stack_free(struct fiber *f)
{
	unsigned long irq = spin_lock_irqsave(&live_lock);

	TAILQ_REMOVE(&live_stacks, f, live);
	spin_unlock_irqrestore(&live_lock, irq);
	if (aspace_unmap(&kernel_aspace, f->stack_lo, f->stack_hi - f->stack_lo))
		panic("fiber %s: cannot unmap its stack", f->name);
}

/* First thing on the fiber switched to: free the stack of one that ended. */
static void finish_switch(void)
{
	struct fiber *dead = reaps[cpu_num()];

	if (dead) {
		reaps[cpu_num()] = NULL;
		stack_free(dead);
	}
}

static struct fiber *dequeue_next(void)
{
	struct fiber *next = TAILQ_FIRST(&run_queue);

	if (!next)
		panic("fiber %s: nothing else to run, every fiber waits", current->name);
	TAILQ_REMOVE(&run_queue, next, runq);
	return next;
}

static void make_runnable(struct fiber *f)
{
	f->state = FIBER_RUNNABLE;
	TAILQ_INSERT_TAIL(&run_queue, f, runq);
}

/*
 * Links.  A switch from X into F points F's link at X's frames, which
 * stay as they are while X is suspended: until X runs again, or F ends.
 * Then the pair is undone (X->linked, F->link_owner), and F's chain ends
 * at its own stack, unless a new switch into F links it again.  A switch
 * from an ending fiber links nothing: its frames are about to go.
 */
static void unlink_fiber(struct fiber *f)
{
	f->link[0] = f->link[1] = 0;
	f->link_owner->linked = NULL;
	f->link_owner = NULL;
}

/*
 * Run @next (off the run queue) instead of the current fiber, which is
 * queued, blocked or ended already.  Returns when the current fiber is
 * switched back to.  noinline: backtraces through a link name it.
 */
static __attribute__((noinline)) void switch_to(struct fiber *next)
{
	struct fiber *prev = current;
	uintptr_t *link = dead_link;

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
	/* No interrupt between the new stack pointer and its limit: the
	 * trap entry would check the new stack against the old limit. */
	unsigned long irq = arch_irq_save();
	switch_irq[cpu_num()] = irq;
	arch_fiber_switch(&prev->sp, next->sp, next->limit, link);
	arch_irq_restore(irq);
	finish_switch();
}

/* Where every fiber starts (from arch_fiber_entry). */
static __attribute__((noreturn)) void fiber_main(void)
{
	struct fiber *self = current;

	arch_irq_restore(switch_irq[cpu_num()]);   /* as the fiber that switched here had it */
	finish_switch();
	fiber_exit(self->entry(self->arg));
}

struct fiber *fiber_create_flags(const char *name, fiber_entry_t entry, void *arg,
                                 size_t stack_size, unsigned flags)
{
	unsigned vflags = VAREA_STACK | (flags & FIBER_POPULATE ? VAREA_POPULATE : 0);
	uintptr_t base = 0;
	struct fiber *f;
	uint64_t size;

	if (!stack_size)
		stack_size = FIBER_STACK_DEFAULT;
	if (stack_size > SIZE_MAX - PAGE_MASK)
		return NULL;
	size = (stack_size + PAGE_MASK) & ~(uint64_t)PAGE_MASK;
	f = kmalloc(sizeof(*f), KM_ZERO);
	if (!f)
		return NULL;
	if (aspace_map_anon(&kernel_aspace, &base, size, 0, MMU_READ | MMU_WRITE, vflags)) {
		kfree(f);
		return NULL;
	}
	snprintf(f->name, sizeof(f->name), "%s", name ? name : "fiber");
	f->entry = entry;
	f->arg = arg;
	f->stack_lo = base;
	f->stack_hi = base + size;
	/* The top page is written right below; a populated stack is all mapped. */
	f->low_water = flags & FIBER_POPULATE ? base : f->stack_hi - PAGE_SIZE;
	f->limit = f->low_water + TRAP_RESERVE;
	f->link = (uintptr_t *)(f->stack_hi - 2 * sizeof(uintptr_t));
	f->sp = arch_fiber_stack_init(f->stack_hi, fiber_main);
	unsigned long irq = spin_lock_irqsave(&live_lock);

	TAILQ_INSERT_TAIL(&live_stacks, f, live);
	nfibers++;
	spin_unlock_irqrestore(&live_lock, irq);
	make_runnable(f);
	return f;
}

struct fiber *fiber_create(const char *name, fiber_entry_t entry, void *arg,
                           size_t stack_size)
{
	return fiber_create_flags(name, entry, arg, stack_size, 0);
}

struct fiber *fiber_self(void)
{
	return current;
}

const char *fiber_name(const struct fiber *f)
{
	return f->name;
}

int fiber_runnable(void)
{
	return !TAILQ_EMPTY(&run_queue);
}

void fiber_yield(void)
{
	struct fiber *next = TAILQ_FIRST(&run_queue);

	if (!next)
		return;
	TAILQ_REMOVE(&run_queue, next, runq);
	make_runnable(current);
	switch_to(next);
}

intptr_t fiber_join(struct fiber *f)
{
	intptr_t result;

	if (f == current || is_boot_fiber(f))
		panic("fiber %s: cannot join %s", current->name, f->name);
	if (f->joiner)
		panic("fiber %s: joined twice", f->name);
	if (f->state != FIBER_DEAD) {
		f->joiner = current;
		current->state = FIBER_BLOCKED;
		switch_to(dequeue_next());
	}
	result = f->result;
	unsigned long irq = spin_lock_irqsave(&live_lock);
	nfibers--;
	spin_unlock_irqrestore(&live_lock, irq);
	kfree(f);
	return result;
}

void fiber_exit(intptr_t result)
{
	struct fiber *self = current;

	if (is_boot_fiber(self))
		panic("fiber_exit: a boot fiber cannot end");
	self->result = result;
	self->state = FIBER_DEAD;
	if (self->link_owner)
		unlink_fiber(self);
	if (self->joiner)
		make_runnable(self->joiner);
	reaps[cpu_num()] = self;
	switch_to(dequeue_next());
	panic("fiber %s: switched to after it ended", self->name);
}

/*
 * Map @f's stack (the running fiber's) down to @page, which lies below
 * its mapped part, and lower the stack limit with it.  Stops early when
 * memory runs out: the mapped part stays one range.
 */
static __attribute__((noinline)) void stack_map_down(struct fiber *f, uintptr_t page)
{
	uintptr_t low = f->low_water;

	while (low > page) {
		struct fault flt = {
			.addr = low - PAGE_SIZE,
			.access = FAULT_WRITE,
			.kind = FAULT_NOT_PRESENT,
		};

		if (aspace_fault(&kernel_aspace, &flt) != FAULT_FIXED)
			break;
		low -= PAGE_SIZE;
	}
	f->low_water = low;
	f->limit = low + TRAP_RESERVE;
	arch_set_stack_limit(f->limit);
}

/* On every resolved page fault: only the check stays on that path. */
void fiber_stack_faulted(uintptr_t addr)
{
	if (addr >= current->stack_lo && addr < current->low_water)
		stack_map_down(current, addr & ~(uintptr_t)PAGE_MASK);
}

int fiber_guard_hit(uintptr_t addr)
{
	return !is_boot_fiber(current) && addr < current->stack_lo &&
	       addr >= current->stack_lo - PAGE_SIZE;
}

static int holds(uintptr_t addr, uintptr_t lo, uintptr_t hi, uintptr_t *plo, uintptr_t *phi)
{
	if (addr < lo || addr >= hi)
		return 0;
	*plo = lo;
	*phi = hi;
	return 1;
}

int fiber_stack_of(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
	struct fiber *f;

	if (holds(addr, (uintptr_t)boot_stack_bottom, (uintptr_t)boot_stack_top, lo, hi) ||
	    cpu_stack_of(addr, lo, hi))
		return 1;
	if (spin_is_held_by_me(&live_lock))
		return 0;   /* a trap while this CPU changes the list: not answerable */
	unsigned long irq = spin_lock_irqsave(&live_lock);
	int found = 0;

	TAILQ_FOREACH(f, &live_stacks, live)
		if (holds(addr, f->stack_lo, f->stack_hi, lo, hi)) {
			found = 1;
			break;
		}
	spin_unlock_irqrestore(&live_lock, irq);
	return found;
}

unsigned fiber_count(void)
{
	return __atomic_load_n(&nfibers, __ATOMIC_RELAXED);
}
