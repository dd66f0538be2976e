/*
 * Kernel stacks and calls on another stack (kernel/exec/kstack.h).
 *
 * The limit (what trap entry compares sp with, arch_set_stack_limit()) is
 * the lowest mapped address of the running stack plus a reserve.  Below
 * it, trap entry moves to the emergency stack; above it, the trap frame
 * and the C handler fit in mapped pages.  Pages of a lazy stack fault in
 * on first touch, so its mapped part grows: kstack_map_down() keeps it
 * one range, from its low-water mark to the top, and lowers the limit.
 */
#include <stddef.h>
#include <stdio.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <boot/smp.h>
#include <exec/kstack.h>
#include <lib/err.h>
#include <lib/panic.h>
#include <lib/spinlock.h>
#include <mm/aspace.h>
#include <mm/heap.h>

extern char boot_stack_bottom[], boot_stack_top[];

/*
 * Every live kstack, for the trap code's and the backtraces' "which stack
 * is this" on any CPU: under kstack_lock (IRQ-safe; a reader in a trap
 * report skips the list when its own CPU holds the lock).
 */
static struct spinlock kstack_lock = SPINLOCK_INIT;
static TAILQ_HEAD(, kstack) live_stacks = TAILQ_HEAD_INITIALIZER(live_stacks);

/* Each CPU's system stack; written once by kstack_cpu_init(). */
static struct kstack system_stacks[CPU_MAX];

/*
 * Populated stacks of the default size, kept for reuse by the next
 * populated one (a process's thread is one: a fork made its stack by
 * mapping a varea and faulting in four pages, 6,900 instructions on
 * aarch64).  Each is the base of its varea, still mapped; under
 * kstack_lock.  kstack_release_spares() unmaps them; the heap calls it
 * before it counts free frames (heap_free_frames_settled()), so the count
 * compares the same with or without spares.
 */
#define KSTACK_SPARES 4

static uintptr_t spares[KSTACK_SPARES];
static unsigned nspares;

/* A spare's base in *@base: 1, or 0 when none is left. */
static int spare_take(uintptr_t *base)
{
	unsigned long irq = spin_lock_irqsave(&kstack_lock);
	int got = nspares != 0;

	if (got)
		*base = spares[--nspares];
	spin_unlock_irqrestore(&kstack_lock, irq);
	return got;
}

void kstack_release_spares(void)
{
	for (;;) {
		uintptr_t base = 0;

		if (!spare_take(&base))
			return;
		if (aspace_unmap(&kernel_aspace, base, KSTACK_DEFAULT_SIZE))
			panic("kstack: cannot unmap the spare stack at 0x%lx", (unsigned long)base);
	}
}

uintptr_t kstack_map_down(struct kstack *s, uintptr_t addr)
{
	uintptr_t low = s->low_water, page = addr & ~(uintptr_t)PAGE_MASK;

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
	s->low_water = low;
	s->limit = low + KSTACK_TRAP_RESERVE;
	return s->limit;
}

int kstack_init(struct kstack *s, size_t size, unsigned flags, const char *kind)
{
	unsigned vflags = VAREA_STACK | (flags & KSTACK_POPULATE ? VAREA_POPULATE : 0);
	uintptr_t base = 0;
	size_t bytes;

	if (!size)
		size = KSTACK_DEFAULT_SIZE;
	if (size > KSTACK_MAX_SIZE || (flags & ~KSTACK_POPULATE))
		return E_INVAL;
	bytes = (size + PAGE_MASK) & ~(size_t)PAGE_MASK;
	if (!((flags & KSTACK_POPULATE) && bytes == KSTACK_DEFAULT_SIZE && spare_take(&base)) &&
	    aspace_map_anon(&kernel_aspace, &base, bytes, 0, MMU_READ | MMU_WRITE, vflags))
		return E_NOMEM;
	s->lo = base;
	s->hi = base + bytes;
	s->busy = 0;
	s->populated = !!(flags & KSTACK_POPULATE);
	s->kind = kind;
	if (flags & KSTACK_POPULATE) {
		s->low_water = base;
		s->limit = base + KSTACK_TRAP_RESERVE;
	} else {
		s->low_water = s->hi;
		if (kstack_map_down(s, s->hi - PAGE_SIZE) != s->hi - PAGE_SIZE + KSTACK_TRAP_RESERVE) {
			aspace_unmap(&kernel_aspace, s->lo, bytes);
			return E_NOMEM;
		}
	}
	unsigned long irq = spin_lock_irqsave(&kstack_lock);

	TAILQ_INSERT_TAIL(&live_stacks, s, live);
	spin_unlock_irqrestore(&kstack_lock, irq);
	return E_OK;
}

void kstack_fini(struct kstack *s)
{
	unsigned long irq = spin_lock_irqsave(&kstack_lock);

	TAILQ_REMOVE(&live_stacks, s, live);
	if (s->populated && s->hi - s->lo == KSTACK_DEFAULT_SIZE && nspares < KSTACK_SPARES) {
		spares[nspares++] = s->lo;
		spin_unlock_irqrestore(&kstack_lock, irq);
		return;
	}
	spin_unlock_irqrestore(&kstack_lock, irq);
	if (aspace_unmap(&kernel_aspace, s->lo, s->hi - s->lo))
		panic("kstack %s: cannot unmap [0x%lx, 0x%lx)", s->kind,
		      (unsigned long)s->lo, (unsigned long)s->hi);
}

struct kstack *kstack_create(size_t size)
{
	struct kstack *s = kmalloc(sizeof(*s), KM_ZERO);

	if (!s)
		return NULL;
	if (kstack_init(s, size, KSTACK_POPULATE, "call")) {
		kfree(s);
		return NULL;
	}
	return s;
}

int kstack_destroy(struct kstack *s)
{
	int idle = 0;

	if (!s)
		return E_INVAL;
	/* Claim it, so no call can start on it while it goes. */
	if (!__atomic_compare_exchange_n(&s->busy, &idle, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return E_BUSY;
	kstack_fini(s);
	kfree(s);
	return E_OK;
}

int kstack_call(struct kstack *s, intptr_t (*fn)(void *), void *arg, intptr_t *result)
{
	if (!s || !fn || !result)
		return E_INVAL;
	if (__atomic_exchange_n(&s->busy, 1, __ATOMIC_ACQUIRE))
		return E_BUSY;
	*result = arch_stack_call(fn, arg, s->hi, s->limit);
	__atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
	return E_OK;
}

_Static_assert(offsetof(struct cpu, sys_stack_top) == CPU_OFF_SYS_STACK_TOP, "cpu.h offsets");
_Static_assert(offsetof(struct cpu, sys_stack_limit) == CPU_OFF_SYS_STACK_LIMIT, "cpu.h offsets");

void kstack_no_system_stack(void)
{
	panic("kstack_call_system: cpu %u has no system stack", cpu_num());
}

/* On the CPU itself (its struct cpu is its own to write). */
int kstack_cpu_init(unsigned cpu)
{
	struct kstack *s = &system_stacks[cpu];
	int rc;

	if (s->hi)
		return E_OK;
	rc = kstack_init(s, CPU_SYS_STACK_SIZE, KSTACK_POPULATE, "system");
	if (rc)
		return rc;
	cpus[cpu].sys_stack_limit = s->limit;
	cpus[cpu].sys_stack_top = s->hi;
	return E_OK;
}

int kstack_on_system(uintptr_t sp)
{
	const struct kstack *s = &system_stacks[cpu_num()];

	return sp - s->lo < s->hi - s->lo;
}

static int holds(uintptr_t addr, uintptr_t lo, uintptr_t hi, uintptr_t *plo, uintptr_t *phi)
{
	if (addr < lo || addr >= hi)
		return 0;
	*plo = lo;
	*phi = hi;
	return 1;
}

int kstack_of(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
	struct kstack *s;
	int found = 0;

	if (holds(addr, (uintptr_t)boot_stack_bottom, (uintptr_t)boot_stack_top, lo, hi) ||
	    cpu_stack_of(addr, lo, hi))
		return 1;
	if (spin_is_held_by_me(&kstack_lock))
		return 0;   /* a trap while this CPU changes the list: not answerable */
	unsigned long irq = spin_lock_irqsave(&kstack_lock);

	TAILQ_FOREACH(s, &live_stacks, live)
		if (holds(addr, s->lo, s->hi, lo, hi)) {
			found = 1;
			break;
		}
	spin_unlock_irqrestore(&kstack_lock, irq);
	return found;
}

struct kstack *kstack_guard_of(uintptr_t addr)
{
	struct kstack *s, *hit = NULL;

	if (spin_is_held_by_me(&kstack_lock))
		return NULL;
	unsigned long irq = spin_lock_irqsave(&kstack_lock);

	TAILQ_FOREACH(s, &live_stacks, live)
		if (addr < s->lo && addr >= s->lo - PAGE_SIZE) {
			hit = s;
			break;
		}
	spin_unlock_irqrestore(&kstack_lock, irq);
	return hit;
}
