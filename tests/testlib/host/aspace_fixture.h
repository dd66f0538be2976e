/*
 * Shared set-up for the host tests of address spaces (test_aspace*.c):
 * fake RAM and MMU, a kernel table standing in for the kernel's, the
 * kernel aspace over it and one user aspace, and the accounting that
 * tells data frames from table pages and slabs.
 */
#ifndef TESTS_HOST_ASPACE_FIXTURE_H
#define TESTS_HOST_ASPACE_FIXTURE_H

#include <stdint.h>
#include <mm/aspace.h>

#define RO (MMU_READ)
#define RW (MMU_READ | MMU_WRITE)
#define RX (MMU_READ | MMU_EXEC)
#define PG PAGE_SIZE

/* The user aspace of the running case (fx_setup() makes it). */
extern struct aspace *fx_as;

/*
 * Fresh fake RAM and MMU, a @levels-level kernel_pt, kernel_aspace and a
 * user aspace fx_as.  fx_teardown() destroys fx_as, checks both aspaces,
 * the tables, the fake MMU's record, and that every frame came back.
 */
void fx_setup(unsigned levels);
/* fx_setup() over 64 MiB of fake RAM in one range (fake_ram_setup_big()). */
void fx_setup_big(unsigned levels);
void fx_teardown(void);

/*
 * Frames holding data (anonymous pages): frames in use since fx_setup()
 * minus table pages and slab pages.
 */
uint64_t fx_data_frames(void);

/* A fault in @as at @addr (not present, from the mode @as belongs to). */
enum fault_result fx_fault(struct aspace *as, uintptr_t addr, enum fault_access access);

/* The 64-bit word at @addr through its leaf, or NULL when not mapped. */
uint64_t *fx_word(struct aspace *as, uintptr_t addr);

/*
 * The 64-bit word at @addr (rounded down to 8 bytes) as its page's object
 * holds it (mapped or not; 0 for a page never touched), through the
 * object's page_read, under @as's lock as the hook wants.
 */
uint64_t fx_read_obj(struct aspace *as, uintptr_t addr);

/* Whether a varea of @as covers @addr (looked up under its lock). */
int fx_has_varea(struct aspace *as, uintptr_t addr);

/* Number of vareas and their list, in order (up to @max). */
struct fx_varea {
	uintptr_t start;
	uint64_t size;
	unsigned perms, flags;
	uint64_t resident;
	const char *obj;
};
unsigned fx_vareas(struct aspace *as, struct fx_varea *out, unsigned max);

/*
 * Hold every free frame but @keep, so that the allocation after the
 * @keep-th fails; fx_hog_release() gives them back.
 */
/*
 * Use up the free objects of the varea cache with one-page vareas of
 * alternating permissions (so they don't merge) from *@far upwards, two
 * pages apart, so that the next varea struct needs a new slab, i.e. a
 * frame.  *@far is left where the next one would go.
 */
void fx_fill_varea_cache(uintptr_t *far);

void fx_hog_all_but(unsigned keep);
void fx_hog_release(void);


#endif
