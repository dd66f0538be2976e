/*
 * Seeded random system calls: `sysfuzz <seed> [steps]`.
 *
 * Each step is one of mmap (MAP_FIXED, or MAP_FIXED_NOREPLACE into free
 * pages), munmap, mprotect, madvise(MADV_DONTNEED), mremap (shrink, grow
 * in place, move to a fixed address, move anywhere), fork (the child
 * writes its own copy and checks it), brk, or a read or write of a word,
 * with valid and invalid arguments.  Everything happens inside a window
 * of WIN_PAGES pages at a fixed address (and the brk area), so addresses
 * are the same on every kernel and printed as page numbers.
 *
 * The program keeps its own model of the window: per page mapped or not,
 * protection, which mapping it came from, and its contents (a shadow
 * copy).  Every result is checked against the model's prediction; an
 * access the model says faults is made in a forked child, whose death by
 * SIGSEGV is the expected result, so the program itself never faults
 * when the kernel is right.  After each step it prints one line:
 *   <step> <op> <arguments> -> <result> sum=<checksum of readable memory>
 * and a FAIL line when the kernel disagreed with the model.
 *
 * Kept out, because qemu-user (Linux's side of the comparison) does not
 * do what Linux does there: NOREPLACE over mappings, zero-length
 * mprotect and mremap, madvise over holes, mprotect over holes starting
 * mapped (Linux changes the part before the hole; qemu hangs), reads
 * above a shrunk break.  Ranges are chosen so Linux's vma merging cannot
 * change a result: mremap takes pages of one mapping (an mmap, the part
 * an mprotect changed, the part an mremap added or moved), and
 * MREMAP_MAYMOVE only when the range cannot grow in place (qemu-user
 * always moves).
 */
#include <stdlib.h>
#include <string.h>

#include <utest.h>

#define PG        U_PAGE_SIZE
#define WIN_BASE  0x2000000000UL  /* 128 GiB: inside Sv39's user half */
#define WIN_PAGES 32
#define BRK_PAGES 16
#define WIN       ((char *)WIN_BASE)

struct page_model {
	uint8_t mapped;
	uint8_t prot;
	uint16_t id;  /* the mapping it came from (mmap or a move) */
};

static struct page_model model[WIN_PAGES];
static uint8_t shadow[WIN_PAGES][PG];
static uint8_t brk_shadow[BRK_PAGES][PG];
static char *brk0;
static unsigned int brk_pages;
static uint16_t next_id = 1;
static uint64_t rng;
static int step;

static const int prots[] = { U_PROT_NONE, U_PROT_READ, U_PROT_READ | U_PROT_WRITE,
			     U_PROT_READ | U_PROT_EXEC };
static const char *const prot_names[] = { "none", "r", "rw", "rx" };

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int pick(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

static int readable(unsigned int pg)
{
	return model[pg].mapped && (model[pg].prot & U_PROT_READ);
}

static int writable(unsigned int pg)
{
	return model[pg].mapped && (model[pg].prot & U_PROT_WRITE);
}

static uint32_t fnv(uint32_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Checksum of what is readable, from memory (real) or from the model. */
static uint32_t checksum(int real)
{
	uint32_t h = 2166136261u;

	for (unsigned int pg = 0; pg < WIN_PAGES; pg++) {
		if (!readable(pg))
			continue;
		h = fnv(h, (const uint8_t *)&pg, sizeof(pg));
		h = fnv(h, real ? (const uint8_t *)WIN + pg * PG : shadow[pg], PG);
	}
	for (unsigned int pg = 0; pg < brk_pages; pg++)
		h = fnv(h, real ? (const uint8_t *)brk0 + pg * PG : brk_shadow[pg], PG);
	return h;
}

/* A result for the step line: an errno name, "+<page>" in the window. */
static const char *res(long r)
{
	static char b[32];

	if (!sys_is_err(r) && r >= (long)WIN_BASE && r < (long)WIN_BASE + WIN_PAGES * (long)PG &&
	    (r & (PG - 1)) == 0) {
		snprintf(b, sizeof(b), "+%ld", (r - (long)WIN_BASE) / (long)PG);
		return b;
	}
	return ut_ret_str(r);
}

/* A disagreement, printed after the step's line. */
static char fails[512];

static void expect(const char *op, long got, long want)
{
	size_t len = strlen(fails);

	ut_checks++;
	if (got == want)
		return;
	ut_failed++;
	len += (size_t)snprintf(fails + len, sizeof(fails) - len, "FAIL step %d %s: got %s", step, op,
				res(got));
	snprintf(fails + len, sizeof(fails) - len, " want %s\n", res(want));
}

static void set_pages(unsigned int a, unsigned int n, int mapped, int prot, uint16_t id)
{
	for (unsigned int pg = a; pg < a + n; pg++) {
		model[pg].mapped = (uint8_t)mapped;
		model[pg].prot = (uint8_t)prot;
		model[pg].id = id;
		memset(shadow[pg], 0, PG);
	}
}

static int all_free(unsigned int a, unsigned int n)
{
	for (unsigned int pg = a; pg < a + n; pg++)
		if (model[pg].mapped)
			return 0;
	return 1;
}

/* A random range [*a, *a + *n) inside the window, 1..8 pages. */
static void range(unsigned int *a, unsigned int *n)
{
	*n = 1 + pick(8);
	*a = pick(WIN_PAGES - *n + 1);
}

static char *at(unsigned int pg)
{
	return WIN + pg * PG;
}

static void op_mmap(void)
{
	unsigned int a, n, pi = pick(4);
	int noreplace = pick(4) == 0, bad = pick(8);
	long r;

	range(&a, &n);
	if (bad == 0) {
		r = sys_mmap(at(a) + 8, n * PG, prots[pi], U_MAP_PRIVATE | U_MAP_ANONYMOUS | U_MAP_FIXED, -1, 0);
		printf("%d mmap +%u+8 %u %s fixed", step, a, n, prot_names[pi]);
		expect("mmap unaligned", r, -U_EINVAL);
	} else if (bad == 1) {
		r = sys_mmap(at(a), 0, prots[pi], U_MAP_PRIVATE | U_MAP_ANONYMOUS | U_MAP_FIXED, -1, 0);
		printf("%d mmap +%u 0 %s fixed", step, a, prot_names[pi]);
		expect("mmap zero length", r, -U_EINVAL);
	} else if (bad == 2) {
		r = sys_mmap(at(a), n * PG, prots[pi], U_MAP_ANONYMOUS | U_MAP_FIXED, -1, 0);
		printf("%d mmap +%u %u %s fixed-not-private", step, a, n, prot_names[pi]);
		expect("mmap neither private nor shared", r, -U_EINVAL);
	} else if (noreplace && all_free(a, n)) {
		r = sys_mmap(at(a), n * PG, prots[pi],
			     U_MAP_PRIVATE | U_MAP_ANONYMOUS | U_MAP_FIXED_NOREPLACE, -1, 0);
		printf("%d mmap +%u %u %s noreplace", step, a, n, prot_names[pi]);
		expect("mmap noreplace", r, (long)at(a));
		if (r == (long)at(a))
			set_pages(a, n, 1, prots[pi], next_id++);
	} else {
		r = sys_mmap(at(a), n * PG, prots[pi], U_MAP_PRIVATE | U_MAP_ANONYMOUS | U_MAP_FIXED, -1, 0);
		printf("%d mmap +%u %u %s fixed", step, a, n, prot_names[pi]);
		expect("mmap fixed", r, (long)at(a));
		if (r == (long)at(a))
			set_pages(a, n, 1, prots[pi], next_id++);
	}
	printf(" -> %s", res(r));
}

static void op_munmap(void)
{
	unsigned int a, n;
	int bad = pick(8);
	long r;

	range(&a, &n);
	if (bad == 0) {
		r = sys_munmap(at(a) + 16, n * PG);
		printf("%d munmap +%u+16 %u", step, a, n);
		expect("munmap unaligned", r, -U_EINVAL);
	} else if (bad == 1) {
		r = sys_munmap(at(a), 0);
		printf("%d munmap +%u 0", step, a);
		expect("munmap zero length", r, -U_EINVAL);
	} else {
		r = sys_munmap(at(a), n * PG);
		printf("%d munmap +%u %u", step, a, n);
		expect("munmap", r, 0);
		if (r == 0)
			set_pages(a, n, 0, 0, 0);
	}
	printf(" -> %s", res(r));
}

/* Clip [a, a + n) to the mapped run starting at a (none when a is free). */
static unsigned int mapped_run(unsigned int a, unsigned int n)
{
	unsigned int k = 0;

	while (k < n && model[a + k].mapped)
		k++;
	return k;
}

static void op_mprotect(void)
{
	unsigned int a, n, k, pi = pick(4);
	long r;

	range(&a, &n);
	k = mapped_run(a, n);
	if (pick(8) == 0) {
		r = sys_mprotect(at(a) + 8, PG, prots[pi]);
		printf("%d mprotect +%u+8 1 %s", step, a, prot_names[pi]);
		expect("mprotect unaligned", r, -U_EINVAL);
	} else if (k == 0) {
		r = sys_mprotect(at(a), n * PG, prots[pi]);
		printf("%d mprotect +%u %u %s", step, a, n, prot_names[pi]);
		expect("mprotect unmapped", r, -U_ENOMEM);
	} else {
		r = sys_mprotect(at(a), k * PG, prots[pi]);
		printf("%d mprotect +%u %u %s", step, a, k, prot_names[pi]);
		expect("mprotect", r, 0);
		if (r == 0) {
			/* Each mapping's part becomes a mapping of its own:
			 * Linux may not merge it with its neighbours. */
			uint16_t last = 0, id = 0;

			for (unsigned int pg = a; pg < a + k; pg++) {
				if (model[pg].id != last) {
					last = model[pg].id;
					id = next_id++;
				}
				model[pg].prot = (uint8_t)prots[pi];
				model[pg].id = id;
			}
		}
	}
	printf(" -> %s", res(r));
}

static void op_madvise(void)
{
	unsigned int a, n, k;
	long r;

	range(&a, &n);
	k = mapped_run(a, n);
	if (pick(8) == 0) {
		r = sys_madvise(at(a) + 8, PG, U_MADV_DONTNEED);
		printf("%d madvise +%u+8 1", step, a);
		expect("madvise unaligned", r, -U_EINVAL);
	} else if (k == 0) {
		printf("%d madvise none", step);
		r = 0;
	} else {
		r = sys_madvise(at(a), k * PG, U_MADV_DONTNEED);
		printf("%d madvise +%u %u", step, a, k);
		expect("madvise", r, 0);
		if (r == 0)
			for (unsigned int pg = a; pg < a + k; pg++)
				memset(shadow[pg], 0, PG);
	}
	printf(" -> %s", res(r));
}

/* Move the model's pages [a, a + n) to [t, t + m) (new id), zero-filling
 * beyond n, unmapping the source. */
static void model_move(unsigned int a, unsigned int n, unsigned int t, unsigned int m)
{
	static uint8_t tmp[8][PG];
	int prot = model[a].prot;
	uint16_t id = next_id++;

	for (unsigned int i = 0; i < n && i < m; i++)
		memcpy(tmp[i], shadow[a + i], PG);
	set_pages(a, n, 0, 0, 0);
	set_pages(t, m, 1, prot, id);
	for (unsigned int i = 0; i < n && i < m; i++)
		memcpy(shadow[t + i], tmp[i], PG);
}

static void op_mremap(void)
{
	unsigned int a = pick(WIN_PAGES), n = 1, m = 1 + pick(8), t;
	unsigned int kind = pick(4);
	long r;

	if (a + m > WIN_PAGES)  /* growing past the window could succeed */
		m = WIN_PAGES - a;

	if (!model[a].mapped) {
		r = sys_mremap(at(a), PG, 2 * PG, U_MREMAP_MAYMOVE, NULL);
		printf("%d mremap +%u 1 2 maymove", step, a);
		expect("mremap unmapped", r, -U_EFAULT);
		printf(" -> %s", res(r));
		return;
	}
	/* n pages of one mapping and one protection, up to 8. */
	while (n < 8 && a + n < WIN_PAGES && model[a + n].mapped && model[a + n].id == model[a].id &&
	       model[a + n].prot == model[a].prot)
		n++;
	n = 1 + pick(n);
	if (kind == 0 || m == n) {  /* in place: shrink or grow */
		int fits = m <= n || (a + m <= WIN_PAGES && all_free(a + n, m - n));

		r = sys_mremap(at(a), n * PG, m * PG, 0, NULL);
		printf("%d mremap +%u %u %u", step, a, n, m);
		expect("mremap in place", r, fits ? (long)at(a) : -U_ENOMEM);
		if (r == (long)at(a) && m < n)
			set_pages(a + m, n - m, 0, 0, 0);
		else if (r == (long)at(a) && m > n)
			set_pages(a + n, m - n, 1, model[a].prot, next_id++);
	} else if (kind == 1 || kind == 2) {  /* to a fixed address */
		t = pick(WIN_PAGES - m + 1);
		r = sys_mremap(at(a), n * PG, m * PG, U_MREMAP_MAYMOVE | U_MREMAP_FIXED, at(t));
		printf("%d mremap +%u %u %u fixed +%u", step, a, n, m, t);
		if (t < a + n && a < t + m) {
			expect("mremap fixed overlapping", r, -U_EINVAL);
		} else {
			expect("mremap fixed", r, (long)at(t));
			if (r == (long)at(t))
				model_move(a, n, t, m);
		}
	} else {  /* may move anywhere: out of the window when it cannot grow */
		int fits = m <= n || (a + m <= WIN_PAGES && all_free(a + n, m - n));

		if (fits) {  /* where Linux grows in place, qemu-user moves */
			printf("%d mremap none -> 0", step);
			return;
		}
		r = sys_mremap(at(a), n * PG, m * PG, U_MREMAP_MAYMOVE, NULL);
		printf("%d mremap +%u %u %u maymove", step, a, n, m);
		if (sys_is_err(r)) {
			expect("mremap maymove", r, 1);
		} else {
			/* Moved out: check what arrived, then let it go. */
			int same = 1;

			for (unsigned int i = 0; i < n && (model[a].prot & U_PROT_READ); i++)
				same &= memcmp((char *)r + i * PG, shadow[a + i], PG) == 0;
			expect("mremap maymove contents", same, 1);
			sys_munmap((void *)r, m * PG);
			set_pages(a, n, 0, 0, 0);
			printf(" -> moved");
			return;
		}
	}
	printf(" -> %s", res(r));
}

static void op_access(void)
{
	unsigned int pg = pick(WIN_PAGES), off = pick(PG / 8) * 8;
	int write = pick(2);
	uint64_t v = rnd();
	int st;

	if (write && writable(pg)) {
		ut_write64(at(pg) + off, v);
		memcpy(shadow[pg] + off, &v, 8);
		printf("%d write +%u:%u -> 0", step, pg, off);
	} else if (!write && readable(pg)) {
		uint64_t want;

		memcpy(&want, shadow[pg] + off, 8);
		printf("%d read +%u:%u", step, pg, off);
		expect("read", ut_read64(at(pg) + off) == want, 1);
		printf(" -> 0");
	} else {
		st = ut_probe(at(pg) + off, write ? UT_WRITE : UT_READ);
		printf("%d %s +%u:%u -> %s", step, write ? "write" : "read", pg, off, ut_status_str(st));
		expect("faulting access", st, ut_signaled(U_SIGSEGV));
	}
}

/* The child writes its copy of the writable pages and checks it all
 * against its copy of the model; exits 0 when everything matched. */
static void fork_child(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < 8; i++) {
		unsigned int pg = pick(WIN_PAGES), off = pick(PG / 8) * 8;
		uint64_t v = rnd();

		if (writable(pg)) {
			ut_write64(at(pg) + off, v);
			memcpy(shadow[pg] + off, &v, 8);
		}
	}
	sys_exit_group(checksum(1) == checksum(0) ? 0 : 1);
}

static void op_fork(void)
{
	int st = ut_child(fork_child, NULL);

	rnd();  /* the child's draws are its own; the parent moves on */
	printf("%d fork -> %s", step, ut_status_str(st));
	expect("fork child", st, ut_exited(0));
}

static void op_brk(void)
{
	unsigned int k = pick(BRK_PAGES + 1);
	long r;

	if (pick(8) == 0) {
		r = sys_brk(brk0 - PG);
		printf("%d brk -1", step);
		expect("brk below its start", r, (long)(brk0 + brk_pages * PG));
	} else {
		r = sys_brk(brk0 + k * PG);
		printf("%d brk %u", step, k);
		expect("brk", r, (long)(brk0 + k * PG));
		if (r == (long)(brk0 + k * PG)) {
			for (unsigned int pg = k; pg < brk_pages; pg++)
				memset(brk_shadow[pg], 0, PG);
			brk_pages = k;
		}
		if (brk_pages) {
			unsigned int pg = pick(brk_pages), off = pick(PG / 8) * 8;
			uint64_t v = rnd();

			ut_write64(brk0 + pg * PG + off, v);
			memcpy(brk_shadow[pg] + off, &v, 8);
		}
	}
	printf(" -> %ld", (r - (long)brk0) / (long)PG);
}

int main(int argc, char **argv)
{
	static void (*const ops[])(void) = {
		op_mmap, op_mmap, op_mmap, op_munmap, op_mprotect, op_mprotect, op_madvise,
		op_mremap, op_mremap, op_access, op_access, op_access, op_access, op_fork, op_brk,
	};
	long steps = argc > 2 ? atol(argv[2]) : 200;
	uint32_t sum;

	if (argc < 2) {
		printf("usage: sysfuzz <seed> [steps]\n");
		return 2;
	}
	rng = strtoull(argv[1], NULL, 0);
	brk0 = (char *)sys_brk(NULL);
	printf("sysfuzz seed %s steps %ld\n", argv[1], steps);
	expect("window free at start", sys_munmap(WIN, WIN_PAGES * PG), 0);
	printf("%s", fails);
	fails[0] = 0;
	for (step = 1; step <= steps; step++) {
		ops[pick(sizeof(ops) / sizeof(ops[0]))]();
		sum = checksum(1);
		expect("checksum", sum, checksum(0));
		printf(" sum=%08x\n%s", (unsigned int)sum, fails);
		fails[0] = 0;
	}
	sys_munmap(WIN, WIN_PAGES * PG);
	sys_brk(brk0);
	return ut_done();
}
