/* Test-side view of the host's user-copy loops (arch/fake/fake_usercopy.c). */
#ifndef TESTS_HOST_FAKE_USERCOPY_H
#define TESTS_HOST_FAKE_USERCOPY_H

#include <stddef.h>
#include <stdint.h>
#include <mm/aspace.h>

/* Whether user access is open on this thread (between arch_user_access_begin and _end). */
int fake_user_access_open(void);

/* Faults the copy loops have raised since the program started, on every CPU. */
uint64_t fake_usercopy_faults(void);

/* What the last run of a copy loop on this thread did. */
struct fake_copy {
	uint64_t seq;                /* copy loops run since the program started */
	size_t copied;               /* bytes copied before it returned */
	int stopped;                 /* at a fault it could not resolve: */
	uintptr_t fault_addr;        /* its address */
	enum fault_result fault;     /* and its result */
};
const struct fake_copy *fake_usercopy_last(void);

/*
 * The loop's user load, user store and a decoy listed in its exception
 * table, and the fixup each has there.
 */
void fake_usercopy_pcs(uintptr_t pc[3], uintptr_t fixup[3]);

#endif
