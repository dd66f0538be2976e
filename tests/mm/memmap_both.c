/* The boot memory map and region allocator (kernel and host). */
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/memmap.h>

#define MiB (1ULL << 20)

static struct memmap mm;

static void expect_free(int i, uint64_t base, uint64_t size)
{
	ASSERT_LT(i, mm.nfree);
	EXPECT_EQ_U(mm.free[i].base, base);
	EXPECT_EQ_U(mm.free[i].size, size);
}

static void test_reserved_ranges_are_removed(void)
{
	struct mem_range ram[] = { { 0x80000000, 256 * MiB } };
	struct mem_range res[] = {
		{ 0x80000000, 512 * 1024 },       /* firmware at the bottom */
		{ 0x80200000, 0x10000 },          /* kernel image */
		{ 0x8fe00000, 0x1234 },           /* device tree, not page sized */
	};

	ASSERT_OK(memmap_init(&mm, ram, 1, res, 3));
	ASSERT_EQ(mm.nfree, 3);
	expect_free(0, 0x80080000, 0x80200000 - 0x80080000);
	expect_free(1, 0x80210000, 0x8fe00000 - 0x80210000);
	expect_free(2, 0x8fe02000, 0x90000000 - 0x8fe02000);
}

static void test_several_ranges_sorted_with_holes(void)
{
	struct mem_range ram[] = {
		{ 0x100000000, 64 * MiB }, { 0x80000000, 32 * MiB }, { 0xc0000000, 0 },
	};
	struct mem_range res[] = { { 0x100000000 + 60 * MiB, 8 * MiB } };   /* overhangs */

	ASSERT_OK(memmap_init(&mm, ram, 3, res, 1));
	ASSERT_EQ(mm.nram, 2);
	EXPECT_EQ_U(mm.ram[0].base, 0x80000000);
	EXPECT_EQ_U(mm.ram[1].base, 0x100000000);
	ASSERT_EQ(mm.nfree, 2);
	expect_free(1, 0x100000000, 60 * MiB);
	EXPECT_EQ_U(mem_ranges_total(mm.free, mm.nfree), 92 * MiB);
}

static void test_ram_rounded_inward(void)
{
	struct mem_range ram[] = { { 0x80000100, 0x3000 } };

	ASSERT_OK(memmap_init(&mm, ram, 1, NULL, 0));
	expect_free(0, 0x80001000, 0x2000);
}

static void test_bad_ranges_rejected(void)
{
	struct mem_range wrap[] = { { ~0ULL - 0x1000, 0x10000 } };
	struct mem_range overlap[] = { { 0x80000000, 2 * MiB }, { 0x80100000, 2 * MiB } };

	EXPECT_EQ(memmap_init(&mm, wrap, 1, NULL, 0), E_OVERFLOW);
	EXPECT_EQ(memmap_init(&mm, overlap, 2, NULL, 0), E_EXIST);
	EXPECT_EQ(memmap_init(&mm, NULL, 1, NULL, 0), E_INVAL);
	EXPECT_EQ(memmap_init(&mm, overlap, 0, NULL, 0), E_INVAL);   /* no RAM */
}

static void test_alloc_top_down_aligned_and_removed(void)
{
	struct mem_range ram[] = { { 0x80000000, 16 * MiB } };

	ASSERT_OK(memmap_init(&mm, ram, 1, NULL, 0));
	uint64_t a = memmap_alloc(&mm, 5000, 4096);
	EXPECT_EQ_U(a, 0x81000000 - 0x2000);
	uint64_t b = memmap_alloc(&mm, 4096, 2 * MiB);
	EXPECT_EQ_U(b, 0x80e00000);
	EXPECT_EQ_U(mm.boot_allocated, 0x3000);
	/* Neither allocation is still free. */
	for (int i = 0; i < mm.nfree; i++) {
		uint64_t s = mm.free[i].base, e = s + mm.free[i].size;

		EXPECT_TRUE(a + 0x2000 <= s || a >= e);
		EXPECT_TRUE(b + 0x1000 <= s || b >= e);
	}
	EXPECT_EQ_U(mem_ranges_total(mm.free, mm.nfree), 16 * MiB - 0x3000);
}

static void test_alloc_refuses_bad_requests_and_after_freeze(void)
{
	struct mem_range ram[] = { { 0x80000000, 1 * MiB } };

	ASSERT_OK(memmap_init(&mm, ram, 1, NULL, 0));
	EXPECT_EQ_U(memmap_alloc(&mm, 0, 4096), 0);
	EXPECT_EQ_U(memmap_alloc(&mm, 4096, 3000), 0);
	EXPECT_EQ_U(memmap_alloc(&mm, 4096, 8192 + 4096), 0);
	EXPECT_EQ_U(memmap_alloc(&mm, 2 * MiB, 4096), 0);      /* too big */
	EXPECT_EQ_U(memmap_alloc(&mm, ~0ULL, 4096), 0);        /* wraps */
	memmap_freeze(&mm);
	EXPECT_EQ_U(memmap_alloc(&mm, 4096, 4096), 0);
	EXPECT_EQ_U(mem_ranges_total(mm.free, mm.nfree), 1 * MiB);
}

static void test_alloc_within_window(void)
{
	struct mem_range ram[] = { { 0x80000000, 16 * MiB }, { 0x100000000, 16 * MiB } };

	ASSERT_OK(memmap_init(&mm, ram, 2, NULL, 0));
	/* Top-down would pick the high range; the window keeps it low. */
	uint64_t a = memmap_alloc_within(&mm, 4096, 4096, 0x80000000, 0x80400000);
	EXPECT_EQ_U(a, 0x80400000 - 4096);
	EXPECT_EQ_U(memmap_alloc_within(&mm, 4096, 4096, 0x90000000, 0xa0000000), 0);  /* a hole */
	EXPECT_EQ_U(memmap_alloc_within(&mm, 8 * MiB, 4096, 0x80000000, 0x80400000), 0);
}

static void test_is_ram(void)
{
	struct mem_range ram[] = { { 0x80000000, 16 * MiB }, { 0x100000000, 16 * MiB } };
	struct mem_range res[] = { { 0x80000000, 1 * MiB } };

	ASSERT_OK(memmap_init(&mm, ram, 2, res, 1));
	EXPECT_TRUE(memmap_is_ram(&mm, 0x80000000, 4096));       /* reserved is still RAM */
	EXPECT_TRUE(memmap_is_ram(&mm, 0x81000000 - 4096, 4096));
	EXPECT_FALSE(memmap_is_ram(&mm, 0x81000000 - 4096, 8192));  /* runs off the end */
	EXPECT_FALSE(memmap_is_ram(&mm, 0x90000000, 4096));         /* a hole */
	EXPECT_FALSE(memmap_is_ram(&mm, 0x80f00000, 0x100000000));  /* spans the hole */
	EXPECT_FALSE(memmap_is_ram(&mm, 0x80000000, 0));
	EXPECT_FALSE(memmap_is_ram(&mm, ~0ull - 10, 4096));         /* wraps */
}

KTEST_SUITE(memmap,
	KTEST_CASE(test_reserved_ranges_are_removed),
	KTEST_CASE(test_several_ranges_sorted_with_holes),
	KTEST_CASE(test_ram_rounded_inward),
	KTEST_CASE(test_bad_ranges_rejected),
	KTEST_CASE(test_alloc_top_down_aligned_and_removed),
	KTEST_CASE(test_alloc_refuses_bad_requests_and_after_freeze),
	KTEST_CASE(test_alloc_within_window),
	KTEST_CASE(test_is_ram));
