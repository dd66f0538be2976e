/*
 * The shared test library: what more than one test file needs, for the
 * kernel and the host alike.  Host-only fixtures are in tests/testlib/host/
 * (aspace_fixture.h, fail_inject.h, model_driver.h); the frame count that
 * tests compare is heap_free_frames_settled() in <mm/heap.h>.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <stdint.h>

/*
 * xorshift64 (Marsaglia, "Xorshift RNGs", 2003): a fixed sequence for a
 * given seed, so a randomized test that fails fails again.  @state must
 * not be 0.
 */
static inline uint64_t tl_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

struct aspace;

/*
 * Make @as the current user aspace and write / read the word at @addr
 * through the user copies (faults resolved as a user access's would be).
 * tl_user_put() returns copy_to_user()'s result; tl_user_get() fails the
 * case when the read fails (and returns ~0).
 */
int tl_user_put(struct aspace *as, uintptr_t addr, uint64_t v);
uint64_t tl_user_get(struct aspace *as, uintptr_t addr);

#endif
