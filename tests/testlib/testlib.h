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

#endif
