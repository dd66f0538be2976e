/* The boot memory map of the running machine. */
#include <boot/boot.h>
#include <mm/boot_mmu.h>
#include <lib/ktest.h>
#include <mm/mem_boot.h>

extern char __image_start[], __image_end[];

static int overlaps_free(uint64_t base, uint64_t size)
{
	for (int i = 0; i < boot_memmap.nfree; i++) {
		const struct mem_range *f = &boot_memmap.free[i];

		if (base < f->base + f->size && f->base < base + size)
			return 1;
	}
	return 0;
}

static void test_kernel_image_not_free(void)
{
	EXPECT_FALSE(overlaps_free(kernel_image_pa(__image_start),
	                           (uintptr_t)__image_end - (uintptr_t)__image_start));
}

static void test_taken_ranges_not_free(void)
{
	ASSERT_GE(boot_ntaken, 2);   /* at least the image and the device tree */
	for (int i = 0; i < boot_ntaken; i++) {
		if (overlaps_free(boot_taken[i].range.base, boot_taken[i].range.size))
			ktest_log("free memory overlaps %s", boot_taken[i].what);
		EXPECT_FALSE(overlaps_free(boot_taken[i].range.base, boot_taken[i].range.size));
	}
}

static void test_device_tree_reservations_honoured(void)
{
	struct fdt_range r[8];
	int n = fdt_reserved(&boot_fdt, r, 8);

	ASSERT_GE(n, 0);
	for (int i = 0; i < n && i < 8; i++)
		EXPECT_FALSE(overlaps_free(r[i].base, r[i].size));
#if ARCH_riscv64
	/* OpenSBI reserves its own memory through the device tree. */
	EXPECT_GE(n, 1);
#endif
}

static void test_free_ranges_inside_ram_and_sorted(void)
{
	ASSERT_GE(boot_memmap.nfree, 1);
	for (int i = 0; i < boot_memmap.nfree; i++) {
		const struct mem_range *f = &boot_memmap.free[i];
		int inside = 0;

		EXPECT_EQ_U(f->base % 4096, 0);
		EXPECT_EQ_U(f->size % 4096, 0);
		for (int j = 0; j < boot_memmap.nram; j++)
			inside |= f->base >= boot_memmap.ram[j].base &&
			          f->base + f->size <= boot_memmap.ram[j].base + boot_memmap.ram[j].size;
		EXPECT_TRUE(inside);
		if (i)
			EXPECT_GT(f->base, boot_memmap.free[i - 1].base);
	}
}

KTEST_SUITE(mem_boot,
	KTEST_CASE(test_kernel_image_not_free),
	KTEST_CASE(test_taken_ranges_not_free),
	KTEST_CASE(test_device_tree_reservations_honoured),
	KTEST_CASE(test_free_ranges_inside_ram_and_sorted));
