/* The boot memory map and region allocator (see mm/include/mm/memmap.h). */
#include <string.h>
#include <lib/err.h>
#include <mm/memmap.h>

#define PAGE 4096ULL

static uint64_t align_down(uint64_t x, uint64_t a) { return x & ~(a - 1); }

/* Round up, or 0 when it would wrap. */
static uint64_t align_up(uint64_t x, uint64_t a)
{
	return x + (a - 1) < x ? 0 : (x + (a - 1)) & ~(a - 1);
}

static void sort_ranges(struct mem_range *r, int n)
{
	for (int i = 1; i < n; i++) {
		struct mem_range k = r[i];
		int j = i - 1;

		for (; j >= 0 && r[j].base > k.base; j--)
			r[j + 1] = r[j];
		r[j + 1] = k;
	}
}

/* Remove [base, end) from the free list, splitting a range if needed. */
static int carve(struct memmap *mm, uint64_t base, uint64_t end)
{
	for (int i = 0; i < mm->nfree; i++) {
		struct mem_range *f = &mm->free[i];
		uint64_t fend = f->base + f->size;

		if (end <= f->base || base >= fend)
			continue;
		if (base > f->base && end < fend) {          /* split in two */
			if (mm->nfree == MEMMAP_MAX)
				return E_NOSPC;
			memmove(&mm->free[i + 2], &mm->free[i + 1],
			        (size_t)(mm->nfree - i - 1) * sizeof(*f));
			mm->free[i + 1] = (struct mem_range){ end, fend - end };
			f->size = base - f->base;
			mm->nfree++;
			i++;
		} else if (base > f->base) {                 /* cut the tail */
			f->size = base - f->base;
		} else if (end < fend) {                     /* cut the head */
			f->size = fend - end;
			f->base = end;
		} else {                                     /* drop it whole */
			memmove(f, f + 1, (size_t)(mm->nfree - i - 1) * sizeof(*f));
			mm->nfree--;
			i--;
		}
	}
	return E_OK;
}

int memmap_init(struct memmap *mm, const struct mem_range *ram, int nram,
                const struct mem_range *res, int nres)
{
	memset(mm, 0, sizeof(*mm));
	if ((nram && !ram) || (nres && !res) || nram < 0 || nres < 0)
		return E_INVAL;
	for (int i = 0; i < nram; i++) {
		uint64_t base = align_up(ram[i].base, PAGE);
		uint64_t end = ram[i].base + ram[i].size;

		if (end < ram[i].base)
			return E_OVERFLOW;
		end = align_down(end, PAGE);
		/* Physical 0 is memmap_alloc()'s failure value: RAM starting
		 * there (the Raspberry Pi's) loses its first page. */
		if (!base)
			base = PAGE;
		if (!ram[i].size || end <= base)
			continue;
		if (mm->nram == MEMMAP_MAX)
			return E_NOSPC;
		mm->ram[mm->nram++] = (struct mem_range){ base, end - base };
	}
	if (!mm->nram)
		return E_INVAL;
	sort_ranges(mm->ram, mm->nram);
	for (int i = 1; i < mm->nram; i++)
		if (mm->ram[i - 1].base + mm->ram[i - 1].size > mm->ram[i].base)
			return E_EXIST;

	memcpy(mm->free, mm->ram, (size_t)mm->nram * sizeof(mm->ram[0]));
	mm->nfree = mm->nram;
	for (int i = 0; i < nres; i++) {
		uint64_t end = res[i].base + res[i].size;

		if (end < res[i].base)
			return E_OVERFLOW;
		if (!res[i].size)
			continue;
		uint64_t aend = align_up(end, PAGE);
		int rc = carve(mm, align_down(res[i].base, PAGE), aend ? aend : ~0ULL);
		if (rc)
			return rc;
	}
	return E_OK;
}

uint64_t memmap_alloc(struct memmap *mm, uint64_t size, uint64_t align)
{
	return memmap_alloc_within(mm, size, align, 0, ~0ULL);
}

uint64_t memmap_alloc_within(struct memmap *mm, uint64_t size, uint64_t align,
                             uint64_t lo, uint64_t hi)
{
	if (mm->frozen || !size || align < PAGE || (align & (align - 1)))
		return 0;
	size = align_up(size, PAGE);
	if (!size)
		return 0;
	for (int i = mm->nfree - 1; i >= 0; i--) {
		struct mem_range *f = &mm->free[i];
		uint64_t top = f->base + f->size < hi ? f->base + f->size : hi;
		uint64_t bottom = f->base > lo ? f->base : lo;

		if (top < bottom || top - bottom < size)
			continue;
		uint64_t base = align_down(top - size, align);
		if (base < bottom)
			continue;
		if (carve(mm, base, base + size))
			return 0;
		mm->boot_allocated += size;
		return base;
	}
	return 0;
}

void memmap_freeze(struct memmap *mm)
{
	mm->frozen = 1;
}

int memmap_is_ram(const struct memmap *mm, uint64_t base, uint64_t size)
{
	uint64_t last = base + size - 1;

	if (!size || last < base)
		return 0;
	for (int i = 0; i < mm->nram; i++)
		if (base >= mm->ram[i].base && last <= mm->ram[i].base + (mm->ram[i].size - 1))
			return 1;
	return 0;
}

uint64_t mem_ranges_total(const struct mem_range *r, int n)
{
	uint64_t t = 0;

	for (int i = 0; i < n; i++)
		t += r[i].size;
	return t;
}
