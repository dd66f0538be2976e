/*
 * Self-checks for user programs.  Every check prints one line,
 *   "ok <what>: <value>"  or  "FAIL <what>: got <value> want <value>",
 * with system-call results named ("EINVAL", "0", "4096") and wait statuses
 * spelt "exited N" / "signal S".  ut_done() prints "done N checks, F failed"
 * and gives main's exit status, so a run on Linux alone is a real test and
 * the lines compare line for line between kernels (tools/user_diff.py).
 * Nothing printed may depend on where the kernel put things: print
 * offsets and booleans, never addresses.
 */
#ifndef UTEST_H
#define UTEST_H

#include <stdint.h>
#include <stdio.h>

#include <usys.h>

/* Check a system-call result (negative errno or value) against want. */
void ut_ret(const char *what, long got, long want);
/* Check a plain number. */
void ut_eq(const char *what, long got, long want);
/* Check a truth. */
void ut_true(const char *what, int cond);
/* Check a wait status against a wanted one (ut_exited(), ut_signaled()). */
void ut_status(const char *what, int status, int want);
#define ut_exited(code)  (((code) & 0xff) << 8)
#define ut_signaled(sig) ((sig) & 0x7f)

/* "EINVAL" for a negative errno, the decimal value otherwise. */
const char *ut_ret_str(long r);
/* "exited N", "signal S" (the core-dump bit ignored), or "status 0x..". */
const char *ut_status_str(int status);

/* Run fn(arg) in a forked child, which exits 0 when fn returns; wait for
 * it and return its wait status (-1 and a FAIL line if fork or wait4
 * failed). */
int ut_child(void (*fn)(void *), void *arg);
/* A child's raw wait status for pid, -errno on failure. */
int ut_wait(long pid);

/* Print "done N checks, F failed"; the exit status for main: 0 or 1. */
int ut_done(void);

/* The check counters (a child's checks are its own). */
extern int ut_checks, ut_failed;

/* An access the compiler must emit as written, through a pointer it
 * cannot reason about (a NULL or kernel address is not UB to it). */
static inline void *ut_hide(void *p)
{
	__asm__ volatile("" : "+r"(p));
	return p;
}
static inline unsigned char ut_read8(const void *p)
{
	return *(volatile const unsigned char *)ut_hide((void *)p);
}
static inline void ut_write8(void *p, unsigned char v)
{
	*(volatile unsigned char *)ut_hide(p) = v;
}
static inline uint64_t ut_read64(const void *p)
{
	return *(volatile const uint64_t *)ut_hide((void *)p);
}
static inline void ut_write64(void *p, uint64_t v)
{
	*(volatile uint64_t *)ut_hide(p) = v;
}

/* The wait status of a child that read, wrote (one byte) or called addr:
 * "exited 0" when the access worked. */
enum ut_access { UT_READ, UT_WRITE, UT_EXEC };
int ut_probe(void *addr, enum ut_access kind);

/* mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS): the mapping, or
 * NULL after a FAIL line. */
void *ut_map(size_t len, int prot);

/* Write a function `long f(void) { return 42; }` at p (8 bytes); the
 * caller makes the page executable before calling it. */
void ut_put_ret42(void *p);

/* Fill/check a page range with a pattern seeded by seed. */
void ut_fill(void *p, size_t len, uint32_t seed);
int ut_matches(const void *p, size_t len, uint32_t seed);
int ut_is_zero(const void *p, size_t len);

#endif
