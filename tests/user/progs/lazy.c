/*
 * Lazy zero fill: a large anonymous mapping and a large bss read zero
 * everywhere, hold what is written on the pages touched (one in eight),
 * and the pages only read stay zero; a read-then-write page ends with the
 * write.
 */
#include <utest.h>

#define PG U_PAGE_SIZE
#define MAP_LEN (16UL << 20)

static char big_bss[1 << 20];

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
	return ut_done();
}
