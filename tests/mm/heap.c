/*
 * The kernel heap as the boot started it: kmalloc's classes, large blocks,
 * slab caches, picolibc's malloc on top, and a random stress that must
 * leave every frame where it was.  Every case ends with heap_check().
 */
#include <stdlib.h>
#include <string.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include "testlib.h"
#include <mm/heap.h>
#include <mm/page.h>


static void fill(void *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)p)[i] = (uint8_t)(seed + i * 13);
}

static int filled(const void *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i] != (uint8_t)(seed + i * 13))
			return 0;
	return 1;
}

static void test_every_size_class_serves_its_sizes(void)
{
	for (size_t n = 1; n <= 4 * KMALLOC_MAX_CLASS; n += n / 8 + 1) {
		void *p = kmalloc(n, 0);

		ASSERT_NOT_NULL(p);
		EXPECT_GE(ksize(p), n);
		EXPECT_EQ((uintptr_t)p % 16, 0);
		fill(p, n, (uint8_t)n);
		EXPECT_TRUE(filled(p, n, (uint8_t)n));
		kfree(p);
	}
	EXPECT_OK(heap_check());
}

static void test_zeroed_objects_are_zero(void)
{
	for (size_t n = 16; n <= 16384; n *= 2) {
		uint8_t *p = kmalloc(n, 0);

		ASSERT_NOT_NULL(p);
		memset(p, 0xa7, n);
		kfree(p);
		p = kmalloc(n, KM_ZERO);
		ASSERT_NOT_NULL(p);
		for (size_t i = 0; i < n; i++)
			if (p[i]) {
				ktest_fail(__FILE__, __LINE__, "byte %zu of %zu is 0x%02x", i, n, p[i]);
				break;
			}
		kfree(p);
	}
	EXPECT_OK(heap_check());
}

static void test_slab_cache_round_trip(void)
{
	struct kmem_cache *c = kmem_cache_create("ktest-obj", 72, 8);
	void *objs[200];

	ASSERT_NOT_NULL(c);
	for (int k = 0; k < 200; k++) {
		objs[k] = kmem_cache_alloc(c, 0);
		ASSERT_NOT_NULL(objs[k]);
		fill(objs[k], 72, (uint8_t)k);
	}
	for (int k = 0; k < 200; k++) {
		EXPECT_TRUE(filled(objs[k], 72, (uint8_t)k));
		kmem_cache_free(c, objs[k]);
	}
	EXPECT_OK(kmem_cache_destroy(c));
	EXPECT_OK(heap_check());
}

static void test_libc_malloc_is_the_kernel_heap(void)
{
	char *p = malloc(100), *q;

	ASSERT_NOT_NULL(p);
	EXPECT_EQ(ksize(p), 128);   /* a kmalloc class: it came from kmalloc */
	strcpy(p, "arbor");
	q = realloc(p, 5000);
	ASSERT_NOT_NULL(q);
	EXPECT_STREQ(q, "arbor");
	free(q);
	q = calloc(10, 10);
	ASSERT_NOT_NULL(q);
	for (int i = 0; i < 100; i++)
		EXPECT_EQ(q[i], 0);
	free(q);
	EXPECT_OK(heap_check());
}

#define SLOTS 256

static uint64_t rng;

static uint64_t next_rand(void)
{
	return tl_rand(&rng);
}

static void test_random_sizes_leave_no_leak(void)
{
	static struct { void *p; size_t n; uint8_t seed; } slot[SLOTS];
	uint64_t before;

	heap_shrink();
	pmm_drain_cache();
	before = pmm_free_frames();
	rng = 0x853c49e6748fea9bull;
	memset(slot, 0, sizeof(slot));
	for (int step = 0; step < 10000 && ktest_ok(); step++) {
		unsigned i = (unsigned)(next_rand() % SLOTS);
		uint64_t r = next_rand() % 100;

		if (slot[i].p) {
			EXPECT_TRUE(filled(slot[i].p, slot[i].n, slot[i].seed));
			kfree(slot[i].p);
			slot[i].p = NULL;
			continue;
		}
		slot[i].n = r < 70 ? next_rand() % 256 : r < 95 ? next_rand() % 2048 :
		            next_rand() % 65536;
		slot[i].seed = (uint8_t)step;
		slot[i].p = kmalloc(slot[i].n, 0);
		ASSERT_NOT_NULL(slot[i].p);
		fill(slot[i].p, slot[i].n, slot[i].seed);
	}
	for (unsigned i = 0; i < SLOTS; i++)
		kfree(slot[i].p);
	EXPECT_OK(heap_check());
	heap_shrink();
	pmm_drain_cache();
	EXPECT_EQ(pmm_free_frames(), before);
	EXPECT_OK(pmm_check());
}

KTEST_SUITE(heap,
	KTEST_CASE(test_every_size_class_serves_its_sizes),
	KTEST_CASE(test_zeroed_objects_are_zero),
	KTEST_CASE(test_slab_cache_round_trip),
	KTEST_CASE(test_libc_malloc_is_the_kernel_heap),
	KTEST_CASE(test_random_sizes_leave_no_leak));
