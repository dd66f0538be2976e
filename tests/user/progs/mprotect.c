/*
 * mprotect: read-only, none and back keep the contents; one page in the
 * middle splits the mapping; errors: unaligned address, unknown
 * protection bits (EINVAL), unmapped or kernel-half ranges (ENOMEM).
 * (Linux changes the pages before a hole, then fails with ENOMEM; only
 * the error is checked: qemu-user 7.2 loops forever on a write there.)
 */
#include <utest.h>

#define PG U_PAGE_SIZE
#define RW (U_PROT_READ | U_PROT_WRITE)

/* A page of read-only data of the program itself. */
static const char rodata_page[2 * PG] __attribute__((aligned(PG))) = "the image's own bytes";

int main(void)
{
	char *p = ut_map(4 * PG, RW);

	if (!p)
		return ut_done();
	ut_fill(p, 4 * PG, 11);
	ut_ret("unaligned address", sys_mprotect(p + 1, PG, U_PROT_READ), -U_EINVAL);
	ut_ret("unknown protection bits", sys_mprotect(p, PG, 0x100), -U_EINVAL);
	ut_ret("zero length", sys_mprotect(p, 0, U_PROT_READ), 0);
	ut_ret("kernel-half range", sys_mprotect((void *)0xffffffc000000000UL, PG, U_PROT_READ),
	       -U_ENOMEM);
	ut_status("failed calls left the page writable", ut_probe(p, UT_WRITE), ut_exited(0));

	ut_ret("read-only", sys_mprotect(p, 4 * PG, U_PROT_READ), 0);
	ut_true("contents kept", ut_matches(p, 4 * PG, 11));
	ut_status("write to read-only", ut_probe(p + PG, UT_WRITE), ut_signaled(U_SIGSEGV));
	ut_ret("PROT_NONE", sys_mprotect(p, 4 * PG, U_PROT_NONE), 0);
	ut_status("read of PROT_NONE", ut_probe(p + 2 * PG, UT_READ), ut_signaled(U_SIGSEGV));
	ut_ret("back to read+write", sys_mprotect(p, 4 * PG, RW), 0);
	ut_true("contents kept through PROT_NONE", ut_matches(p, 4 * PG, 11));

	ut_ret("second page read-only", sys_mprotect(p + PG, PG, U_PROT_READ), 0);
	ut_status("write to the first page", ut_probe(p, UT_WRITE), ut_exited(0));
	ut_status("write to the second page", ut_probe(p + PG, UT_WRITE), ut_signaled(U_SIGSEGV));
	ut_status("write to the third page", ut_probe(p + 2 * PG, UT_WRITE), ut_exited(0));
	ut_ret("whole range read+write again", sys_mprotect(p, 4 * PG, RW), 0);
	ut_status("write to the second page again", ut_probe(p + PG, UT_WRITE), ut_exited(0));

	ut_ret("unmap the third page", sys_munmap(p + 2 * PG, PG), 0);
	ut_ret("range starting in the hole", sys_mprotect(p + 2 * PG, 2 * PG, U_PROT_READ),
	       -U_ENOMEM);
	ut_status("page after the hole unchanged", ut_probe(p + 3 * PG, UT_WRITE), ut_exited(0));
	ut_ret("range over the hole", sys_mprotect(p, 4 * PG, U_PROT_READ), -U_ENOMEM);
	ut_status("page after the hole unchanged", ut_probe(p + 3 * PG, UT_WRITE), ut_exited(0));
	ut_ret("range never mapped", sys_mprotect(p + 64 * PG, PG, U_PROT_READ), -U_ENOMEM);
	sys_munmap(p, 4 * PG);

	/* The program's own read-only data is a private mapping: it may be
	 * made writable, and the write is this process's alone. */
	char *ro = (char *)ut_hide((void *)rodata_page);
	ut_status("write to read-only data", ut_probe(ro, UT_WRITE), ut_signaled(U_SIGSEGV));
	ut_ret("read-only data made writable", sys_mprotect(ro, PG, RW), 0);
	ut_write8(ro, 'T');
	ut_true("and written", ut_read8(ro) == 'T' && ro[1] == 'h');
	ut_ret("and read-only again", sys_mprotect(ro, PG, U_PROT_READ), 0);
	return ut_done();
}
