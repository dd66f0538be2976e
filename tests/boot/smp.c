/*
 * Every CPU: the ones the device tree lists are online, each knows
 * itself, calls reach the CPU they name, and a spinlock excludes for
 * real when every CPU takes it at once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arch/cpu.h>
#include <arch/smp.h>
#include <boot/boot.h>
#include <boot/smp.h>
#include <exec/fiber.h>
#include <lib/err.h>
#include <lib/fdt.h>
#include <lib/ktest.h>
#include <lib/spinlock.h>

static void need_cpus(unsigned n)
{
	if (smp_online() < n)
		ktest_skip("needs more than one CPU (boot with SMP=4)");
}

/*
 * CPU nodes of the device tree (device_type "cpu", status okay).  On the
 * QEMU virt boards every one is usable, so all must be online.
 */
static unsigned cpu_nodes(void)
{
	int parent = fdt_path_offset(&boot_fdt, "/cpus");
	unsigned n = 0;

	for (int c = fdt_first_child(&boot_fdt, parent); c >= 0; c = fdt_next_sibling(&boot_fdt, c)) {
		const char *type = fdt_getprop_str(&boot_fdt, c, "device_type");
		const char *status = fdt_getprop_str(&boot_fdt, c, "status");

		n += type && !strcmp(type, "cpu") && (!status || !strcmp(status, "okay"));
	}
	return n;
}

static void test_every_cpu_of_the_device_tree_is_online(void)
{
	unsigned nodes = cpu_nodes();

	EXPECT_EQ_U(smp_online(), nodes < CPU_MAX ? nodes : CPU_MAX);
	EXPECT_EQ_U(smp_online(), cpu_count);
}

static void test_boot_cpu_is_cpu_0(void)
{
	EXPECT_EQ_U(cpu_num(), 0);
	EXPECT_TRUE(this_cpu() == &cpus[0]);
}

static void test_hardware_ids_are_distinct(void)
{
	for (unsigned i = 0; i < cpu_count; i++)
		for (unsigned j = i + 1; j < cpu_count; j++)
			EXPECT_TRUE(cpus[i].hwid != cpus[j].hwid);
}

struct whoami {
	unsigned num;
	struct cpu *self;
	uint64_t hwid;
	const char *fiber;
};

static void whoami(void *arg)
{
	struct whoami *w = arg;

	w->num = cpu_num();
	w->self = this_cpu();
	w->hwid = this_cpu()->hwid;
	w->fiber = fiber_name(fiber_self());
}

static void test_a_call_runs_on_the_cpu_it_names(void)
{
	need_cpus(2);
	for (unsigned i = 0; i < cpu_count; i++) {
		struct whoami w = { .num = 99 };
		char name[16];


		ASSERT_OK(smp_call_on(i, whoami, &w));
		EXPECT_EQ_U(w.num, i);
		EXPECT_TRUE(w.self == &cpus[i]);
		EXPECT_EQ_U(w.hwid, cpus[i].hwid);
		/* Another CPU runs it in its idle loop, on its boot fiber; this
		 * one, right here, on the case's fiber. */
		snprintf(name, sizeof(name), "cpu%u", i);
		EXPECT_STREQ(w.fiber, i ? name : fiber_name(fiber_self()));
	}
	EXPECT_EQ(smp_call_on(CPU_MAX, whoami, NULL), E_NOENT);
}

static int ticks[CPU_MAX];

static void count_once(void *arg)
{
	(void)arg;
	__atomic_fetch_add(&ticks[cpu_num()], 1, __ATOMIC_RELAXED);
}

/* Many calls in a row to each CPU in turn: none lost, none run twice. */
static void test_calls_in_a_row_each_run_once(void)
{
	need_cpus(2);
	memset(ticks, 0, sizeof(ticks));
	for (unsigned round = 0; round < 200; round++)
		for (unsigned i = 1; i < cpu_count; i++)
			ASSERT_OK(smp_call_on(i, count_once, NULL));
	for (unsigned i = 1; i < cpu_count; i++)
		EXPECT_EQ(ticks[i], 200);
	EXPECT_EQ(ticks[0], 0);
}

/* errno is thread-local: each CPU has its own. */
static void set_errno(void *arg)
{
	(void)arg;
	errno = 1000 + (int)cpu_num();
}

static int errno_of[CPU_MAX];

static void read_errno(void *arg)
{
	(void)arg;
	errno_of[cpu_num()] = errno;
}

static void test_each_cpu_has_its_own_errno(void)
{
	need_cpus(2);
	smp_run_everywhere(set_errno, NULL);
	smp_run_everywhere(read_errno, NULL);
	for (unsigned i = 0; i < cpu_count; i++)
		EXPECT_EQ(errno_of[i], 1000 + (int)i);
	errno = 0;
}

#define LOCK_ROUNDS 20000

static struct spinlock counter_lock = SPINLOCK_INIT;
static volatile unsigned long counter;   /* a plain read-modify-write, under the lock */

static void add_under_lock(void *arg)
{
	(void)arg;
	for (int i = 0; i < LOCK_ROUNDS; i++) {
		spin_lock(&counter_lock);
		counter = counter + 1;
		spin_unlock(&counter_lock);
	}
}

static void test_spinlock_excludes_every_cpu(void)
{
	need_cpus(2);
	counter = 0;
	int n = smp_run_everywhere(add_under_lock, NULL);
	EXPECT_EQ_U(n, cpu_count);
	EXPECT_EQ_U(counter, (unsigned long)n * LOCK_ROUNDS);
	EXPECT_FALSE(spin_is_held(&counter_lock));
}

/* Every CPU's tick runs: 100 Hz, so 60 ms give each several. */
static void test_every_cpu_ticks(void)
{
	uint64_t before[CPU_MAX], t0 = arch_time_us();

	for (unsigned i = 0; i < cpu_count; i++)
		before[i] = __atomic_load_n(&cpus[i].ticks, __ATOMIC_RELAXED);
	while (arch_time_us() - t0 < 60000)
		arch_cpu_relax();
	for (unsigned i = 0; i < cpu_count; i++)
		EXPECT_GE(__atomic_load_n(&cpus[i].ticks, __ATOMIC_RELAXED) - before[i], 3);
}

static void nothing(void *arg)
{
	(void)arg;
}

/* A call to an idle CPU arrives by IPI, which that CPU counts. */
static void test_calls_arrive_by_ipi(void)
{
	need_cpus(2);
	for (unsigned i = 1; i < cpu_count; i++) {
		uint64_t before = __atomic_load_n(&cpus[i].ipis, __ATOMIC_RELAXED);

		for (int k = 0; k < 10; k++)
			ASSERT_OK(smp_call_on(i, nothing, NULL));
		EXPECT_GE(__atomic_load_n(&cpus[i].ipis, __ATOMIC_RELAXED) - before, 1);
	}
}

KTEST_SUITE(smp,
	KTEST_CASE(test_every_cpu_of_the_device_tree_is_online),
	KTEST_CASE(test_boot_cpu_is_cpu_0),
	KTEST_CASE(test_hardware_ids_are_distinct),
	KTEST_CASE(test_a_call_runs_on_the_cpu_it_names),
	KTEST_CASE(test_calls_in_a_row_each_run_once),
	KTEST_CASE(test_each_cpu_has_its_own_errno),
	KTEST_CASE(test_spinlock_excludes_every_cpu),
	KTEST_CASE(test_every_cpu_ticks),
	KTEST_CASE(test_calls_arrive_by_ipi));
