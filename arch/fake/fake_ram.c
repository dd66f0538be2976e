/*
 * The host tests' fake RAM (see fake_ram.h) and the invariant hook that
 * checks the allocators after every host test case.
 */
#include <stdlib.h>
#include <string.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/heap.h>
#include <mm/page.h>
#include "fake_ram.h"
#include "tsan_report.h"

#define MiB (1ull << 20)

const struct pmm_range_desc fake_ranges[FAKE_NRANGES] = {
	{ FAKE_RAM_BASE, 3 * MiB },
	{ FAKE_RAM_BASE + 4 * MiB, 8 * MiB },
	{ FAKE_RAM_BASE + 12 * MiB, 1 * MiB },
	{ FAKE_RAM_BASE + 13 * MiB, 1 * MiB },
};

/*
 * Every metadata array is a block of its own, so AddressSanitizer catches
 * a read past the end of a range's metadata.  All blocks stay reachable
 * from statics for the whole run (LeakSanitizer), as does the RAM.
 */
#define EARLY_MAX 1024

static uint8_t *ram;
static void *early[EARLY_MAX];
static unsigned nearly;
static int early_fail;

static void *early_alloc(size_t size, size_t align)
{
	void *p;

	if (early_fail) {
		early_fail = 0;
		return NULL;
	}
	if (nearly == EARLY_MAX || posix_memalign(&p, align, size))
		return NULL;
	early[nearly++] = p;
	return p;
}

void fake_ram_fail_next_early_alloc(void)
{
	early_fail = 1;
}

/* A copy of the ranges of the last init, for fake_ram_contains(). */
static struct pmm_range_desc cur_ranges[PMM_MAX_RANGES];
static int ncur_ranges;

int fake_ram_init(const struct pmm_range_desc *r, int n)
{
	unsigned old = nearly;
	int rc;

	if (!ram) {
		ram = aligned_alloc(PAGE_SIZE << PAGE_MAX_ORDER, FAKE_RAM_SIZE);
		ASSERT_NOT_NULL(ram);
	}
	mm_linear_offset = (uintptr_t)ram - (uintptr_t)FAKE_RAM_BASE;
	rc = pmm_init(r, n, early_alloc);
	if (!rc) {
		/* The previous allocator's metadata goes with it (no growth per run). */
		for (unsigned i = 0; i < old; i++)
			free(early[i]);
		memmove(early, early + old, (nearly - old) * sizeof(early[0]));
		nearly -= old;
		memcpy(cur_ranges, r, (size_t)n * sizeof(*r));
		ncur_ranges = n;
		heap_init();
	}   /* its slabs were frames of the RAM just forgotten */
	return rc;
}

void fake_ram_setup(void)
{
	ASSERT_OK(fake_ram_init(fake_ranges, FAKE_NRANGES));
	pmm_release_range(fake_ranges[0].base + FAKE_RESERVED_SIZE,
	                  fake_ranges[0].size - FAKE_RESERVED_SIZE);
	for (int i = 1; i < FAKE_NRANGES; i++)
		pmm_release_range(fake_ranges[i].base, fake_ranges[i].size);
}

void fake_ram_setup_big(void)
{
	static const struct pmm_range_desc big = { FAKE_RAM_BASE, FAKE_RAM_SIZE };

	ASSERT_OK(fake_ram_init(&big, 1));
	pmm_release_range(big.base + FAKE_RESERVED_SIZE, big.size - FAKE_RESERVED_SIZE);
}

uint64_t fake_ram_free_frames(void)
{
	uint64_t bytes = 0;

	for (int i = 0; i < FAKE_NRANGES; i++)
		bytes += fake_ranges[i].size;
	return (bytes - FAKE_RESERVED_SIZE) >> PAGE_SHIFT;
}

int fake_ram_contains(paddr_t pa, uint64_t size)
{
	for (int i = 0; i < ncur_ranges; i++)
		if (pa >= cur_ranges[i].base &&
		    pa + size <= cur_ranges[i].base + cur_ranges[i].size)
			return 1;
	return 0;
}

/*
 * The runner calls this after every host case: whatever a case did, the
 * frame allocator and the heap must still be consistent, and in the
 * ThreadSanitizer build no report may have come (tsan_report.h).
 */
int ktest_check_invariants(const char *case_name);
int ktest_check_invariants(const char *case_name)
{
	int tsan = tsan_new_reports();

	(void)case_name;
	return pmm_check() != E_OK || heap_check() != E_OK || tsan;
}
