/*
 * The differential model driver of test_aspace_model.c, for the seed
 * corpus replay and the libFuzzer harness (tests/fuzz/fuzz_mm.c).
 */
#ifndef TESTS_HOST_MODEL_DRIVER_H
#define TESTS_HOST_MODEL_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Run one model test whose choices are the bytes of @buf (fresh fixture,
 * operations until the bytes run out, full teardown).  Must run inside a
 * ktest case: a divergence, a failed check or a leak fails that case.
 */
void model_run_bytes(const uint8_t *buf, size_t len);

/* Operations (steps) applied by the driver so far, over all runs. */
extern uint64_t model_ops;

#endif
