/*
 * User programs in user mode: every run of tests/user/runs.txt (embedded
 * with the programs), spread over every CPU, with its output printed for
 * tools/user_diff.py to compare with the same run under Linux; then the
 * kernel's own view: preemption of a spinning program, kills, a bad image
 * refused, every CPU used, every process reaped, and the invariants after
 * each process (aspace_check and the table audit, run as it exits).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arch/cpu.h>
#include <boot/smp.h>
#include <exec/fiber.h>
#include <boot/boot.h>
#include <lib/cmdline.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/heap.h>
#include <proc/proc.h>

extern const char *const user_run_table[];
extern const unsigned long user_run_count;

#define ARGS_MAX 16

struct run {
	char buf[256];
	char *argv[ARGS_MAX + 1];
	const struct user_prog *prog;
	struct session *s;
	int status;
};

/* Split "name arg ..." into @r's argv; its program, or NULL. */
static const struct user_prog *parse(struct run *r, const char *line)
{
	int n = 0;

	snprintf(r->buf, sizeof(r->buf), "%s", line);
	for (char *w = strtok(r->buf, " "); w && n < ARGS_MAX; w = strtok(NULL, " "))
		r->argv[n++] = w;
	r->argv[n] = NULL;
	return n ? user_prog_find(r->argv[0]) : NULL;
}

static void print_status(int status)
{
	if (status & 0x7f)
		printf("signal %d\n", status & 0x7f);
	else
		printf("exited %d\n", (status >> 8) & 0xff);
}

/* The run's output, framed for tools/user_diff.py. */
static void print_run(const struct run *r)
{
	const struct session *s = r->s;
	size_t at = 0;

	printf("# user: run");
	for (int i = 0; r->argv[i]; i++)
		printf(" %s", r->argv[i]);
	printf("\n");
	while (at < s->out_len) {
		const char *nl = memchr(s->out + at, '\n', s->out_len - at);
		size_t n = nl ? (size_t)(nl - (s->out + at)) : s->out_len - at;

		printf("# user| %.*s\n", (int)n, s->out + at);
		at += n + 1;
	}
	printf("# user: exit %s status=", r->argv[0]);
	print_status(r->status);
}

/* Online CPUs, in order. */
static unsigned online_cpus(unsigned *list)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cpu_count; i++)
		if (__atomic_load_n(&cpus[i].online, __ATOMIC_ACQUIRE))
			list[n++] = i;
	return n;
}

/*
 * Runs ("name arg ..." each), as many at once as there are CPUs (one
 * session per CPU), printed in order.  Each must end with status 0: its
 * own checks passed (the comparison with Linux is tools/user_diff.py's).
 */
static void run_all(const char *const *lines, unsigned long count)
{
	static struct run runs[CPU_MAX];
	unsigned list[CPU_MAX], ncpu = online_cpus(list);

	proc_check_on_exit = 1;
	for (unsigned long i = 0; i < count; i += ncpu) {
		unsigned batch = count - i < ncpu ? (unsigned)(count - i) : ncpu;

		for (unsigned k = 0; k < batch; k++) {
			struct run *r = &runs[k];

			r->s = NULL;
			r->prog = parse(r, lines[i + k]);
			EXPECT_NOT_NULL(r->prog);
			if (r->prog)
				EXPECT_OK(proc_spawn(r->prog, r->argv, NULL, list[k], 0, &r->s));
		}
		for (unsigned k = 0; k < batch; k++) {
			struct run *r = &runs[k];

			if (!r->s)
				continue;
			r->status = proc_session_wait(r->s);
			print_run(r);
			if (r->s->out_lost)
				ktest_log("%s: output lost (no memory)", r->argv[0]);
			EXPECT_EQ(r->s->check_failures, 0);
			EXPECT_EQ(r->status, 0);
			proc_session_free(r->s);
		}
	}
	proc_check_on_exit = 0;
	EXPECT_EQ(proc_count(), 0);
}

/* A checksum of every embedded program's image. */
static uint64_t images_sum(void)
{
	size_t n;
	const struct user_prog *p = user_progs(&n);
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		for (const unsigned char *b = p[i].start; b < p[i].end; b++)
			h = (h ^ *b) * 1099511628211ull;
	return h;
}

/*
 * Every run of tests/user/runs.txt.  The programs' segments map the
 * images' own frames (private copy-on-write, some made writable by the
 * programs): the images must come out unchanged.
 */
static void test_runs(void)
{
	uint64_t before = images_sum();

	run_all((const char *const *)user_run_table, user_run_count);
	EXPECT_EQ_U(images_sum(), before);
}

/*
 * The runs the command line names (urun=prog:arg:arg,prog...: make
 * fuzz-user's seeds for sysfuzz); skipped without it.
 */
static void test_cmdline_runs(void)
{
	static char value[1024], lines_buf[1024];
	static const char *lines[64];
	unsigned long n = 0;
	char *save = NULL;

	if (cmdline_find(boot_cmdline, "urun", value, sizeof(value)) <= 0)
		ktest_skip("no urun= on the command line");
	snprintf(lines_buf, sizeof(lines_buf), "%s", value);
	for (char *w = strtok_r(lines_buf, ",", &save); w && n < 64; w = strtok_r(NULL, ",", &save)) {
		for (char *c = w; *c; c++)
			if (*c == ':')
				*c = ' ';
		lines[n++] = w;
	}
	run_all(lines, n);
}

/*
 * Trampoline windows from user mode (tests/user/progs/utramp.c, arbor
 * only): its own checks, on this CPU and, forked, with the window's
 * metadata copied on write.
 */
static void test_user_trampolines(void)
{
	static const char *const line[] = { "utramp" };

	run_all(line, 1);
}

static const struct user_prog *prog(const char *name)
{
	const struct user_prog *p = user_prog_find(name);

	if (!p)
		ktest_skip("program not embedded");
	return p;
}

/*
 * A program that never makes a system call still gives the CPU up at
 * every tick: the test fiber, on the same CPU, gets to run again, and
 * kills it.
 */
static void test_preempt_and_kill(void)
{
	const struct user_prog *p = prog("spin");
	char *argv[] = { "spin", NULL };
	struct session *s;
	uint64_t t0 = cpus[cpu_num()].ticks;

	ASSERT_OK(proc_spawn(p, argv, NULL, cpu_num(), 0, &s));
	/* Without preemption the first yield would never come back. */
	while (cpus[cpu_num()].ticks < t0 + 3)
		fiber_yield();
	EXPECT_FALSE(__atomic_load_n(&s->done, __ATOMIC_ACQUIRE));
	EXPECT_GT(s->first->user_entries, 1);
	proc_kill(s->first, SIGKILL);
	EXPECT_EQ(proc_session_wait(s), W_SIGNALED(SIGKILL));
	proc_session_free(s);
	/* The kernel's thread-local data (picolibc's errno, strtok's state)
	 * is still this CPU's, not wherever the program's thread pointer
	 * (tp / TPIDR_EL0) pointed. */
	uintptr_t e = (uintptr_t)&errno, tls = (uintptr_t)this_cpu()->tls;
	EXPECT_TRUE(e >= tls && e < tls + CPU_TLS_SIZE);
}

/* The same from another CPU: the kill lands at that CPU's next tick. */
static void test_kill_elsewhere(void)
{
	const struct user_prog *p = prog("spin");
	char *argv[] = { "spin", NULL };
	unsigned list[CPU_MAX], n = online_cpus(list);
	struct session *s;

	if (n < 2)
		ktest_skip("one CPU");
	ASSERT_OK(proc_spawn(p, argv, NULL, list[n - 1], 0, &s));
	while (__atomic_load_n(&s->first->user_entries, __ATOMIC_RELAXED) < 2)
		fiber_yield();
	proc_kill(s->first, SIGKILL);
	EXPECT_EQ(proc_session_wait(s), W_SIGNALED(SIGKILL));
	proc_session_free(s);
}

/* Every CPU runs a process: each one's count of entries to user mode grows. */
static void test_every_cpu(void)
{
	const struct user_prog *p = prog("spin");
	char *argv[] = { "spin", NULL };
	unsigned list[CPU_MAX], n = online_cpus(list);
	struct session *s[CPU_MAX];

	for (unsigned k = 0; k < n; k++)
		ASSERT_OK(proc_spawn(p, argv, NULL, list[k], 0, &s[k]));
	for (unsigned k = 0; k < n; k++) {
		while (__atomic_load_n(&s[k]->first->user_entries, __ATOMIC_RELAXED) < 2)
			fiber_yield();
		EXPECT_EQ(s[k]->cpu, list[k]);
		proc_kill(s[k]->first, SIGKILL);
	}
	for (unsigned k = 0; k < n; k++) {
		EXPECT_EQ(proc_session_wait(s[k]), W_SIGNALED(SIGKILL));
		proc_session_free(s[k]);
	}
}

/* A copy of a real program's image, to break in one place. */
static unsigned char *image_copy(const struct user_prog *p, struct user_prog *out)
{
	size_t size = (size_t)(p->end - p->start);
	unsigned char *img = kmalloc(size, 0);

	if (!img)
		return NULL;
	memcpy(img, p->start, size);
	*out = (struct user_prog){ "broken", img, img + size };
	return img;
}

/* Images the loader must refuse, each with its error and nothing left behind. */
static void test_bad_images(void)
{
	const struct user_prog *good = prog("spin");
	char *argv[] = { "broken", NULL };
	struct user_prog bad;
	struct session *s = NULL;
	unsigned char *img = image_copy(good, &bad);
	uint64_t phoff;
	uint16_t phnum;

	ASSERT_NOT_NULL(img);
	memcpy(&phoff, img + 32, 8);
	memcpy(&phnum, img + 56, 2);

	img[0] = 0;                                  /* not ELF */
	EXPECT_EQ(proc_spawn(&bad, argv, NULL, cpu_num(), 0, &s), E_INVAL);
	img[0] = 0x7f;
	img[18] ^= 1;                                /* another machine */
	EXPECT_EQ(proc_spawn(&bad, argv, NULL, cpu_num(), 0, &s), E_INVAL);
	img[18] ^= 1;
	bad.end = bad.start + 40;                    /* truncated */
	EXPECT_EQ(proc_spawn(&bad, argv, NULL, cpu_num(), 0, &s), E_INVAL);
	bad.end = img + (good->end - good->start);
	for (unsigned i = 0; i < phnum; i++) {       /* a writable and executable segment */
		uint32_t type, flags;

		memcpy(&type, img + phoff + 56 * i, 4);
		memcpy(&flags, img + phoff + 56 * i + 4, 4);
		if (type == 1 && (flags & 1)) {
			flags |= 2;
			memcpy(img + phoff + 56 * i + 4, &flags, 4);
			break;
		}
	}
	EXPECT_EQ(proc_spawn(&bad, argv, NULL, cpu_num(), 0, &s), E_PERM);
	EXPECT_EQ(proc_spawn(good, argv, NULL, CPU_MAX, 0, &s), E_NOENT);
	EXPECT_NULL(s);
	EXPECT_EQ(proc_count(), 0);
	kfree(img);
}

KTEST_SUITE(proc,
	KTEST_CASE(test_runs),
	KTEST_CASE(test_cmdline_runs),
	KTEST_CASE(test_user_trampolines),
	KTEST_CASE(test_preempt_and_kill),
	KTEST_CASE(test_kill_elsewhere),
	KTEST_CASE(test_every_cpu),
	KTEST_CASE(test_bad_images),
);
