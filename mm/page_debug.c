/*
 * The frame allocator's checking side: poison for debug builds, the
 * invariant checker, statistics.  Nothing here is on a fast path.
 */
#include <stdarg.h>
#include <stdio.h>
#include <lib/err.h>
#include <lib/panic.h>
#include <mm/page.h>
#include "page_internal.h"

/* Not a plausible pointer, length or small integer, and easy to spot. */
#define POISON 0xa5a5a5a5a5a5a5a5ull

static const char *const state_names[] = {
	[PG_RESERVED] = "reserved", [PG_FREE] = "free", [PG_CACHED] = "free (cached)",
	[PG_ALLOC] = "allocated", [PG_TAIL] = "inside a block", [PG_HOLE] = "not RAM (a hole)",
};

const char *pmm_state_name(unsigned state)
{
	return state <= PG_HOLE ? state_names[state] : "corrupt";
}

/* ---- poison ------------------------------------------------------------ */

void pmm_poison(const struct page *p, unsigned order)
{
	uint64_t *w = frame_va(p);
	size_t n = (PAGE_SIZE << order) / sizeof(*w);

	for (size_t i = 0; i < n; i++)
		w[i] = POISON;
}

void pmm_poison_link(const struct page *p)
{
	uint64_t *w = frame_va(p);

	for (size_t i = 0; i < sizeof(struct free_block) / sizeof(*w); i++)
		w[i] = POISON;
}

void pmm_poison_check(const struct page *p, unsigned order)
{
	const uint64_t *w = frame_va(p);
	size_t n = (PAGE_SIZE << order) / sizeof(*w);

	for (size_t i = 0; i < n; i++) {
		if (w[i] != POISON)
			panic("page_alloc: use after free: 0x%llx (offset 0x%zx in the block "
			      "at 0x%llx) holds 0x%016llx, written after the block was freed",
			      (unsigned long long)(frame_pa(p) + i * sizeof(*w)),
			      i * sizeof(*w), (unsigned long long)frame_pa(p),
			      (unsigned long long)w[i]);
	}
}

/* ---- statistics ------------------------------------------------------- */

/*
 * The lock makes the lists and every move between them and a cache (a
 * refill, a drain) one snapshot; the caches' counts are added in that
 * snapshot, each a relaxed read, so a frame is counted once wherever it
 * is.  What a CPU's cache changes meanwhile is an allocation or a free
 * of its own.
 */
void pmm_stats(struct pmm_stats *st)
{
	unsigned long irq = spin_lock_irqsave(&pmm.lock);
	uint64_t cached = 0;

	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++)
		cached += pcp_count_of(cpu);
	st->total = pmm_ram.total;
	st->reserved = pmm.reserved;
	st->cached = cached;
	st->free = pmm.nfree + cached;
	for (unsigned o = 0; o <= PAGE_MAX_ORDER; o++)
		st->blocks[o] = pmm.nblocks[o];
	st->span = pmm_ram.span;
	st->meta_bytes = pmm_ram.span * sizeof(struct page);
	st->nranges = pmm_ram.nranges;
	spin_unlock_irqrestore(&pmm.lock, irq);
}

uint64_t pmm_free_frames(void)
{
	struct pmm_stats st;

	pmm_stats(&st);
	return st.free;
}

/* ---- the invariant checker -------------------------------------------- */

static int __attribute__((format(printf, 1, 2))) corrupt(const char *fmt, ...)
{
	va_list ap;

	printf("pmm_check: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return E_CORRUPT;
}

/* Does @p point at the metadata of a frame (no panic when not)? */
static int is_frame(const struct page *p)
{
	return find_range(p) != NULL;
}

struct tally {
	uint64_t heads[PAGE_MAX_ORDER + 1];   /* FREE heads per order */
	uint64_t free, cached, reserved, used;
};

/* A FREE or ALLOC head at meta[f] of range @i: check its block. */
static int check_block(unsigned i, uint64_t f, struct tally *t) REQUIRES(pmm.lock)
{
	const struct pmm_range *r = &pmm_ram.ranges[i];
	const struct page *p = &r->meta[f];
	uint64_t pa = (r->base_pfn + f) << PAGE_SHIFT, n;

	if (p->order > PAGE_MAX_ORDER)
		return corrupt("block 0x%llx has order %u", (unsigned long long)pa, p->order);
	n = 1ull << p->order;
	if ((r->base_pfn + f) & (n - 1))
		return corrupt("block 0x%llx of order %u is misaligned",
		               (unsigned long long)pa, p->order);
	if (f + n > r->npages)
		return corrupt("block 0x%llx of order %u runs past its range",
		               (unsigned long long)pa, p->order);
	for (uint64_t k = 1; k < n; k++)
		if (p[k].state != PG_TAIL || p[k].refcount)
			return corrupt("frame %llu of block 0x%llx is %s, refcount %u",
			               (unsigned long long)k, (unsigned long long)pa,
			               pmm_state_name(p[k].state), p[k].refcount);
	if (p->state == PG_ALLOC) {
		if (!p->refcount)
			return corrupt("allocated block 0x%llx has no reference",
			               (unsigned long long)pa);
		t->used += n;
		return E_OK;
	}
	if (p->refcount)
		return corrupt("free block 0x%llx has refcount %u", (unsigned long long)pa,
		               p->refcount);
	/* Fully merged: below the top order, a free block's buddy is never a
	 * free block of the same order. */
	uint64_t bf = ((r->base_pfn + f) ^ n) - r->base_pfn;   /* buddy's index */
	if (p->order < PAGE_MAX_ORDER && bf < r->npages &&
	    r->meta[bf].state == PG_FREE && r->meta[bf].order == p->order)
		return corrupt("free blocks 0x%llx and its buddy were not merged",
		               (unsigned long long)pa);
	t->heads[p->order]++;
	t->free += n;
	return E_OK;
}

static int check_metadata(struct tally *t) REQUIRES(pmm.lock)
{
	for (unsigned i = 0; i < pmm_ram.nranges; i++) {
		const struct pmm_range *r = &pmm_ram.ranges[i];

		for (uint64_t f = 0; f < r->npages;) {
			const struct page *p = &r->meta[f];
			unsigned long long pa = (r->base_pfn + f) << PAGE_SHIFT;
			int rc;

			switch (pg_state(p)) {
			case PG_RESERVED:
				if (!p->refcount)
					return corrupt("reserved frame 0x%llx lost its reference", pa);
				t->reserved++;
				f++;
				break;
			case PG_CACHED:
				if (p->refcount || p->order)
					return corrupt("cached frame 0x%llx: refcount %u order %u",
					               pa, p->refcount, p->order);
				t->cached++;
				f++;
				break;
			case PG_FREE:
			case PG_ALLOC:
				rc = check_block(i, f, t);
				if (rc)
					return rc;
				f += 1ull << p->order;
				break;
			default:
				return corrupt("frame 0x%llx is %s outside any block", pa,
				               pmm_state_name(p->state));
			}
		}
	}
	return E_OK;
}

static int check_lists(const struct tally *t) REQUIRES(pmm.lock)
{
	for (unsigned o = 0; o <= PAGE_MAX_ORDER; o++) {
		uint64_t n = 0;
		struct free_block *b;

		LIST_FOREACH(b, &pmm.free[o], link) {
			if (++n > pmm.nblocks[o])
				return corrupt("order %u list is longer than its count %llu (a loop?)",
				               o, (unsigned long long)pmm.nblocks[o]);
			if (*b->link.le_prev != b)
				return corrupt("order %u list: broken back link at %p", o, (void *)b);
			if (!is_frame(b->page))
				return corrupt("order %u list: entry %p names no frame", o, (void *)b);
			if (b->page->state != PG_FREE || b->page->order != o)
				return corrupt("order %u list holds block 0x%llx, %s of order %u", o,
				               (unsigned long long)frame_pa(b->page),
				               pmm_state_name(b->page->state), b->page->order);
			if (frame_va(b->page) != (void *)b)
				return corrupt("order %u list: entry %p is not in its block 0x%llx", o,
				               (void *)b, (unsigned long long)frame_pa(b->page));
		}
		if (n != pmm.nblocks[o] || n != t->heads[o])
			return corrupt("order %u: %llu blocks listed, count %llu, %llu free heads",
			               o, (unsigned long long)n, (unsigned long long)pmm.nblocks[o],
			               (unsigned long long)t->heads[o]);
	}
	return E_OK;
}

/* Is @p in CPU @cpu's cache before slot @end? */
static int cached_at(const struct pmm_pcp *pc, unsigned long end, const struct page *p)
	REQUIRES(pmm_cpu)
{
	for (unsigned long k = 0; k < end; k++)
		if (pc->slots[k] == p)
			return 1;
	return 0;
}

/* Every CPU's cache holds CACHED frames, each once, as many as there are. */
static int check_caches(const struct tally *t) REQUIRES(pmm_cpu)
{
	uint64_t total = 0;

	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++) {
		const struct pmm_pcp *pc = &pmm_pcp[cpu];

		if (!pc->top && !pmm_ram.nranges)
			continue;   /* before the first pmm_init() */
		if (pc->top < pc->slots || pcp_count(pc) > PCP_MAX)
			return corrupt("CPU %u's cache top %p is outside its slots", cpu,
			               (const void *)pc->top);
		for (unsigned long k = 0; k < pcp_count(pc); k++) {
			const struct page *p = pc->slots[k];

			if (!is_frame(p) || pg_state(p) != PG_CACHED)
				return corrupt("CPU %u's cache slot %lu holds %p, not a cached frame",
				               cpu, k, (const void *)p);
			for (unsigned other = 0; other <= cpu; other++)
				if (cached_at(&pmm_pcp[other], other == cpu ? k : pcp_count(&pmm_pcp[other]),
				              p))
					return corrupt("frame 0x%llx is cached twice (CPUs %u and %u)",
					               (unsigned long long)frame_pa(p), other, cpu);
		}
		total += pcp_count(pc);
	}
	if (total != t->cached)
		return corrupt("the CPUs' caches hold %llu frames, %llu frames are cached",
		               (unsigned long long)total, (unsigned long long)t->cached);
	return E_OK;
}

/* The caches of every CPU, read from here: the caller says no CPU is using them. */
static int check_caches_quiet(const struct tally *t)
{
	unsigned long irq;
	int rc;

	pcp_enter_quiet(0, &irq);
	rc = check_caches(t);
	pcp_exit(irq);
	return rc;
}

int pmm_check(void)
{
	struct tally t = { { 0 }, 0, 0, 0, 0 };
	unsigned long irq = spin_lock_irqsave(&pmm.lock);
	int rc = check_metadata(&t);

	if (!rc)
		rc = check_lists(&t);
	if (!rc)
		rc = check_caches_quiet(&t);
	if (!rc && (t.free != pmm.nfree || t.reserved != pmm.reserved ||
	            t.free + t.cached + t.reserved + t.used != pmm_ram.total))
		rc = corrupt("counts: %llu free (says %llu), %llu reserved (says %llu), "
		             "%llu cached, %llu used, %llu total",
		             (unsigned long long)t.free, (unsigned long long)pmm.nfree,
		             (unsigned long long)t.reserved, (unsigned long long)pmm.reserved,
		             (unsigned long long)t.cached, (unsigned long long)t.used,
		             (unsigned long long)pmm_ram.total);
	spin_unlock_irqrestore(&pmm.lock, irq);
	return rc;
}
