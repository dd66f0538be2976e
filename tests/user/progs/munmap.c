/*
 * munmap: whole, partial (a hole in the middle faults, the rest keeps its
 * contents), over holes and never-mapped ranges (0), an unaligned length
 * rounded up to pages; and its errors: unaligned address, zero length,
 * ranges in the kernel half or wrapping (EINVAL).
 */
#include <utest.h>

#define PG U_PAGE_SIZE

int main(void)
{
	char *p = ut_map(4 * PG, U_PROT_READ | U_PROT_WRITE);

	if (!p)
		return ut_done();
	ut_fill(p, 4 * PG, 9);
	ut_ret("unaligned address", sys_munmap(p + 1, PG), -U_EINVAL);
	ut_ret("zero length", sys_munmap(p, 0), -U_EINVAL);
	ut_ret("kernel-half address", sys_munmap((void *)0xffffffc000000000UL, PG), -U_EINVAL);
	ut_ret("range that wraps", sys_munmap(p, (size_t)-PG), -U_EINVAL);
	ut_true("failed calls unmapped nothing", ut_matches(p, 4 * PG, 9));

	ut_ret("unmap the second page", sys_munmap(p + PG, PG), 0);
	ut_status("read of the hole", ut_probe(p + PG, UT_READ), ut_signaled(U_SIGSEGV));
	ut_true("first page kept", ut_matches(p, PG, 9));
	ut_true("third and fourth pages kept", ut_read64(p + 3 * PG + 8) == ((uint64_t *)p)[3 * PG / 8 + 1]);
	ut_ret("unmap the hole again", sys_munmap(p + PG, PG), 0);
	ut_ret("unmap 1 byte of the fourth page (rounded up)", sys_munmap(p + 3 * PG, 1), 0);
	ut_status("read of the fourth page", ut_probe(p + 3 * PG, UT_READ), ut_signaled(U_SIGSEGV));
	ut_ret("unmap across holes", sys_munmap(p, 4 * PG), 0);
	ut_status("read of the first page", ut_probe(p, UT_READ), ut_signaled(U_SIGSEGV));
	ut_status("read of the third page", ut_probe(p + 2 * PG, UT_READ), ut_signaled(U_SIGSEGV));
	ut_ret("unmap a range never mapped", sys_munmap(p, 64 * PG), 0);
	return ut_done();
}
