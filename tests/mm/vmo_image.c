/*
 * The ELF loader's case, in the kernel: a private copy-on-write mapping
 * over frames of the kernel image itself (a page of its .data), through
 * a physical object over them (phys_obj_create() + aspace_map_private()).
 * Reads see the image's bytes, a write copies, the image stays as it
 * was, and a fork copies again on its own writes.
 */
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/aspace.h>
#include <mm/boot_mmu.h>
#include <mm/page.h>
#include <mm/usercopy.h>

#define RW (MMU_READ | MMU_WRITE)
#define BASE 0x10000000ul

/* A page of the image's .data (written once before the test: not .bss). */
static uint64_t image_page[PAGE_SIZE / 8] __attribute__((aligned(PAGE_SIZE))) = { 0x1234 };

static uint64_t get(struct aspace *as, uintptr_t a)
{
	uint64_t v = ~0ull;

	aspace_switch(as);
	EXPECT_OK(copy_from_user(&v, a, sizeof(v)));
	return v;
}

static int put(struct aspace *as, uintptr_t a, uint64_t v)
{
	aspace_switch(as);
	return copy_to_user(a, &v, sizeof(v));
}

static void test_private_mapping_over_image_frames_copies_on_write(void)
{
	paddr_t pa = kernel_image_pa(image_page);
	struct mem_obj *obj = phys_obj_create(pa, PAGE_SIZE, 0);
	struct aspace *as = NULL, *child = NULL;
	struct aspace_query q;
	uintptr_t a = BASE;

	ASSERT_NOT_NULL(pa_to_page(pa));   /* image frames have page structs */
	ASSERT_NOT_NULL(obj);
	ASSERT_OK(aspace_create("image", &as));
	ASSERT_OK(aspace_map_private(as, &a, PAGE_SIZE, 0, RW, MAP_FIXED, obj, 0));
	mem_obj_put(obj);
	EXPECT_EQ_U(get(as, BASE), 0x1234);
	ASSERT_OK(aspace_query(as, BASE, &q));
	EXPECT_EQ_U(q.pa, pa);                      /* the image's own frame, read-only */
	EXPECT_FALSE(q.mmu_flags & MMU_WRITE);
	ASSERT_OK(put(as, BASE, 0x5678));
	ASSERT_OK(aspace_query(as, BASE, &q));
	EXPECT_NE(q.pa, pa);
	EXPECT_EQ_U(image_page[0], 0x1234);
	ASSERT_OK(aspace_fork(as, &child));
	ASSERT_OK(put(child, BASE, 0x9abc));
	EXPECT_EQ_U(get(as, BASE), 0x5678);
	EXPECT_EQ_U(image_page[0], 0x1234);
	aspace_switch(NULL);
	EXPECT_EQ(aspace_check(as), 0);
	EXPECT_EQ(aspace_check(child), 0);
	EXPECT_EQ(pt_audit(as->pt), 0);
	aspace_destroy(child);
	aspace_destroy(as);
}

KTEST_SUITE(vmo_image, KTEST_CASE(test_private_mapping_over_image_frames_copies_on_write));
