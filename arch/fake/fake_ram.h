/*
 * Fake physical RAM for the host tests of mm/: a 16 MiB buffer, aligned to
 * the largest block so blocks keep their natural alignment in virtual
 * addresses too, that mm_linear_offset maps at FAKE_RAM_BASE.  The layout:
 *
 *   R0 [0x80000000, 0x80300000)  3 MiB; its first 64 KiB stay reserved
 *      (a stand-in for the kernel image)
 *      hole of 1 MiB
 *   R1 [0x80400000, 0x80c00000)  8 MiB: two 4 MiB blocks
 *   R2 [0x80c00000, 0x80d00000)  1 MiB
 *   R3 [0x80d00000, 0x80e00000)  1 MiB, touching R2: the two are buddies
 *      by address, and must not merge into one 2 MiB block
 */
#ifndef TESTS_HOST_FAKE_RAM_H
#define TESTS_HOST_FAKE_RAM_H

#include <mm/page.h>

#define FAKE_RAM_BASE      0x80000000ull
#define FAKE_RAM_SIZE      (64ull << 20)   /* the buffer; fake_ranges use 14 MiB */
#define FAKE_RESERVED_SIZE (64ull << 10)   /* at the start of R0 */
#define FAKE_NRANGES       4

extern const struct pmm_range_desc fake_ranges[FAKE_NRANGES];

/*
 * Start over: fake_ram_init() on the ranges above, then release all but
 * the reserved start of R0.  Fails the case (ASSERT) on error.
 */
void fake_ram_setup(void);

/*
 * Like fake_ram_setup(), with one range over the whole buffer instead of
 * fake_ranges (reserved part included): for tests that need many frames.
 */
void fake_ram_setup_big(void);

/*
 * pmm_init() on @n ranges inside the fake RAM, nothing released; on
 * success the heap starts over too (heap_init).  Returns pmm_init's code.
 */
int fake_ram_init(const struct pmm_range_desc *ram, int n);

/* Make the next early allocation fail (for the E_NOMEM case). */
void fake_ram_fail_next_early_alloc(void);

/* Frames free right after fake_ram_setup(). */
uint64_t fake_ram_free_frames(void);

/* Is [pa, pa + size) inside one of the fake RAM ranges? */
int fake_ram_contains(paddr_t pa, uint64_t size);

#endif
