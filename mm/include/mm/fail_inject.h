/*
 * Allocation-failure injection.  The two slow paths every allocation of
 * mm/ ends in (alloc_slow() under page_alloc(), slab_alloc_slow() under
 * kmem_cache_alloc() and kmalloc()) ask alloc_fail_injected() first and
 * fail the allocation when it says so.  In the kernel it is the constant
 * 0 and costs nothing; the host tests (KTEST_HOST) provide it
 * (tests/testlib/host/fail_inject.c), which lets them fail the N-th allocation
 * of any kind, slab objects from a partial slab included.
 */
#ifndef MM_FAIL_INJECT_H
#define MM_FAIL_INJECT_H

#ifdef KTEST_HOST
int alloc_fail_injected(void);
#else
static inline int alloc_fail_injected(void)
{
	return 0;
}
#endif

#endif
