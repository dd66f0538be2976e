/* The arch page clear and copy routines. */
#include <string.h>
#include <arch/arch.h>
#include <lib/ktest.h>
#include <mm/page.h>

static void fill(uint8_t *p, uint8_t seed)
{
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void test_clear_page_clears_exactly_one_page(void)
{
	struct page *blk = page_alloc(1, 0);   /* two frames: the second is a guard */
	ASSERT_NOT_NULL(blk);
	uint8_t *p = page_to_va(blk);

	fill(p, 1);
	fill(p + PAGE_SIZE, 2);
	arch_clear_page(p);
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		if (p[i]) {
			ktest_fail(__FILE__, __LINE__, "byte %u not cleared", i);
			break;
		}
	EXPECT_EQ(p[PAGE_SIZE], (uint8_t)2);          /* next page untouched */
	EXPECT_EQ(p[2 * PAGE_SIZE - 1], (uint8_t)(2 + (PAGE_SIZE - 1) * 7));
	page_free(blk, 1);
}

static void test_copy_page_copies_exactly_one_page(void)
{
	struct page *blk = page_alloc(2, 0);   /* src, dst, guard */
	ASSERT_NOT_NULL(blk);
	uint8_t *s = page_to_va(blk), *d = s + PAGE_SIZE, *g = s + 2 * PAGE_SIZE;

	fill(s, 3);
	fill(d, 4);
	fill(g, 5);
	arch_copy_page(d, s);
	EXPECT_EQ(memcmp(d, s, PAGE_SIZE), 0);
	EXPECT_EQ(g[0], (uint8_t)5);
	page_free(blk, 2);
}

KTEST_SUITE(page_ops,
	KTEST_CASE(test_clear_page_clears_exactly_one_page),
	KTEST_CASE(test_copy_page_copies_exactly_one_page));
