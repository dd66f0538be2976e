/*
 * The spinlock kinds (<lib/spinlock_kinds.h>) with every CPU at once:
 * each excludes for real and knows its holder while others wait; and the
 * figures the kernel's choice rests on (docs/architecture.md, "Locking").
 *
 * A run: the CPUs take the same lock in a loop for a stretch of guest
 * time (RUN_CHECK_US, RUN_FIGURES_US); the critical section bumps a
 * sequence number and one word in each of CS_LINES shared cache lines,
 * and every 64th holder looks at the clock and, past the deadline, tells
 * the others to stop.  Guest time bounds a run whatever the lock does
 * (under QEMU -icount it is the instruction count, so runs there are
 * exact and repeat); no figure is a time.  Per run, a "spinlock-bench:"
 * line (gathered by `make bench-locks`), run=checked for the runs of the
 * exclusion cases (RUN_CHECK_US, checks in the critical section) and
 * run=plain for the figures' own (RUN_FIGURES_US, no checks):
 *  - insns_per_acq: instructions retired by all the CPUs of the run per
 *    acquisition, loops included, when the counter counts instructions
 *    (under QEMU only with -icount, where every CPU's counter reads one
 *    count shared by all: the figure is then the span of one CPU's
 *    counter over the run, start-up and wind-down included; with a
 *    counter per CPU, the sum of each CPU's span over its loop); "-"
 *    when it does not;
 *  - min_share / max_share: the fewest and most acquisitions one CPU
 *    made, in per mille of all (250 each is fair with 4 CPUs);
 *  - worst_wait: the most acquisitions by other CPUs between a CPU's
 *    request (a read of the sequence number just before it asks) and
 *    its grant, or the end of the run; excess_wait: per acquisition, the
 *    mean of what a wait had beyond ncpu - 1 others (a first-come-
 *    first-served lock has none, but for a CPU held up between its read
 *    and its request, which the host does to a CPU under QEMU without
 *    -icount).
 * The runs on 1 CPU give the loop's own cost, uncontended.
 */
#include <stdio.h>
#include <string.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/smp.h>
#include <boot/smp.h>
#include <lib/ktest.h>
#include <lib/spinlock.h>

#define RUN_CHECK_US   50000    /* guest time of a run that checks */
#define RUN_FIGURES_US 200000   /* of a run that gives the figures */
#define CS_LINES       4        /* shared cache lines the critical section writes */

enum kind { TAS, TICKET, MCS, NKINDS };
static const char *const kind_name[NKINDS] = { "tas", "ticket", "mcs" };

struct cpu_result {
	uint64_t acq;          /* acquisitions */
	uint64_t t0, t1;       /* the counter at loop start and end */
	uint64_t worst;        /* see worst_wait above */
	uint64_t excess;       /* see excess_wait above */
	uint64_t errors;       /* exclusion or holder checks that failed */
} __attribute__((aligned(64)));

struct arena {
	struct spin_tas tas __attribute__((aligned(64)));
	struct spin_ticket ticket __attribute__((aligned(64)));
	struct spin_mcs mcs __attribute__((aligned(64)));
	/* Under the lock. */
	uint64_t seq __attribute__((aligned(64)));   /* acquisitions so far */
	unsigned inside;                             /* CPUs in the critical section */
	int stop;                                    /* past the deadline */
	uint64_t line[CS_LINES][8] __attribute__((aligned(64)));
	/* Set before a run. */
	uint64_t deadline __attribute__((aligned(64)));   /* arch_time_us() */
	unsigned ncpu;
	int arrived __attribute__((aligned(64)));
	struct cpu_result cpu[CPU_MAX];
};

static struct arena arena;

/* Every CPU of the run waits here until all have arrived. */
static void meet(int *count, unsigned n)
{
	__atomic_fetch_add(count, 1, __ATOMIC_ACQ_REL);
	while ((unsigned)__atomic_load_n(count, __ATOMIC_ACQUIRE) < n)
		spin_relax();
}

/*
 * One CPU's loop over lock @K, with (CHECK) or without the exclusion and
 * holder checks in the critical section.  All inline, as the kernel's
 * locks are.
 */
#define CONTEND(K, CHECK)                                                           \
static void contend_##K##_##CHECK(void *arg)                                        \
{                                                                                   \
	struct arena *a = arg;                                                      \
	struct cpu_result *r = &a->cpu[cpu_num()];                                  \
	uint64_t acq = 0, worst = 0, excess = 0, errors = 0, n = a->ncpu;          \
                                                                                    \
	meet(&a->arrived, a->ncpu);                                                 \
	r->t0 = arch_insn_count();                                                  \
	for (;;) {                                                                  \
		uint64_t req = __atomic_load_n(&a->seq, __ATOMIC_RELAXED), s;       \
                                                                                    \
		spin_##K##_lock(&a->K);                                             \
		s = a->seq;                                                         \
		if (s - req > worst)                                                \
			worst = s - req;                                            \
		if (a->stop) {                                                      \
			spin_##K##_unlock(&a->K);                                   \
			break;                                                      \
		}                                                                   \
		if (CHECK && (a->inside++ || !spin_##K##_held_by_me(&a->K) ||      \
		              spin_##K##_owner(&a->K) != spin_self()))              \
			errors++;                                                   \
		__atomic_store_n(&a->seq, s + 1, __ATOMIC_RELAXED);                 \
		for (int i = 0; i < CS_LINES; i++)                                  \
			a->line[i][0]++;                                            \
		if (!(s & 63) && arch_time_us() >= a->deadline)                     \
			a->stop = 1;                                                \
		if (CHECK)                                                          \
			a->inside--;                                                \
		spin_##K##_unlock(&a->K);                                           \
		acq++;                                                              \
		if (s - req >= n)                                                   \
			excess += s - req - (n - 1);                                \
	}                                                                           \
	r->t1 = arch_insn_count();                                                  \
	r->acq = acq;                                                               \
	r->worst = worst;                                                           \
	r->excess = excess;                                                         \
	r->errors = errors;                                                         \
}

CONTEND(tas, 0)
CONTEND(tas, 1)
CONTEND(ticket, 0)
CONTEND(ticket, 1)
CONTEND(mcs, 0)
CONTEND(mcs, 1)

static void (*const contend_fn[NKINDS][2])(void *) = {
	{ contend_tas_0, contend_tas_1 },
	{ contend_ticket_0, contend_ticket_1 },
	{ contend_mcs_0, contend_mcs_1 },
};

/* ---- the counter ----------------------------------------------------------------- */

/* Exactly 2 * @n instructions (n >= 1): a count-down loop. */
static void known_loop(uint64_t n)
{
#if defined(ARCH_riscv64)
	__asm__ volatile("1: addi %0, %0, -1\n\tbnez %0, 1b" : "+r"(n));
#else
	__asm__ volatile("1: subs %0, %0, #1\n\tb.ne 1b" : "+r"(n) :: "cc");
#endif
}

/*
 * Whether this CPU's counter counts retired instructions: a loop of
 * 200000 must read 200000 and a few (QEMU without -icount has no such
 * counter: aarch64's INST_RETIRED reads nothing, riscv64's instret reads
 * the host's clock).
 */
static int counter_counts_instructions(void)
{
	uint64_t t0, t;

	t0 = arch_insn_count();
	known_loop(100000);
	t = (uint32_t)(arch_insn_count() - t0);
	return t >= 200000 && t < 200000 + 64;
}

static void counter_init(void *arg)
{
	int *ok = arg;

	if (arch_insn_counter_init())
		__atomic_store_n(ok, 0, __ATOMIC_RELAXED);
}

static void read_counter(void *arg)
{
	*(uint64_t *)arg = arch_insn_count();
}

/*
 * Whether CPU @peer's counter goes on while @peer sleeps in its idle loop
 * and this CPU runs 2000000 instructions: then every CPU reads one count
 * shared by all (QEMU -icount: its virtual instruction clock), not its
 * own.
 */
static int counter_is_shared(unsigned peer)
{
	uint64_t before, after;

	if (smp_call_on(peer, read_counter, &before))
		return 0;
	known_loop(1000000);
	if (smp_call_on(peer, read_counter, &after))
		return 0;
	return (uint32_t)(after - before) >= 2000000;
}

/* What the counters are, found once: started on every CPU, counting, shared. */
static struct {
	int probed, counted, shared;
} counter;

static void counter_probe(void)
{
	int ok = 1;

	if (counter.probed)
		return;
	counter.probed = 1;
	smp_run_everywhere(counter_init, &ok);
	counter.counted = ok && counter_counts_instructions();
	for (unsigned i = 1; counter.counted && i < cpu_count; i++)
		if (cpus[i].online) {
			counter.shared = counter_is_shared(i);
			break;
		}
	printf("spinlock-bench: the kernel's spinlock is %s; %s\n", SPINLOCK_KIND_NAME,
	       !counter.counted ? "the instruction counter does not count instructions here" :
	       counter.shared ? "instructions counted, one count shared by every CPU" :
	       "instructions counted, a counter per CPU (or one CPU online)");
}

/*
 * Under QEMU -icount the CPUs run in turn, each for a slice of about 10^8
 * instructions (QEMU's 100 ms round-robin kick, at 1 ns an instruction),
 * and a waiting CPU gives up its turn early only by a pause QEMU honours:
 * aarch64's YIELD is one, riscv64's PAUSE is not (QEMU 7.2), so there
 * every hand-over to a CPU that is not running costs whole slices and a
 * run with several CPUs outlasts any time limit.
 */
static int turns_without_yield(void)
{
	counter_probe();
#if defined(ARCH_riscv64)
	return counter.shared;
#else
	return 0;
#endif
}

/* ---- runs ------------------------------------------------------------------------ */

struct figures {
	unsigned ncpu;
	int check;             /* the run had the checks in its critical section */
	uint64_t acq, insns;   /* insns: 0 when not counted */
	uint64_t min_acq, max_acq, worst, excess, errors;
};

/*
 * Run kind @k on @ncpu online CPUs (this one and the next ones online)
 * for @us of guest time; @check adds the checks in the critical section.
 */
static void run(enum kind k, unsigned ncpu, int check, uint64_t us, struct figures *f)
{
	unsigned who[CPU_MAX], n = 0;
	struct smp_call calls[CPU_MAX];
	struct arena *a = &arena;
	void (*fn)(void *) = contend_fn[k][check];
	uint64_t t0, span;

	counter_probe();
	who[n++] = cpu_num();
	for (unsigned i = 0; i < cpu_count && n < ncpu; i++)
		if (i != cpu_num() && cpus[i].online)
			who[n++] = i;
	ASSERT_EQ_U(n, ncpu);
	memset(a, 0, sizeof(*a));
	spin_tas_init(&a->tas);
	spin_ticket_init(&a->ticket);
	spin_mcs_init(&a->mcs);
	a->ncpu = ncpu;
	a->deadline = arch_time_us() + us;
	t0 = arch_insn_count();
	for (unsigned i = 1; i < ncpu; i++)
		ASSERT_OK(smp_call_start(who[i], &calls[i], fn, a));
	fn(a);
	for (unsigned i = 1; i < ncpu; i++)
		smp_call_wait(&calls[i]);
	span = (uint32_t)(arch_insn_count() - t0);

	memset(f, 0, sizeof(*f));
	f->ncpu = ncpu;
	f->check = check;
	f->min_acq = ~0ull;
	uint64_t sum = 0;
	for (unsigned i = 0; i < ncpu; i++) {
		struct cpu_result *r = &a->cpu[who[i]];

		f->acq += r->acq;
		f->min_acq = r->acq < f->min_acq ? r->acq : f->min_acq;
		f->max_acq = r->acq > f->max_acq ? r->acq : f->max_acq;
		f->worst = r->worst > f->worst ? r->worst : f->worst;
		f->excess += r->excess;
		f->errors += r->errors;
		sum += (uint32_t)(r->t1 - r->t0);
	}
	/* A shared count: this CPU's span covers every CPU's instructions. */
	if (counter.counted)
		f->insns = counter.shared ? span : sum;

	uint64_t lines = 0;
	for (int i = 0; i < CS_LINES; i++)
		lines += a->line[i][0];
	EXPECT_TRUE(f->acq > 0);
	EXPECT_EQ_U(a->seq, f->acq);
	EXPECT_EQ_U(lines, (uint64_t)CS_LINES * f->acq);
	EXPECT_EQ_U(f->errors, 0);
}

static void print(enum kind k, const struct figures *f)
{
	char insns[32] = "-";

	if (f->insns)
		snprintf(insns, sizeof(insns), "%llu.%01llu",
		         (unsigned long long)(f->insns / f->acq),
		         (unsigned long long)(f->insns * 10 / f->acq % 10));
	printf("spinlock-bench: arch=%s cpus=%u kind=%s run=%s acq=%llu insns_per_acq=%s "
	       "min_share=%llu max_share=%llu worst_wait=%llu excess_wait=%llu.%03llu\n",
	       ARCH_NAME, f->ncpu, kind_name[k], f->check ? "checked" : "plain",
	       (unsigned long long)f->acq, insns,
	       (unsigned long long)(f->min_acq * 1000 / f->acq),
	       (unsigned long long)(f->max_acq * 1000 / f->acq),
	       (unsigned long long)f->worst, (unsigned long long)(f->excess / f->acq),
	       (unsigned long long)(f->excess * 1000 / f->acq % 1000));
}

static void excludes_every_cpu(enum kind k)
{
	struct figures f;
	unsigned n = smp_online();

	if (n < 2)
		ktest_skip("needs more than one CPU (boot with SMP=4)");
	if (turns_without_yield())
		ktest_skip("QEMU -icount on riscv64: a waiting CPU keeps its turn (see turns_without_yield())");
	run(k, n, 1, RUN_CHECK_US, &f);
	print(k, &f);
}

static void test_tas_excludes_every_cpu(void)
{
	excludes_every_cpu(TAS);
}

static void test_ticket_excludes_every_cpu(void)
{
	excludes_every_cpu(TICKET);
}

static void test_mcs_excludes_every_cpu(void)
{
	excludes_every_cpu(MCS);
}

/* The figures without the checks: one CPU, then every CPU, for each kind. */
static void test_contention_figures(void)
{
	struct figures f;

	for (enum kind k = 0; k < NKINDS; k++) {
		run(k, 1, 0, RUN_FIGURES_US, &f);
		print(k, &f);
		if (smp_online() > 1 && !turns_without_yield()) {
			run(k, smp_online(), 0, RUN_FIGURES_US, &f);
			print(k, &f);
		}
	}
}

KTEST_SUITE(spinlock_smp,
	KTEST_CASE(test_tas_excludes_every_cpu),
	KTEST_CASE(test_ticket_excludes_every_cpu),
	KTEST_CASE(test_mcs_excludes_every_cpu),
	KTEST_CASE(test_contention_figures));
