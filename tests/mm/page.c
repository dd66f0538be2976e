/*
 * The frame allocator on the RAM the machine really has, as the boot set
 * it up.  Every case leaves the free count where it found it and ends with
 * pmm_check().
 */
#include <string.h>
#include <mm/boot_mmu.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/page.h>

#define BLOCK(order) (PAGE_SIZE << (order))

static struct pmm_stats stats(void)
{
	struct pmm_stats st;

	pmm_stats(&st);
	return st;
}

/* The running allocator; ends the case unless the boot started it. */
static struct pmm_stats start(void)
{
	struct pmm_stats st = stats();

	ASSERT_GT(st.total, 0);
	ASSERT_GT(st.free, 0);
	return st;
}

static void finish(const struct pmm_stats *before)
{
	EXPECT_EQ(stats().free, before->free);
	EXPECT_OK(pmm_check());
}

/* Take every order-0 frame, chained through the frames themselves. */
static struct page *take_all(uint64_t *count)
{
	struct page *head = NULL, *p;

	*count = 0;
	while ((p = page_alloc(0, 0))) {
		*(struct page **)page_to_va(p) = head;
		head = p;
		++*count;
	}
	return head;
}

static void give_back(struct page *head)
{
	while (head) {
		struct page *next = *(struct page **)page_to_va(head);

		page_free(head, 0);
		head = next;
	}
}

static void test_every_free_frame_can_be_taken_and_given_back(void)
{
	struct pmm_stats before = start();
	struct page *all;
	uint64_t n;

	all = take_all(&n);
	EXPECT_EQ(n, before.free);
	EXPECT_EQ(stats().free, 0);
	give_back(all);
	finish(&before);
	/* They merged back: at least the largest blocks there were. */
	pmm_drain_cache();
	EXPECT_GE(stats().blocks[PAGE_MAX_ORDER], before.blocks[PAGE_MAX_ORDER]);
	EXPECT_GE(stats().blocks[PAGE_MAX_ORDER], 1);
}

static void test_out_of_memory_returns_null(void)
{
	struct pmm_stats before = start();
	struct page *all;
	uint64_t n;

	all = take_all(&n);
	for (unsigned o = 0; o <= PAGE_MAX_ORDER; o++)
		EXPECT_NULL(page_alloc(o, PAGE_ZERO));
	give_back(all);
	finish(&before);
}

static void test_every_order_is_aligned_to_its_size(void)
{
	struct pmm_stats before = start();

	for (unsigned o = 0; o <= PAGE_MAX_ORDER; o++) {
		struct page *p = page_alloc(o, 0);

		ASSERT_NOT_NULL(p);
		EXPECT_EQ(page_to_pa(p) % BLOCK(o), 0);
		EXPECT_EQ((uintptr_t)page_to_va(p) % BLOCK(o), 0);
		EXPECT_EQ_U(pa_to_page(page_to_pa(p)), p);
		EXPECT_EQ_U(va_to_page(page_to_va(p)), p);
		EXPECT_EQ(page_refcount(p), 1);
		page_free(p, o);
	}
	finish(&before);
}

static int all_zero(const void *va, size_t n)
{
	const uint64_t *w = va;

	for (size_t i = 0; i < n / sizeof(*w); i++)
		if (w[i])
			return 0;
	return 1;
}

static void test_zeroed_allocations_are_zero(void)
{
	struct pmm_stats before = start();

	for (unsigned o = 0; o <= PAGE_MAX_ORDER; o += 2) {
		struct page *p = page_alloc(o, 0);

		ASSERT_NOT_NULL(p);
		memset(page_to_va(p), 0x5c, BLOCK(o));
		page_free(p, o);
		p = page_alloc(o, PAGE_ZERO);
		ASSERT_NOT_NULL(p);
		EXPECT_TRUE(all_zero(page_to_va(p), BLOCK(o)));
		page_free(p, o);
	}
	finish(&before);
}

static void test_last_put_frees_the_block(void)
{
	struct pmm_stats before = start();
	struct page *p = page_alloc(3, 0);

	ASSERT_NOT_NULL(p);
	page_get(p);
	EXPECT_EQ(page_refcount(p), 2);
	page_put(p);
	EXPECT_EQ(page_refcount(p), 1);
	EXPECT_EQ(stats().free, before.free - 8);
	page_put(p);
	EXPECT_EQ(page_refcount(p), 0);
	finish(&before);
}

static void test_double_free_is_caught(void)
{
	struct pmm_stats before = start();
	struct page *p = page_alloc(0, 0);

	ASSERT_NOT_NULL(p);
	page_free(p, 0);
	EXPECT_PANIC(page_free(p, 0), "double free");
	EXPECT_PANIC(page_put(p), "underflow");
	finish(&before);
}

extern char __image_start[];

static void test_kernel_image_frames_cannot_be_freed(void)
{
	struct pmm_stats before = start();
	struct page *img = pa_to_page(kernel_image_pa(__image_start));

	/* Reserved: one permanent reference, so it looks like an order-0
	 * block with one user; only its state tells it apart. */
	ASSERT_NOT_NULL(img);
	EXPECT_EQ(page_refcount(img), 1);
	EXPECT_PANIC(page_free(img, 0), "reserved");
	EXPECT_PANIC(page_put(img), "reserved");
	EXPECT_EQ(page_refcount(img), 1);
	finish(&before);
}

static void test_metadata_is_8_bytes_per_frame(void)
{
	struct pmm_stats st = start();

	EXPECT_GE(st.span, st.total);
	EXPECT_EQ(st.meta_bytes, st.span * 8);
	EXPECT_GT(st.reserved, 0);   /* at least the kernel image */
	EXPECT_LT(st.reserved + st.free, st.total + 1);
}

KTEST_SUITE(page,
	KTEST_CASE(test_every_free_frame_can_be_taken_and_given_back),
	KTEST_CASE(test_out_of_memory_returns_null),
	KTEST_CASE(test_every_order_is_aligned_to_its_size),
	KTEST_CASE(test_zeroed_allocations_are_zero),
	KTEST_CASE(test_last_put_frees_the_block),
	KTEST_CASE(test_double_free_is_caught),
	KTEST_CASE(test_kernel_image_frames_cannot_be_freed),
	KTEST_CASE(test_metadata_is_8_bytes_per_frame));
