/*
 * mmap of anonymous memory: private mappings zero-filled and page
 * aligned, MAP_FIXED replacing what was there, MAP_FIXED_NOREPLACE
 * refusing (EEXIST), PROT_NONE and PROT_READ enforced, code in an
 * executable mapping, and the argument checks: zero length, unaligned
 * fixed address or offset, neither private nor shared (EINVAL), a file
 * mapping without a file (EBADF), lengths no address space holds and
 * ranges in the kernel half (ENOMEM).
 */
#include <string.h>

#include <utest.h>

#define PG U_PAGE_SIZE
#define RW (U_PROT_READ | U_PROT_WRITE)
#define PA (U_MAP_PRIVATE | U_MAP_ANONYMOUS)

static long map_at(void *addr, size_t len, int prot, int flags)
{
	return sys_mmap(addr, len, prot, flags, -1, 0);
}

static void fixed_and_noreplace(void)
{
	char *p = ut_map(4 * PG, RW);
	long r;

	if (!p)
		return;
	ut_fill(p, 4 * PG, 7);
	r = map_at(p + PG, PG, RW, PA | U_MAP_FIXED);
	ut_true("MAP_FIXED returns the address asked for", r == (long)(p + PG));
	ut_true("MAP_FIXED page is zero", ut_is_zero(p + PG, PG));
	ut_true("pages around MAP_FIXED kept", ut_matches(p, PG, 7) &&
		ut_read8(p + 2 * PG) == ((unsigned char *)p)[2 * PG]);
	r = map_at(p + 2 * PG, PG, RW, PA | U_MAP_FIXED_NOREPLACE);
	ut_ret("MAP_FIXED_NOREPLACE over a mapping", r, -U_EEXIST);
	ut_ret("munmap the last page", sys_munmap(p + 3 * PG, PG), 0);
	r = map_at(p + 2 * PG, 2 * PG, RW, PA | U_MAP_FIXED_NOREPLACE);
	ut_ret("MAP_FIXED_NOREPLACE over a partly mapped range", r, -U_EEXIST);
	r = map_at(p + 3 * PG, PG, RW, PA | U_MAP_FIXED_NOREPLACE);
	ut_true("MAP_FIXED_NOREPLACE into a hole returns it", r == (long)(p + 3 * PG));
	ut_true("MAP_FIXED_NOREPLACE page is zero", ut_is_zero(p + 3 * PG, PG));
	r = map_at(p + 2 * PG, 2 * PG, U_PROT_READ, PA | U_MAP_FIXED);
	ut_true("MAP_FIXED over two mappings", r == (long)(p + 2 * PG));
	ut_status("write to the read-only replacement", ut_probe(p + 2 * PG, UT_WRITE),
		  ut_signaled(U_SIGSEGV));
	ut_ret("munmap all", sys_munmap(p, 4 * PG), 0);
}

static void argument_checks(void)
{
	char *p = ut_map(PG, RW);

	ut_ret("zero length", map_at(NULL, 0, RW, PA), -U_EINVAL);
	ut_ret("zero length, fixed", map_at(p, 0, RW, PA | U_MAP_FIXED), -U_EINVAL);
	ut_ret("unaligned fixed address", map_at(p + 8, PG, RW, PA | U_MAP_FIXED), -U_EINVAL);
	ut_ret("neither private nor shared", map_at(NULL, PG, RW, U_MAP_ANONYMOUS), -U_EINVAL);
	ut_ret("unaligned offset", sys_mmap(NULL, PG, RW, PA, -1, 100), -U_EINVAL);
	ut_ret("file mapping without a file", map_at(NULL, PG, RW, U_MAP_PRIVATE), -U_EBADF);
	ut_ret("length 2^62", map_at(NULL, 1UL << 62, RW, PA), -U_ENOMEM);
	ut_ret("length that overflows when rounded", map_at(NULL, (size_t)-1, RW, PA), -U_ENOMEM);
	ut_ret("length 2^64 - page", map_at(NULL, (size_t)-PG, RW, PA), -U_ENOMEM);
	ut_ret("fixed in the kernel half",
	       map_at((void *)0xffffffc000000000UL, PG, RW, PA | U_MAP_FIXED), -U_ENOMEM);
	ut_true("nothing above changed the page", p && ut_read8(p) == 0);
	sys_munmap(p, PG);
}

int main(void)
{
	char *p = ut_map(3 * PG, RW);
	char *q;
	long r, distinct = 1;
	static char *many[64];

	ut_true("mapping is page aligned", p && ((long)p & (PG - 1)) == 0);
	ut_true("anonymous memory is zero", p && ut_is_zero(p, 3 * PG));
	ut_fill(p, 3 * PG, 3);
	ut_true("and holds what is written", ut_matches(p, 3 * PG, 3));
	ut_ret("munmap", sys_munmap(p, 3 * PG), 0);

	fixed_and_noreplace();
	argument_checks();

	q = ut_map(PG, U_PROT_NONE);
	ut_status("read of PROT_NONE", ut_probe(q, UT_READ), ut_signaled(U_SIGSEGV));
	ut_status("write to PROT_NONE", ut_probe(q, UT_WRITE), ut_signaled(U_SIGSEGV));
	sys_munmap(q, PG);
	q = ut_map(PG, U_PROT_READ);
	ut_true("PROT_READ page reads zero", q && ut_read8(q + 100) == 0);
	ut_status("write to PROT_READ", ut_probe(q, UT_WRITE), ut_signaled(U_SIGSEGV));
	ut_status("exec of PROT_READ", ut_probe(q, UT_EXEC), ut_signaled(U_SIGSEGV));
	sys_munmap(q, PG);

	q = ut_map(PG, RW);
	ut_put_ret42(q);
	ut_ret("mprotect code page to read+exec", sys_mprotect(q, PG, U_PROT_READ | U_PROT_EXEC), 0);
	ut_eq("call code in a read+exec mapping", ((long (*)(void))q)(), 42);
	sys_munmap(q, PG);

	for (int i = 0; i < 64; i++) {
		r = map_at(NULL, PG, RW, PA);
		many[i] = sys_is_err(r) ? NULL : (char *)r;
		if (many[i])
			*many[i] = (char)i;
	}
	for (int i = 0; i < 64; i++)
		for (int j = 0; j < i; j++)
			if (!many[i] || many[i] == many[j] || *many[i] != (char)i)
				distinct = 0;
	ut_true("64 one-page mappings, distinct, each its own", distinct);
	for (int i = 0; i < 64; i++)
		if (many[i] && sys_munmap(many[i], PG) != 0)
			distinct = 0;
	ut_true("and all unmapped", distinct);
	return ut_done();
}
