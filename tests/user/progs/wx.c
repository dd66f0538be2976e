/*
 * Writable and executable at once: Linux grants it (mmap and mprotect
 * return 0), arbor refuses it (W^X) with EACCES; tests/user/divergences.txt
 * lists the difference.  The lines here print what the kernel said; the
 * checks are what both agree on: read+exec and read+write alone work, and
 * a refused call leaves the mapping as it was.
 */
#include <utest.h>

#define PG U_PAGE_SIZE
#define WX (U_PROT_READ | U_PROT_WRITE | U_PROT_EXEC)

int main(void)
{
	char *p = ut_map(PG, U_PROT_READ | U_PROT_WRITE);
	long r;

	r = sys_mmap(NULL, PG, WX, U_MAP_PRIVATE | U_MAP_ANONYMOUS, -1, 0);
	printf("wx: mmap read+write+exec: %s\n", sys_is_err(r) ? ut_ret_str(r) : "mapped");
	if (!sys_is_err(r))
		sys_munmap((void *)r, PG);
	r = sys_mmap(NULL, PG, U_PROT_WRITE | U_PROT_EXEC, U_MAP_PRIVATE | U_MAP_ANONYMOUS, -1, 0);
	printf("wx: mmap write+exec: %s\n", sys_is_err(r) ? ut_ret_str(r) : "mapped");
	if (!sys_is_err(r))
		sys_munmap((void *)r, PG);
	if (!p)
		return ut_done();
	ut_put_ret42(p);
	r = sys_mprotect(p, PG, WX);
	printf("wx: mprotect read+write+exec: %s\n", ut_ret_str(r));
	ut_ret("mprotect read+exec", sys_mprotect(p, PG, U_PROT_READ | U_PROT_EXEC), 0);
	ut_eq("code runs", ((long (*)(void))(void *)p)(), 42);
	ut_status("and is not writable", ut_probe(p, UT_WRITE), ut_signaled(U_SIGSEGV));
	r = sys_mprotect(p, PG, WX);
	printf("wx: mprotect read+exec to read+write+exec: %s\n", ut_ret_str(r));
	ut_ret("back to read+write", sys_mprotect(p, PG, U_PROT_READ | U_PROT_WRITE), 0);
	ut_status("writable again", ut_probe(p, UT_WRITE), ut_exited(0));
	return ut_done();
}
