/*
 * Setting up the frame allocator: pmm_init() takes the RAM ranges and
 * their metadata, pmm_release_range() hands usable frames to the buddy
 * lists.  Boot-time code; see mm/include/mm/page.h for the contracts.
 */
#include <string.h>
#include <lib/err.h>
#include <lib/panic.h>
#include <lib/spinlock.h>
#include <mm/page.h>
#include "page_internal.h"

static int check_ranges(const struct pmm_range_desc *ram, int n)
{
	if (n < 1)
		return E_INVAL;
	if (n > PMM_MAX_RANGES)
		return E_NOSPC;
	for (int i = 0; i < n; i++) {
		if (!ram[i].size)
			return E_INVAL;
		if ((ram[i].base | ram[i].size) & PAGE_MASK)
			return E_ALIGN;
		if (ram[i].base + ram[i].size <= ram[i].base)
			return E_OVERFLOW;
		if (i && ram[i].base < ram[i - 1].base)
			return E_INVAL;
		if (i && ram[i].base < ram[i - 1].base + ram[i - 1].size)
			return E_EXIST;
	}
	return E_OK;
}

int pmm_init(const struct pmm_range_desc *ram, int n,
             void *(*early_alloc)(size_t size, size_t align))
{
	uint64_t lo, span;
	struct page *frames;
	unsigned long irq;
	int rc = check_ranges(ram, n);

	if (rc)
		return rc;
	/* One array over the span, holes included (mm_frame_base); page-aligned:
	 * boot allocators hand out whole pages anyway. */
	lo = ram[0].base >> PAGE_SHIFT;
	span = ((ram[n - 1].base + ram[n - 1].size) >> PAGE_SHIFT) - lo;
	if (span > SIZE_MAX / sizeof(struct page))
		return E_NOMEM;
	frames = early_alloc(span * sizeof(struct page), PAGE_SIZE);
	if (!frames)
		return E_NOMEM;

	memset(&pmm_ram, 0, sizeof(pmm_ram));
	for (uint64_t f = 0; f < span; f++)
		frames[f] = (struct page){ .refcount = 1, .state = PG_HOLE };
	for (int i = 0; i < n; i++) {
		struct pmm_range *r = &pmm_ram.ranges[i];

		r->base_pfn = ram[i].base >> PAGE_SHIFT;
		r->npages = ram[i].size >> PAGE_SHIFT;
		r->meta = frames + (r->base_pfn - lo);
		r->meta_bytes = r->npages * sizeof(struct page);
		for (uint64_t f = 0; f < r->npages; f++)
			r->meta[f].state = PG_RESERVED;
		pmm_ram.total += r->npages;
	}
	pmm_ram.nranges = (unsigned)n;
	pmm_ram.lo_pfn = lo;
	pmm_ram.span = span;
	pmm_ram.frames = frames;
	mm_frame_base = (uintptr_t)frames - (uintptr_t)(lo * sizeof(struct page));

	/* Nothing else uses the allocator yet, but its state is written
	 * under its lock all the same, as everywhere (the analysis checks). */
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++) {
		struct pmm_pcp *pc = pcp_enter_quiet(cpu, &irq);

		pcp_set_count(pc, 0);
		pc->meta0 = (uintptr_t)pmm_ram.ranges[0].meta;
		pc->meta0_bytes = pmm_ram.ranges[0].meta_bytes;
		pcp_exit(irq);
	}
	memset(&pmm, 0, sizeof(pmm));
	spin_init(&pmm.lock);
	irq = spin_lock_irqsave(&pmm.lock);
	for (unsigned o = 0; o <= PAGE_MAX_ORDER; o++)
		LIST_INIT(&pmm.free[o]);
	pmm.reserved = pmm_ram.total;
	spin_unlock_irqrestore(&pmm.lock, irq);
	return E_OK;
}

/* Largest order of a block starting at @pfn that ends at or before @end. */
static unsigned fit_order(uint64_t pfn, uint64_t end)
{
	unsigned o = PAGE_MAX_ORDER;

	while (o && ((pfn & ((1ull << o) - 1)) || pfn + (1ull << o) > end))
		o--;
	return o;
}

/* Release frames [lo, hi) of @r (all RESERVED, checked) as aligned blocks. */
static void release_locked(const struct pmm_range *r, uint64_t lo, uint64_t hi)
	REQUIRES(pmm.lock)
{
	for (uint64_t pfn = lo; pfn < hi;) {
		unsigned order = fit_order(pfn, hi);
		struct page *head = r->meta + (pfn - r->base_pfn);

		for (uint64_t f = 0; f < (1ull << order); f++) {
			head[f].refcount = 0;
			head[f].order = 0;
			head[f].state = PG_TAIL;
		}
		if (KDEBUG)
			pmm_poison(head, order);
		pmm.reserved -= 1ull << order;
		buddy_free_locked(head, order);
		pfn += 1ull << order;
	}
}

void pmm_release_range(paddr_t base, uint64_t size)
{
	uint64_t first = base >> PAGE_SHIFT, end = first + (size >> PAGE_SHIFT);
	uint64_t covered = 0;
	unsigned long irq;

	if (!size)
		return;
	if ((base | size) & PAGE_MASK)
		panic("pmm_release_range: [0x%llx, +0x%llx) is not page-aligned",
		      (unsigned long long)base, (unsigned long long)size);
	if (end <= first)
		panic("pmm_release_range: [0x%llx, +0x%llx) wraps around",
		      (unsigned long long)base, (unsigned long long)size);

	/* Check every frame before changing any. */
	irq = spin_lock_irqsave(&pmm.lock);
	for (unsigned i = 0; i < pmm_ram.nranges; i++) {
		const struct pmm_range *r = &pmm_ram.ranges[i];
		uint64_t lo = first > r->base_pfn ? first : r->base_pfn;
		uint64_t hi = end < r->base_pfn + r->npages ? end : r->base_pfn + r->npages;

		for (uint64_t pfn = lo; pfn < hi; pfn++) {
			const struct page *p = r->meta + (pfn - r->base_pfn);

			if (p->state != PG_RESERVED || p->refcount != 1)
				BUG_LOCKED(irq, "pmm_release_range: frame 0x%llx is %s, not reserved",
				           (unsigned long long)(pfn << PAGE_SHIFT),
				           p->state == PG_RESERVED ? "in use" : pmm_state_name(p->state));
		}
		covered += lo < hi ? hi - lo : 0;
	}
	if (covered != end - first)
		BUG_LOCKED(irq, "pmm_release_range: [0x%llx, +0x%llx) is not all RAM",
		           (unsigned long long)base, (unsigned long long)size);

	for (unsigned i = 0; i < pmm_ram.nranges; i++) {
		const struct pmm_range *r = &pmm_ram.ranges[i];
		uint64_t lo = first > r->base_pfn ? first : r->base_pfn;
		uint64_t hi = end < r->base_pfn + r->npages ? end : r->base_pfn + r->npages;

		if (lo < hi)
			release_locked(r, lo, hi);
	}
	spin_unlock_irqrestore(&pmm.lock, irq);
}

