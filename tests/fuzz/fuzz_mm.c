/*
 * libFuzzer harness over the address-space model driver
 * (tests/mm/aspace_model_host.c): each input is a sequence of choices
 * (map fixed/anywhere/no-replace/phys, unmap, protect, fork, destroy,
 * switch, faults, user copies both ways and strncpy_from_user, and
 * injected allocation failures) applied to the real aspaces and to the
 * model, compared after every step.  Built by `make fuzz` with clang
 * -fsanitize=fuzzer,address,undefined over the same sources as ktest-host.
 *
 * Each input runs as a ktest case (the driver reports through EXPECT and
 * ASSERT) with its KTAP output kept in a scratch file; when the case
 * fails, that output is copied to stderr and the harness aborts, so
 * libFuzzer saves the input as a crash.  The number of operations applied
 * is printed every million and at exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <lib/ktest.h>
#include "model_driver.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *input;
static size_t input_len;
static FILE *quiet;                 /* the scratch file for one input's KTAP */

static void fuzz_one(void)
{
	model_run_bytes(input, input_len);
}

static const struct ktest_case fuzz_cases[] = { KTEST_CASE(fuzz_one) };
static const struct ktest_suite fuzz_suite = { "fuzz_mm", fuzz_cases, 1 };

static void print_ops(void)
{
	/* With -jobs, the parent process runs no input: it has nothing to say. */
	if (!model_ops)
		return;
	fprintf(stderr, "fuzz_mm: %llu operations\n", (unsigned long long)model_ops);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	quiet = tmpfile();
	if (!quiet)
		abort();
	atexit(print_ops);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[4096];
	size_t n;

	static uint64_t next_report = 1000000;

	if (model_ops >= next_report) {
		print_ops();
		next_report = model_ops + 1000000;
	}
	input = data;
	input_len = size;
	rewind(quiet);
	if (ftruncate(fileno(quiet), 0))
		abort();
	stdout = quiet;
	if (!ktest_run_suite(&fuzz_suite))
		return 0;
	fflush(quiet);
	rewind(quiet);
	while ((n = fread(buf, 1, sizeof(buf), quiet)) > 0)
		fwrite(buf, 1, n, stderr);
	fflush(stderr);
	abort();
}
