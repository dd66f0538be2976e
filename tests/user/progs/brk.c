/*
 * brk: the break starts above the image; it grows (zero-filled pages),
 * shrinks (the pages above it go), grows again (zero again), and refuses
 * to go below its start or absurdly high (it returns the break it kept).
 * Offsets are printed relative to the initial break, which Linux may
 * randomise.
 */
#include <string.h>

#include <utest.h>

extern char _end[];

#define PG U_PAGE_SIZE

int main(void)
{
	long b0 = sys_brk(NULL);
	char *b = (char *)b0;

	ut_true("initial break is above the image", b0 >= (long)_end);
	ut_true("initial break is page aligned", (b0 & (PG - 1)) == 0);
	ut_ret("brk(0) again", sys_brk(NULL) - b0, 0);
	ut_ret("grow by 3 pages", sys_brk(b + 3 * PG) - b0, 3 * PG);
	ut_true("grown pages are zero", ut_is_zero(b, 3 * PG));
	ut_fill(b, 3 * PG, 1);
	ut_true("grown pages hold what was written", ut_matches(b, 3 * PG, 1));
	ut_ret("shrink to 1 page + 100 bytes", sys_brk(b + PG + 100) - b0, PG + 100);
	ut_ret("brk(0) after the shrink", sys_brk(NULL) - b0, PG + 100);
	ut_true("page below the break kept", ut_matches(b, PG, 1));
	ut_status("read above the shrunk break", ut_probe(b + 2 * PG, UT_READ),
		  ut_signaled(U_SIGSEGV));
	ut_ret("grow back to 3 pages", sys_brk(b + 3 * PG) - b0, 3 * PG);
	ut_true("regrown page is zero", ut_is_zero(b + 2 * PG, PG));
	ut_true("first page still kept", ut_matches(b, PG, 1));
	ut_ret("brk below the start is refused", sys_brk(b - PG) - b0, 3 * PG);
	ut_ret("brk(1) is refused", sys_brk((void *)1) - b0, 3 * PG);
	ut_ret("brk 64 TiB up is refused", sys_brk(b + (1UL << 46)) - b0, 3 * PG);
	ut_ret("brk into the kernel half is refused", sys_brk((void *)0xffffffc000000000UL) - b0,
	       3 * PG);
	ut_ret("shrink to the start", sys_brk(b) - b0, 0);
	ut_status("read at the start after shrinking to it", ut_probe(b, UT_READ),
		  ut_signaled(U_SIGSEGV));
	return ut_done();
}
