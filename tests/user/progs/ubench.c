/*
 * User-mode benchmarks.  Every count includes everything an operation
 * costs: the trap, the kernel's work, the return.  Not a run of
 * runs.txt: counts differ between kernels by design.
 *
 *   ubench <op> [pages]
 *	one operation, counted with the retired-instruction counter (the
 *	kernel lets user mode read it while benchmarks run); prints
 *	"ubench <op> <instructions>".  tests/proc/bench_user.c runs it once
 *	per repetition (bench cases user_*).
 *
 *   ubench [ops] [grow] [big] [vct] [init]
 *	many repetitions in one process, the median printed per figure:
 *	  ops   the operations above, each with its own repetition count:
 *	        "ubench-ops arch=<a> op=<op> size=<pages> insns=<n> reps=<r> clock=<c>"
 *	  grow  how cost grows: a fault with 10, 1,000 (and 100,000) vareas
 *	        in the address space, a read and a write at the bottom of a
 *	        fork chain 1, 10 and 50 deep, fork and munmap of 1, 100,
 *	        10,000 (and 100,000) pages, with 4 KiB pages and in 2 MiB
 *	        aligned ranges Linux backs with 2 MiB blocks (MADV_HUGEPAGE):
 *	        "ubench-grow arch=<a> op=<op> size=<n> insns=<n> reps=<r> clock=<c>"
 *	  big   the sizes in parentheses too (memory: 1 GiB)
 *	  vct   count with the virtual counter CNTVCT_EL0 (aarch64) rather
 *	        than the instruction counter: Linux lets user mode read it,
 *	        not the PMU.  Under QEMU -icount shift=0 one instruction is
 *	        one nanosecond, so ticks * 1e9 / CNTFRQ_EL0 is instructions,
 *	        to 1e9 / CNTFRQ_EL0 (16 on QEMU 7.2's virt); the figure is
 *	        the mean of the repetitions within one tick of the median
 *	        (interrupts excluded, the tick's rounding averaged out).
 *	  init  run as Linux's /init (make bench-linux): mount /proc, let
 *	        an address space have 100,000+ vareas, power off at the end.
 *	The empty measurement (two counter reads) is subtracted.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <usys.h>
#include <utramp.h>

#define PROT_RW (U_PROT_READ | U_PROT_WRITE)
#define ANON (U_MAP_PRIVATE | U_MAP_ANONYMOUS)
#define BLOCK (2UL << 20)
#define BLOCK_PAGES (BLOCK / U_PAGE_SIZE)
/* Linux's THP advice (asm-generic/mman-common.h); arbor refuses both (EINVAL). */
#define U_MADV_HUGEPAGE   14
#define U_MADV_NOHUGEPAGE 15

#if defined(__riscv)
#define ARCH "riscv64"
#else
#define ARCH "aarch64"
#endif

static int vct;

static inline unsigned long count(void)
{
	unsigned long v;
#if defined(__riscv)
	__asm__ volatile("rdinstret %0" : "=r"(v) :: "memory");
#else
	if (vct)
		__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v) :: "memory");
	else
		__asm__ volatile("isb\n\tmrs %0, pmevcntr0_el0" : "=r"(v) :: "memory");
#endif
	return v;
}

/* counter units between two reads (the PMU's event counter is 32 bits) */
static inline unsigned long since(unsigned long t0)
{
	unsigned long t = count() - t0;

	return vct ? t : (unsigned)t;
}

/* Counter ticks per second; 0 for the instruction counter. */
static unsigned long freq(void)
{
#if defined(__riscv)
	return 0;
#else
	unsigned long f;

	if (!vct)
		return 0;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
	return f;
#endif
}

static void die(const char *what, long r)
{
	printf("ubench: %s failed (%ld)\n", what, r);
	u_exit(2);
}

/* @pages of anonymous memory; with @blocks 2 MiB aligned and advised to
 * be 2 MiB blocks, else advised to stay 4 KiB pages (Linux's THP is on
 * for every mapping in Debian's kernel). */
static char *map_blocks(unsigned long pages, int blocks)
{
	unsigned long len = pages * U_PAGE_SIZE, extra = blocks ? BLOCK : 0;
	long r = sys_mmap(NULL, len + extra, PROT_RW, ANON, -1, 0);
	unsigned long a;

	if (sys_is_err(r))
		die("mmap", r);
	a = (unsigned long)r;
	if (blocks) {
		unsigned long al = (a + BLOCK - 1) & ~(BLOCK - 1);

		if (al > a)
			sys_munmap((void *)a, al - a);
		if (al + len < a + len + extra)
			sys_munmap((void *)(al + len), a + len + extra - (al + len));
		a = al;
	}
	sys_madvise((void *)a, len, blocks ? U_MADV_HUGEPAGE : U_MADV_NOHUGEPAGE);
	return (char *)a;
}

static char *map(unsigned long pages)
{
	return map_blocks(pages, 0);
}

static void unmap(volatile char *p, unsigned long pages)
{
	sys_munmap((void *)p, pages * U_PAGE_SIZE);
}

static void touch(char *p, unsigned long pages)
{
	for (unsigned long i = 0; i < pages; i++)
		((volatile char *)p)[i * U_PAGE_SIZE] = 1;
}

static void reap(long pid)
{
	int st;

	if (pid < 0 || sys_wait4(pid, &st, 0, NULL) != pid || st != 0)
		die("fork or wait", pid);
}

/* ---- one operation each, in counter units ---------------------------------- */

static unsigned long op_empty(unsigned long pages)
{
	unsigned long t0 = count();

	return since(t0);
}

static unsigned long op_null_syscall(unsigned long pages)
{
	unsigned long t0 = count();

	sys_getpid();
	return since(t0);
}

static unsigned long op_zero_fill_fault(unsigned long pages)
{
	volatile char *p = map(1);
	unsigned long t0 = count(), n;

	p[0] = 1;
	n = since(t0);
	unmap(p, 1);
	return n;
}

static unsigned long op_read_fault(unsigned long pages)
{
	volatile char *p = map(1);
	unsigned long t0 = count(), n;

	(void)p[0];
	n = since(t0);
	unmap(p, 1);
	return n;
}

/* Write to a page shared with a child that has not run yet (cow), or
 * to one whose child has exited already (last holder). */
static unsigned long cow(int last_holder)
{
	volatile char *p = map(2);
	unsigned long t0, n;
	long pid;

	touch((char *)p, 2);
	pid = sys_clone(U_SIGCHLD, NULL);
	if (pid == 0)
		sys_exit(0);
	if (!last_holder) {
		t0 = count();
		p[0] = 2;
		n = since(t0);
		reap(pid);
	} else {
		reap(pid);
		t0 = count();
		p[U_PAGE_SIZE] = 2;
		n = since(t0);
	}
	unmap(p, 2);
	return n;
}

static unsigned long op_cow_fault(unsigned long pages)
{
	return cow(0);
}

static unsigned long op_last_holder_write(unsigned long pages)
{
	return cow(1);
}

static unsigned long fork_of(unsigned long pages, int blocks)
{
	char *p = map_blocks(pages, blocks);
	unsigned long t0, n;
	long pid;

	touch(p, pages);
	t0 = count();
	pid = sys_clone(U_SIGCHLD, NULL);
	if (pid == 0)
		sys_exit(0);
	n = since(t0);
	reap(pid);
	unmap(p, pages);
	return n;
}

static unsigned long op_fork(unsigned long pages)
{
	return fork_of(pages, 0);
}

static unsigned long op_fork_2m(unsigned long pages)
{
	return fork_of(pages, 1);
}

static unsigned long op_mmap_munmap(unsigned long pages)
{
	unsigned long t0 = count(), n;
	long r = sys_mmap(NULL, U_PAGE_SIZE, PROT_RW, ANON, -1, 0);

	sys_munmap((void *)r, U_PAGE_SIZE);
	n = since(t0);
	if (sys_is_err(r))
		die("mmap", r);
	return n;
}

static unsigned long munmap_of(unsigned long pages, int blocks)
{
	char *p = map_blocks(pages, blocks);
	unsigned long t0;

	touch(p, pages);
	t0 = count();
	sys_munmap(p, pages * U_PAGE_SIZE);
	return since(t0);
}

static unsigned long op_munmap_populated(unsigned long pages)
{
	return munmap_of(pages, 0);
}

static unsigned long op_munmap_2m(unsigned long pages)
{
	return munmap_of(pages, 1);
}

/*
 * A call through a trampoline (arbor only: <utramp.h>), and the direct
 * call of its target with the same arguments (its bound).
 */
static __attribute__((noinline)) long tramp_target(long ctx, long a)
{
	return ctx + a;
}

static unsigned long op_tramp_call(unsigned long pages)
{
	static struct utramp_window w;
	static long (*t)(long);
	unsigned long t0;

	(void)pages;
	if (!w.base) {
		long r = utramp_map(&w);

		if (r)
			die("arbor_tramp_window", r);
		t = (long (*)(long))utramp_create(&w, (void *)tramp_target, (void *)1);
	}
	t0 = count();
	t(2);
	return since(t0);
}

static unsigned long op_direct_call(unsigned long pages)
{
	long (*volatile direct)(long, long) = tramp_target;
	unsigned long t0;

	(void)pages;
	t0 = count();
	direct(1, 2);
	return since(t0);
}

static const struct op {
	const char *name;
	unsigned long (*fn)(unsigned long pages);
} ops[] = {
	{ "null_syscall", op_null_syscall },
	{ "zero_fill_fault", op_zero_fill_fault },
	{ "read_fault", op_read_fault },
	{ "cow_fault", op_cow_fault },
	{ "last_holder_write", op_last_holder_write },
	{ "fork", op_fork },
	{ "mmap_munmap", op_mmap_munmap },
	{ "munmap_populated", op_munmap_populated },
	{ "fork_2m", op_fork_2m },
	{ "munmap_2m", op_munmap_2m },
	{ "tramp_call", op_tramp_call },
	{ "direct_call", op_direct_call },
};

static const struct op *find_op(const char *name)
{
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(ops[i].name, name))
			return &ops[i];
	return NULL;
}

/* ---- medians ----------------------------------------------------------------- */

#define REPS_MAX 101

static unsigned long empty_insns;

static int cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* The figure of @n samples in instructions (see the top of the file). */
static unsigned long figure(unsigned long *v, unsigned n)
{
	unsigned long f = freq(), med, sum = 0, cnt = 0, insns;

	qsort(v, n, sizeof(*v), cmp_ul);
	med = v[n / 2];
	if (!f)
		insns = med;
	else {
		for (unsigned i = 0; i < n; i++)
			if (v[i] + 1 >= med && v[i] <= med + 1) {
				sum += v[i];
				cnt++;
			}
		insns = (sum * 1000000000UL + cnt * f / 2) / (cnt * f);
	}
	return insns > empty_insns ? insns - empty_insns : 0;
}

static const char *clock_name(void)
{
	return vct ? "vct" : "insn";
}

static void print(const char *set, const char *op, unsigned long size, unsigned long insns,
                  unsigned reps)
{
	printf("ubench-%s arch=%s op=%s size=%lu insns=%lu reps=%u clock=%s\n", set, ARCH, op,
	       size, insns, reps, clock_name());
}

static void run_op(const char *set, const char *name, unsigned long pages, unsigned reps)
{
	const struct op *o = find_op(name);
	unsigned long v[REPS_MAX];

	for (unsigned i = 0; i < reps; i++)
		v[i] = o->fn(pages);
	print(set, name, pages, figure(v, reps), reps);
}

/* ---- how cost grows ------------------------------------------------------------ */

#define SAMPLES 11

/*
 * A write fault on an untouched page with about @n vareas in the
 * address space: a PROT_NONE reservation with n / 2 read-write holes of
 * 4 pages made by mprotect (so n / 2 + 1 PROT_NONE vareas around them),
 * then a write to an untouched page of SAMPLES holes spread over it.
 * The hole's last page is written first, unmeasured: the page tables
 * the fault needs exist, so the figure is the fault's, not the cost of
 * new tables (which the holes' spread would otherwise add at large n).
 */
static void grow_vareas(unsigned long n)
{
	unsigned long holes = n / 2, stride = 5, pages = holes * stride + 1, v[SAMPLES];
	long r = sys_mmap(NULL, pages * U_PAGE_SIZE, U_PROT_NONE, ANON, -1, 0);
	char *base;

	if (sys_is_err(r))
		die("mmap", r);
	base = (char *)r;
	sys_madvise(base, pages * U_PAGE_SIZE, U_MADV_NOHUGEPAGE);
	for (unsigned long i = 0; i < holes; i++) {
		long e = sys_mprotect(base + (i * stride + 1) * U_PAGE_SIZE, 4 * U_PAGE_SIZE, PROT_RW);
		if (e)
			die("mprotect", e);
	}
	for (unsigned s = 0; s < SAMPLES; s++) {
		/* sample s: hole s * holes / SAMPLES, page s % 3 of it */
		unsigned long hole = s * holes / SAMPLES;
		volatile char *p = base + (hole * stride + 1 + s % 3) * U_PAGE_SIZE;
		unsigned long t0;

		base[(hole * stride + 4) * U_PAGE_SIZE] = 1;
		t0 = count();

		*p = 1;
		v[s] = since(t0);
	}
	print("grow", "fault_vareas", n, figure(v, SAMPLES), SAMPLES);
	sys_munmap(base, pages * U_PAGE_SIZE);
}

/*
 * A read and a write at the bottom of a fork chain @depth deep: the top
 * writes 2 * SAMPLES pages, each process forks the next and waits for
 * it; the bottom reads SAMPLES pages (checking what the top wrote) and
 * writes the other SAMPLES.
 */
static void chain(char *p, unsigned long depth, unsigned long left)
{
	unsigned long rd[SAMPLES], wr[SAMPLES];

	if (left) {
		long pid = sys_clone(U_SIGCHLD, NULL);

		if (pid == 0) {
			chain(p, depth, left - 1);
			u_exit(0);
		}
		reap(pid);
		return;
	}
	for (unsigned s = 0; s < SAMPLES; s++) {
		volatile char *q = p + s * U_PAGE_SIZE;
		unsigned long t0 = count();
		char c = *q;

		rd[s] = since(t0);
		if (c != (char)(s + 1))
			die("chain read", c);
	}
	for (unsigned s = 0; s < SAMPLES; s++) {
		volatile char *q = p + (SAMPLES + s) * U_PAGE_SIZE;
		unsigned long t0 = count();

		*q = 0;
		wr[s] = since(t0);
	}
	print("grow", "chain_read", depth, figure(rd, SAMPLES), SAMPLES);
	print("grow", "chain_cow", depth, figure(wr, SAMPLES), SAMPLES);
	fflush(stdout);
}

static void grow_chain(unsigned long depth)
{
	char *p = map(2 * SAMPLES);

	for (unsigned s = 0; s < 2 * SAMPLES; s++)
		p[s * U_PAGE_SIZE] = (char)(s + 1);
	chain(p, depth, depth);
	unmap(p, 2 * SAMPLES);
}

static void grow(int big)
{
	static const unsigned long vareas[] = { 10, 1000, 100000 };
	static const unsigned long depths[] = { 1, 10, 50 };
	static const unsigned long pages[] = { 1, 100, 10000, 100000 };
	static const unsigned long blocks[] = { 1, 20, 200 };   /* x 512 pages */
	unsigned nv = big ? 3 : 2, np = big ? 4 : 3, nb = big ? 3 : 2;

	for (unsigned i = 0; i < nv; i++)
		grow_vareas(vareas[i]);
	for (unsigned i = 0; i < 3; i++)
		grow_chain(depths[i]);
	for (unsigned i = 0; i < np; i++) {
		unsigned reps = pages[i] >= 10000 ? 3 : 11;

		run_op("grow", "fork", pages[i], reps);
		run_op("grow", "munmap_populated", pages[i], reps);
	}
	for (unsigned i = 0; i < nb; i++) {
		unsigned reps = blocks[i] >= 20 ? 3 : 11;

		run_op("grow", "fork_2m", blocks[i] * BLOCK_PAGES, reps);
		run_op("grow", "munmap_2m", blocks[i] * BLOCK_PAGES, reps);
	}
}

/* ---- as Linux's /init ------------------------------------------------------------ */

static void init_setup(void)
{
	static const char n[] = "300000\n";
	long fd;

	sys_mkdirat(U_AT_FDCWD, "/proc", 0555);
	sys_mount("proc", "/proc", "proc", 0, NULL);
	fd = sys_openat(U_AT_FDCWD, "/proc/sys/vm/max_map_count", U_O_WRONLY, 0);
	if (fd < 0 || sys_write((int)fd, n, sizeof(n) - 1) != sizeof(n) - 1)
		printf("ubench: cannot raise vm.max_map_count (%ld)\n", fd);
	if (fd >= 0)
		sys_close((int)fd);
}

int main(int argc, char **argv)
{
	int do_ops = 0, do_grow = 0, big = 0, init = 0;
	const struct op *o;
	unsigned long v[REPS_MAX];

	if (argc > 1 && (o = find_op(argv[1]))) {
		unsigned long pages = argc > 2 ? strtoul(argv[2], NULL, 0) : 1;

		printf("ubench %s %lu\n", o->name, o->fn(pages));
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "ops"))
			do_ops = 1;
		else if (!strcmp(argv[i], "grow"))
			do_grow = 1;
		else if (!strcmp(argv[i], "big"))
			big = 1;
		else if (!strcmp(argv[i], "vct"))
			vct = 1;
		else if (!strcmp(argv[i], "init"))
			init = 1;
		else {
			printf("ubench: unknown operation '%s'\n", argv[i]);
			return 1;
		}
	}
	if (init)
		init_setup();
	for (unsigned i = 0; i < REPS_MAX; i++)
		v[i] = op_empty(0);
	empty_insns = figure(v, REPS_MAX);
	printf("ubench-empty insns=%lu clock=%s freq=%lu\n", empty_insns, clock_name(), freq());
	if (do_ops) {
		run_op("ops", "null_syscall", 1, 101);
		run_op("ops", "zero_fill_fault", 1, 101);
		run_op("ops", "read_fault", 1, 101);
		run_op("ops", "cow_fault", 1, 31);
		run_op("ops", "last_holder_write", 1, 31);
		run_op("ops", "fork", 1, 31);
		run_op("ops", "fork", 10000, 5);
		run_op("ops", "mmap_munmap", 1, 101);
		run_op("ops", "munmap_populated", 1000, 11);
	}
	if (do_grow)
		grow(big);
	printf("ubench-done\n");
	fflush(stdout);
	if (init)
		sys_reboot(U_LINUX_REBOOT_MAGIC1, U_LINUX_REBOOT_MAGIC2, U_LINUX_REBOOT_CMD_POWER_OFF);
	return 0;
}
