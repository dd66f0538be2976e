/* ASID allocation with generations (see mm/include/mm/asid.h). */
#include <string.h>
#include <arch/mmu.h>
#include <mm/asid.h>

#define GEN_SHIFT 16
#define ASID_MASK ((1u << GEN_SHIFT) - 1)

static struct {
	unsigned bits;
	unsigned count;       /* usable ASIDs: 1 .. count - 1 */
	unsigned next;        /* where the search for a free one starts */
	unsigned used;
	uint64_t generation;  /* starts at 1, so gen_asid 0 means "none" */
	uint64_t rollovers;
	uint64_t bitmap[(1u << ASID_MAX_BITS) / 64];
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

void asid_init(unsigned bits)
{
	a.bits = bits > ASID_MAX_BITS ? ASID_MAX_BITS : bits;
	a.count = 1u << a.bits;
	a.generation = 1;
	a.rollovers = 0;
	reset_bitmap();
}

void asid_set_limit(unsigned n)
{
	unsigned hw = 1u << a.bits;

	a.count = n >= 2 && n <= hw ? n : hw;
	/* Everything restarts in a new generation under the new limit. */
	a.generation++;
	a.rollovers++;
	reset_bitmap();
	arch_tlb_flush_all();
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
	*flush = 0;
	if (a.count <= 1) {
		*flush = 1;
		return 0;
	}
	if (ctx->gen_asid && ctx->gen_asid >> GEN_SHIFT == a.generation)
		return ctx->gen_asid & ASID_MASK;

	unsigned asid = find_free();
	if (!asid) {
		/* Out of ASIDs: new generation, one flush for all of them. */
		a.generation++;
		a.rollovers++;
		reset_bitmap();
		arch_tlb_flush_all();
		asid = find_free();
	}
	a.used++;
	ctx->gen_asid = a.generation << GEN_SHIFT | asid;
	return asid;
}

void asid_put(struct asid_ctx *ctx)
{
	if (ctx->gen_asid && ctx->gen_asid >> GEN_SHIFT == a.generation) {
		/* Its entries must be gone before the ASID serves someone else. */
		arch_tlb_flush_asid(ctx->gen_asid & ASID_MASK);
		clear(ctx->gen_asid & ASID_MASK);
		a.used--;
	}
	ctx->gen_asid = 0;
}

unsigned asid_in_use(void)
{
	return a.used;
}

uint64_t asid_rollovers(void)
{
	return a.rollovers;
}
