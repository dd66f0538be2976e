/*
 * ASID allocation with generations (see mm/include/mm/asid.h).
 *
 * Every CPU records the context it runs (active[]).  A rollover keeps
 * those ASIDs, moved into the new generation, so no CPU's live ASID is
 * handed to another address space, and flushes every CPU's TLB once; the
 * other address spaces take a fresh ASID when next switched to.  All of
 * it under asid_lock, which nests inside an aspace lock.
 */
#include <string.h>
#include <arch/cpu.h>
#include <arch/mmu.h>
#include <lib/panic.h>
#include <lib/spinlock.h>
#include <mm/asid.h>

#define GEN_SHIFT 16
#define ASID_MASK ((1u << GEN_SHIFT) - 1)

static struct spinlock asid_lock = SPINLOCK_INIT;

static struct {
	unsigned bits;
	unsigned count;       /* usable ASIDs: 1 .. count - 1 */
	unsigned next;        /* where the search for a free one starts */
	unsigned used;
	uint64_t generation;  /* starts at 1, so gen_asid 0 means "none" */
	uint64_t rollovers;
	uint64_t bitmap[(1u << ASID_MAX_BITS) / 64];
	struct asid_ctx *active[CPU_MAX];   /* what each CPU runs, or NULL */
} a;

static int test_and_set(unsigned asid)
{
	uint64_t bit = 1ull << (asid % 64);
	int was = (a.bitmap[asid / 64] & bit) != 0;

	a.bitmap[asid / 64] |= bit;
	return was;
}

static void clear(unsigned asid)
{
	a.bitmap[asid / 64] &= ~(1ull << (asid % 64));
}

static void reset_bitmap(void)
{
	memset(a.bitmap, 0, sizeof(a.bitmap));
	test_and_set(0);   /* the kernel's */
	a.used = 0;
	a.next = 1;
}

/*
 * Usable ASIDs: each CPU's live one is kept across a rollover, so with
 * fewer than one per CPU and one to spare, ASIDs are not used at all
 * (every switch flushes).
 */
static unsigned usable(unsigned n)
{
	return n >= CPU_MAX + 2 ? n : 1;
}

void asid_init(unsigned bits)
{
	a.bits = bits > ASID_MAX_BITS ? ASID_MAX_BITS : bits;
	a.count = usable(1u << a.bits);
	a.generation = 1;
	a.rollovers = 0;
	reset_bitmap();
}

/*
 * A new generation: every ASID is free again but those the CPUs run
 * now (except @leaving, which this CPU is switching away from), which
 * move into it; then every CPU's TLB is flushed.
 */
static void rollover_locked(const struct asid_ctx *leaving)
{
	a.generation++;
	a.rollovers++;
	reset_bitmap();
	for (unsigned c = 0; c < CPU_MAX; c++) {
		struct asid_ctx *ctx = a.active[c];

		if (!ctx || ctx == leaving || !ctx->gen_asid)
			continue;
		unsigned asid = ctx->gen_asid & ASID_MASK;
		if (!test_and_set(asid))
			a.used++;
		ctx->gen_asid = a.generation << GEN_SHIFT | asid;
	}
	arch_tlb_flush_all(CPUS_ALL);
}

void asid_set_limit(unsigned n)
{
	unsigned hw = 1u << a.bits;
	unsigned long irq = spin_lock_irqsave(&asid_lock);

	/* At least one per CPU that runs, and one to spare (usable()). */
	if (n && n < cpu_count + 2)
		n = cpu_count + 2;
	a.count = n && n <= hw ? n : usable(hw);
	/* Everything restarts in a new generation under the new limit. */
	rollover_locked(NULL);
	/* A kept ASID beyond the new limit gets a new one at its next switch. */
	for (unsigned c = 0; c < CPU_MAX; c++)
		if (a.active[c] && (a.active[c]->gen_asid & ASID_MASK) >= a.count)
			a.active[c]->gen_asid = 0;
	spin_unlock_irqrestore(&asid_lock, irq);
}

static unsigned find_free(void)
{
	for (unsigned i = 0; i < a.count - 1; i++) {
		unsigned asid = a.next + i;

		if (asid >= a.count)
			asid -= a.count - 1;
		if (!test_and_set(asid)) {
			a.next = asid + 1 < a.count ? asid + 1 : 1;
			return asid;
		}
	}
	return 0;
}

unsigned asid_get(struct asid_ctx *ctx, int *flush)
{
	unsigned long irq = spin_lock_irqsave(&asid_lock);
	unsigned me = cpu_num(), asid;

	*flush = 0;
	if (a.count <= 1) {
		*flush = 1;
		a.active[me] = ctx;
		spin_unlock_irqrestore(&asid_lock, irq);
		return 0;
	}
	if (ctx->gen_asid && ctx->gen_asid >> GEN_SHIFT == a.generation) {
		asid = ctx->gen_asid & ASID_MASK;
	} else {
		asid = find_free();
		if (!asid) {
			/* Out of ASIDs: new generation, one flush for all of them. */
			rollover_locked(a.active[me]);
			asid = ctx->gen_asid >> GEN_SHIFT == a.generation ?
			       ctx->gen_asid & ASID_MASK : find_free();
		}
		if (ctx->gen_asid >> GEN_SHIFT != a.generation) {
			a.used++;
			ctx->gen_asid = a.generation << GEN_SHIFT | asid;
		}
	}
	a.active[me] = ctx;
	spin_unlock_irqrestore(&asid_lock, irq);
	return asid;
}

void asid_switch_none(void)
{
	unsigned long irq = spin_lock_irqsave(&asid_lock);

	a.active[cpu_num()] = NULL;
	spin_unlock_irqrestore(&asid_lock, irq);
}

void asid_put(struct asid_ctx *ctx, cpumask_t cpus)
{
	unsigned long irq = spin_lock_irqsave(&asid_lock);

	for (unsigned c = 0; c < CPU_MAX; c++)
		if (a.active[c] == ctx)
			panic("asid_put: the address space is still running on CPU %u", c);
	if (ctx->gen_asid && ctx->gen_asid >> GEN_SHIFT == a.generation) {
		/* Its entries must be gone before the ASID serves someone else. */
		arch_tlb_flush_asid(cpus, ctx->gen_asid & ASID_MASK);
		clear(ctx->gen_asid & ASID_MASK);
		a.used--;
	}
	ctx->gen_asid = 0;
	spin_unlock_irqrestore(&asid_lock, irq);
}

unsigned asid_in_use(void)
{
	return __atomic_load_n(&a.used, __ATOMIC_RELAXED);
}

uint64_t asid_rollovers(void)
{
	return __atomic_load_n(&a.rollovers, __ATOMIC_RELAXED);
}
