/*
 * mremap of private anonymous memory: grow in place when the pages after
 * are free (contents kept, new pages zero), refuse (ENOMEM) when they are
 * not, move with MREMAP_MAYMOVE (the old range is gone), move to a given
 * address with MREMAP_FIXED, shrink (the tail is gone); errors:
 * unaligned address, zero new length, FIXED without MAYMOVE, unknown
 * flags, an overlapping or unaligned FIXED target (EINVAL), an old range
 * not mapped or longer than its mapping (EFAULT).
 */
#include <utest.h>

#define PG U_PAGE_SIZE
#define RW (U_PROT_READ | U_PROT_WRITE)

static long remap(void *old, size_t old_len, size_t new_len, int flags, void *to)
{
	return sys_mremap(old, old_len, new_len, flags, to);
}

int main(void)
{
	char *p = ut_map(4 * PG, RW), *q;
	long r;

	if (!p)
		return ut_done();
	ut_ret("free the last 3 pages", sys_munmap(p + PG, 3 * PG), 0);
	ut_fill(p, PG, 21);
	r = remap(p, PG, 3 * PG, 0, NULL);
	ut_true("grow in place returns the same address", r == (long)p);
	ut_true("contents kept", ut_matches(p, PG, 21));
	ut_true("new pages zero", ut_is_zero(p + PG, 2 * PG));
	ut_true("same size returns the same address", remap(p, 3 * PG, 3 * PG, 0, NULL) == (long)p);

	q = ut_map(2 * PG, RW);
	ut_fill(q, 2 * PG, 22);
	ut_ret("grow blocked by the next page", remap(q, PG, 2 * PG, 0, NULL), -U_ENOMEM);
	r = remap(q, PG, 3 * PG, U_MREMAP_MAYMOVE, NULL);
	ut_true("grow with MAYMOVE moves", !sys_is_err(r) && r != (long)q);
	if (!sys_is_err(r)) {
		ut_true("moved contents kept", ut_matches((void *)r, PG, 22));
		ut_true("moved tail zero", ut_is_zero((char *)r + PG, 2 * PG));
		ut_status("old address gone", ut_probe(q, UT_READ), ut_signaled(U_SIGSEGV));
		ut_true("second page stays", ut_read64(q + PG) == ((uint64_t *)(void *)q)[PG / 8]);
		sys_munmap((void *)r, 3 * PG);
	}

	ut_ret("shrink 3 pages to 2", remap(p, 3 * PG, 2 * PG, 0, NULL) - (long)p, 0);
	ut_status("shrunk tail gone", ut_probe(p + 2 * PG, UT_READ), ut_signaled(U_SIGSEGV));
	ut_true("head kept", ut_matches(p, PG, 21));

	ut_ret("unaligned address", remap(p + 1, PG, 2 * PG, 0, NULL), -U_EINVAL);
	ut_ret("zero new length", remap(p, PG, 0, 0, NULL), -U_EINVAL);
	ut_ret("FIXED without MAYMOVE", remap(p, PG, PG, U_MREMAP_FIXED, q), -U_EINVAL);
	ut_ret("unknown flags", remap(p, PG, PG, 0x100, NULL), -U_EINVAL);
	ut_ret("FIXED target overlapping the old range",
	       remap(p, 2 * PG, 2 * PG, U_MREMAP_MAYMOVE | U_MREMAP_FIXED, p + PG), -U_EINVAL);
	ut_ret("FIXED unaligned target",
	       remap(p, PG, PG, U_MREMAP_MAYMOVE | U_MREMAP_FIXED, q + 1), -U_EINVAL);
	ut_ret("old range not mapped", remap(p + 2 * PG, PG, 2 * PG, U_MREMAP_MAYMOVE, NULL),
	       -U_EFAULT);
	ut_ret("old range past the mapping", remap(p, 3 * PG, 4 * PG, U_MREMAP_MAYMOVE, NULL),
	       -U_EFAULT);

	r = remap(p, 2 * PG, 2 * PG, U_MREMAP_MAYMOVE | U_MREMAP_FIXED, q);
	ut_true("MREMAP_FIXED moves to the target", r == (long)q);
	ut_true("FIXED move kept the contents", ut_matches(q, PG, 21) && ut_is_zero(q + PG, PG));
	ut_status("FIXED move left the old range unmapped", ut_probe(p, UT_READ),
		  ut_signaled(U_SIGSEGV));
	r = remap(q, 2 * PG, 3 * PG, U_MREMAP_MAYMOVE, NULL);
	ut_true("and it can grow again", !sys_is_err(r));
	if (!sys_is_err(r)) {
		ut_true("contents still kept", ut_matches((void *)r, PG, 21));
		sys_munmap((void *)r, 3 * PG);
	}
	return ut_done();
}
