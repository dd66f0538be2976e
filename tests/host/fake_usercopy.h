/* Test-side view of the host's user-copy loops (tests/host/fake_usercopy.c). */
#ifndef TESTS_HOST_FAKE_USERCOPY_H
#define TESTS_HOST_FAKE_USERCOPY_H

#include <stddef.h>
#include <stdint.h>

/* Whether user access is open (between arch_user_access_begin and _end). */
int fake_user_access_open(void);

/* Faults the copy loops have raised since the program started. */
uint64_t fake_usercopy_faults(void);

/*
 * Bytes the last copy loop copied before it returned (all of them, or
 * those before the page it could not fault in).
 */
size_t fake_usercopy_last_copied(void);

#endif
