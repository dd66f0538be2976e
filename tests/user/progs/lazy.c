/*
 * Lazy zero fill: a large anonymous mapping and a large bss read zero
 * everywhere, hold what is written on the pages touched (one in eight),
 * and the pages only read stay zero; a read-then-write page ends with the
 * write.  Pages only read may all show one shared zero page: writes after
 * mprotect, madvise(DONTNEED) and fork must each get a page of their own
 * and leave every other page reading zero.
 */
#include <utest.h>

#define PG U_PAGE_SIZE
#define MAP_LEN (16UL << 20)

static char big_bss[1 << 20];

static char *zp;

static void child_of_zero(void *arg)
{
	(void)arg;
	ut_eq("child: a page the parent only read is zero", (long)ut_read64(zp), 0);
	ut_write64(zp, 21);
	ut_eq("child: its write", (long)ut_read64(zp), 21);
	ut_eq("child: the next page still zero", (long)ut_read64(zp + PG), 0);
}

/* Pages only read, then written in every way that must break the sharing. */
static void only_read_then_written(void)
{
	zp = ut_map(4 * PG, U_PROT_READ | U_PROT_WRITE);
	if (!zp)
		return;
	for (int i = 0; i < 4; i++)
		ut_eq("a page only read", (long)ut_read64(zp + i * PG), 0);
	ut_status("a fork writes a page only read", ut_child(child_of_zero, NULL), ut_exited(0));
	ut_eq("parent: still zero after the child's write", (long)ut_read64(zp), 0);
	ut_write64(zp + PG, 7);
	ut_eq("parent: its own write", (long)ut_read64(zp + PG), 7);
	ut_eq("parent: the page before unchanged", (long)ut_read64(zp), 0);
	ut_ret("mprotect read-only", sys_mprotect(zp + 2 * PG, 2 * PG, U_PROT_READ), 0);
	ut_eq("read while read-only", (long)ut_read64(zp + 2 * PG), 0);
	ut_ret("mprotect writable again", sys_mprotect(zp + 2 * PG, 2 * PG, U_PROT_READ | U_PROT_WRITE), 0);
	ut_write64(zp + 2 * PG, 9);
	ut_eq("write after mprotect", (long)ut_read64(zp + 2 * PG), 9);
	ut_eq("its neighbour still zero", (long)ut_read64(zp + 3 * PG), 0);
	ut_ret("madvise DONTNEED", sys_madvise(zp, 4 * PG, U_MADV_DONTNEED), 0);
	ut_true("all four pages zero again", ut_is_zero(zp, 4 * PG));
	ut_write64(zp + 3 * PG, 11);
	ut_eq("write after DONTNEED", (long)ut_read64(zp + 3 * PG), 11);
	ut_ret("munmap", sys_munmap(zp, 4 * PG), 0);
}

int main(void)
{
	char *p = ut_map(MAP_LEN, U_PROT_READ | U_PROT_WRITE);
	int zero = 1, kept = 1;

	if (!p)
		return ut_done();
	for (unsigned long off = 0; off < MAP_LEN; off += 8 * PG)
		ut_write64(p + off + 8, off);
	for (unsigned long off = 0; off < MAP_LEN; off += PG) {
		if (off % (8 * PG) == 0)
			kept &= ut_read64(p + off + 8) == off && ut_read64(p + off) == 0;
		else
			zero &= ut_read64(p + off + 16) == 0;
	}
	ut_true("16 MiB mapping: written pages hold their words", kept);
	ut_true("16 MiB mapping: pages only read are zero", zero);
	ut_true("a written page is zero elsewhere", ut_is_zero(p + 8 * PG + 16, PG - 16));
	ut_eq("read of a fresh page", (long)ut_read64(p + PG), 0);
	ut_write64(p + PG, 5);
	ut_eq("then write", (long)ut_read64(p + PG), 5);
	ut_true("1 MiB bss is zero", ut_is_zero(big_bss, sizeof(big_bss)));
	for (unsigned long off = 0; off < sizeof(big_bss); off += 4 * PG)
		big_bss[off] = 1;
	zero = 1;
	for (unsigned long off = 0; off < sizeof(big_bss); off += PG)
		zero &= big_bss[off] == (off % (4 * PG) == 0);
	ut_true("bss pages written and read back", zero);
	ut_ret("munmap 16 MiB", sys_munmap(p, MAP_LEN), 0);
	only_read_then_written();
	return ut_done();
}
