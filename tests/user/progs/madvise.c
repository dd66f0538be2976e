/*
 * madvise(MADV_DONTNEED) on private anonymous memory: the pages read zero
 * afterwards and stay mapped and writable, neighbours keep their
 * contents, a child's copy is dropped without touching the parent's;
 * errors: unaligned address, unknown advice (EINVAL), unmapped ranges
 * (ENOMEM, after dropping what is mapped, as Linux does).
 */
#include <utest.h>

#define PG U_PAGE_SIZE

static char *p;

static void child_drops(void *arg)
{
	(void)arg;
	if (sys_madvise(p, PG, U_MADV_DONTNEED) != 0 || !ut_is_zero(p, PG))
		sys_exit_group(1);
}

int main(void)
{
	p = ut_map(4 * PG, U_PROT_READ | U_PROT_WRITE);
	if (!p)
		return ut_done();
	ut_fill(p, 4 * PG, 5);
	ut_ret("unaligned address", sys_madvise(p + 1, PG, U_MADV_DONTNEED), -U_EINVAL);
	ut_ret("unknown advice", sys_madvise(p, PG, 999), -U_EINVAL);
	ut_ret("zero length", sys_madvise(p, 0, U_MADV_DONTNEED), 0);
	ut_true("failed calls dropped nothing", ut_matches(p, 4 * PG, 5));

	ut_ret("DONTNEED the second page", sys_madvise(p + PG, PG, U_MADV_DONTNEED), 0);
	ut_true("it reads zero", ut_is_zero(p + PG, PG));
	ut_true("first page kept", ut_matches(p, PG, 5));
	ut_true("third page kept", ut_read64(p + 2 * PG) == ((uint64_t *)p)[2 * PG / 8]);
	ut_write64(p + PG, 77);
	ut_eq("and is writable", (long)ut_read64(p + PG), 77);

	ut_status("a child's DONTNEED", ut_child(child_drops, NULL), ut_exited(0));
	ut_true("leaves the parent's copy", ut_matches(p, PG, 5));

	ut_ret("DONTNEED on PROT_NONE", sys_mprotect(p + 3 * PG, PG, U_PROT_NONE) ||
	       sys_madvise(p + 3 * PG, PG, U_MADV_DONTNEED), 0);
	sys_mprotect(p + 3 * PG, PG, U_PROT_READ);
	ut_true("PROT_NONE page dropped", ut_is_zero(p + 3 * PG, PG));

	ut_ret("unmap the third page", sys_munmap(p + 2 * PG, PG), 0);
	ut_ret("range never mapped", sys_madvise(p + 64 * PG, PG, U_MADV_DONTNEED), -U_ENOMEM);
	ut_fill(p, PG, 6);
	ut_ret("range over the hole", sys_madvise(p, 4 * PG, U_MADV_DONTNEED), -U_ENOMEM);
	ut_true("mapped page before the hole dropped (Linux)", ut_is_zero(p, PG));
	sys_munmap(p, 4 * PG);
	return ut_done();
}
