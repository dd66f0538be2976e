/*
 * Test side of mm/include/mm/fail_inject.h: fail the N-th allocation
 * (frame, table page or slab object) from now on, once or for good.
 */
#ifndef TESTS_HOST_FAIL_INJECT_H
#define TESTS_HOST_FAIL_INJECT_H

#include <stdint.h>

/*
 * Fail the @n-th allocation from now (1: the next); with @sticky, every
 * one after it too.  0 disarms.
 */
void fail_inject_at(unsigned n, int sticky);

/* Allocations failed since the last fail_inject_at(). */
unsigned fail_inject_fired(void);

/* Allocations asked for since the program started (failed ones included). */
uint64_t fail_inject_calls(void);

#endif
