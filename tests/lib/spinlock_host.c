/*
 * Spinlocks between CPUs, on the host: another CPU is either the main
 * thread playing it (fake_cpu_enter()) or a real thread that enters it.
 * The kernel's spinlock first, then every kind of <lib/spinlock_kinds.h>.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <lib/ktest.h>
#include <lib/spinlock.h>
#include <spin_kinds.h>
#include "fake_arch.h"

/*
 * Take @l as CPU @num, then be CPU 0 again.  Not analysed: the lock is
 * another CPU's, which the analysis (one thread, one holder) cannot say.
 */
static void lock_as(struct spinlock *l, unsigned num) NO_THREAD_SAFETY_ANALYSIS
{
	fake_cpu_enter(num);
	spin_lock(l);
	fake_cpu_enter(0);
}

static void unlock_as(struct spinlock *l, unsigned num) NO_THREAD_SAFETY_ANALYSIS
{
	fake_cpu_enter(num);
	spin_unlock(l);
	fake_cpu_enter(0);
}

static void test_owner_is_the_taking_cpu(void)
{
	struct spinlock l = SPINLOCK_INIT;

	lock_as(&l, 1);
	EXPECT_EQ_U(spin_owner(&l), (unsigned long)&cpus[1]);
	EXPECT_TRUE(spin_is_held(&l));
	EXPECT_FALSE(spin_is_held_by_me(&l));
	unlock_as(&l, 1);
	EXPECT_FALSE(spin_is_held(&l));
}

static void test_assert_held_panics_when_another_cpu_holds(void)
{
	struct spinlock l = SPINLOCK_INIT;

	lock_as(&l, 1);
	EXPECT_PANIC(spin_assert_held(&l), "held by CPU 1");
	unlock_as(&l, 1);
}

/* Not analysed: it drops a lock it does not hold, on purpose. */
static void test_unlock_by_another_cpu_panics(void) NO_THREAD_SAFETY_ANALYSIS
{
	struct spinlock l = SPINLOCK_INIT;

	if (!KDEBUG)
		ktest_skip("spin_unlock() checks its caller in debug builds only");
	lock_as(&l, 2);
	EXPECT_PANIC(spin_unlock(&l), "held by CPU 2");
	EXPECT_EQ_U(spin_owner(&l), (unsigned long)&cpus[2]);
	unlock_as(&l, 2);
	EXPECT_PANIC(spin_unlock(&l), "it is free");
}

/* ---- a real second CPU ----------------------------------------------------------- */

struct waiter {
	struct spinlock *lock;
	int waiting;              /* set just before spin_lock() */
	unsigned long owner_seen; /* the lock word while it held the lock */
};

/* CPU 1: take the lock (spinning until CPU 0 drops it), note the owner, drop it. */
static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	fake_cpu_enter(1);
	__atomic_store_n(&w->waiting, 1, __ATOMIC_RELEASE);
	spin_lock(w->lock);
	w->owner_seen = spin_owner(w->lock);
	spin_unlock(w->lock);
	return NULL;
}

/*
 * A CPU spinning on a held lock must leave the holder's name in it (a
 * swap to take the lock would write its own): the holder still holds it
 * by name while the waiter spins, and the waiter's name is there only
 * once it has the lock.
 */
static void test_waiter_leaves_the_owner_alone(void)
{
	struct spinlock l = SPINLOCK_INIT;
	struct waiter w = { &l, 0, 0 };
	struct timespec tick = { 0, 1000000 };
	pthread_t t;

	spin_lock(&l);
	ASSERT_EQ(pthread_create(&t, NULL, waiter_main, &w), 0);
	while (!__atomic_load_n(&w.waiting, __ATOMIC_ACQUIRE))
		sched_yield();
	for (int i = 0; i < 20; i++) {   /* 20 ms of the waiter spinning */
		nanosleep(&tick, NULL);
		EXPECT_EQ_U(spin_owner(&l), (unsigned long)&cpus[0]);
		EXPECT_TRUE(spin_is_held_by_me(&l));
	}
	spin_unlock(&l);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	EXPECT_EQ_U(w.owner_seen, (unsigned long)&cpus[1]);
	EXPECT_FALSE(spin_is_held(&l));
}

/* ---- every kind, real threads ------------------------------------------------- */

#define THREADS 3      /* CPUs 1..THREADS, on as many threads */
#define ROUNDS  2000   /* acquisitions by each */

struct hammer {
	const struct spin_kind_ops *k;
	union spin_any lock;
	unsigned long count;      /* a plain read-modify-write, under the lock */
	int inside;               /* threads in the critical section */
	int bad;                  /* checks that failed */
	int ready;
};

struct hammer_thread {
	struct hammer *h;
	unsigned cpu;
};

/* Not analysed: the lock is taken through the table. */
static void *hammer_main(void *arg) NO_THREAD_SAFETY_ANALYSIS
{
	struct hammer_thread *t = arg;
	struct hammer *h = t->h;

	fake_cpu_enter(t->cpu);
	__atomic_fetch_add(&h->ready, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&h->ready, __ATOMIC_ACQUIRE) < THREADS)
		sched_yield();
	for (int i = 0; i < ROUNDS; i++) {
		h->k->lock(&h->lock);
		if (__atomic_fetch_add(&h->inside, 1, __ATOMIC_RELAXED) ||
		    !h->k->held_by_me(&h->lock) || h->k->owner(&h->lock) != spin_self())
			__atomic_fetch_add(&h->bad, 1, __ATOMIC_RELAXED);
		h->count = h->count + 1;
		__atomic_fetch_sub(&h->inside, 1, __ATOMIC_RELAXED);
		h->k->unlock(&h->lock);
	}
	return NULL;
}

/* THREADS real threads as CPUs 1.., each taking the lock ROUNDS times: none lost. */
static void excludes_threads(int kind)
{
	struct hammer h = { .k = spin_kind(kind) };
	struct hammer_thread t[THREADS];
	pthread_t tid[THREADS];

	h.k->init(&h.lock);
	for (unsigned i = 0; i < THREADS; i++) {
		t[i] = (struct hammer_thread){ &h, i + 1 };
		ASSERT_EQ(pthread_create(&tid[i], NULL, hammer_main, &t[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		ASSERT_EQ(pthread_join(tid[i], NULL), 0);
	EXPECT_EQ_U(h.count, (unsigned long)THREADS * ROUNDS);
	EXPECT_EQ(h.bad, 0);
	EXPECT_FALSE(h.k->is_held(&h.lock));
}

struct kind_waiter {
	const struct spin_kind_ops *k;
	union spin_any *lock;
	int waiting;
	unsigned long owner_seen;
};

static void *kind_waiter_main(void *arg) NO_THREAD_SAFETY_ANALYSIS
{
	struct kind_waiter *w = arg;

	fake_cpu_enter(1);
	__atomic_store_n(&w->waiting, 1, __ATOMIC_RELEASE);
	w->k->lock(w->lock);
	w->owner_seen = w->k->owner(w->lock);
	w->k->unlock(w->lock);
	return NULL;
}

/*
 * While CPU 1 waits, CPU 0 still holds the lock by name (a waiter's
 * request must not touch the holder's name), and CPU 1 is named once it
 * has it.
 */
static void waiter_leaves_the_owner_alone(int kind) NO_THREAD_SAFETY_ANALYSIS
{
	const struct spin_kind_ops *k = spin_kind(kind);
	union spin_any l;
	struct kind_waiter w = { k, &l, 0, 0 };
	struct timespec tick = { 0, 1000000 };
	pthread_t t;

	k->init(&l);
	k->lock(&l);
	ASSERT_EQ(pthread_create(&t, NULL, kind_waiter_main, &w), 0);
	while (!__atomic_load_n(&w.waiting, __ATOMIC_ACQUIRE))
		sched_yield();
	for (int i = 0; i < 10; i++) {   /* 10 ms of the waiter spinning */
		nanosleep(&tick, NULL);
		EXPECT_EQ_U(k->owner(&l), (unsigned long)&cpus[0]);
		EXPECT_TRUE(k->held_by_me(&l));
	}
	k->unlock(&l);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	EXPECT_EQ_U(w.owner_seen, (unsigned long)&cpus[1]);
	EXPECT_FALSE(k->is_held(&l));
}

/* The kinds' unlock checks its caller in debug builds (the host's). */
static void unlock_by_another_cpu_panics(int kind) NO_THREAD_SAFETY_ANALYSIS
{
	const struct spin_kind_ops *k = spin_kind(kind);
	union spin_any l;

	if (!KDEBUG)
		ktest_skip("unlock checks its caller in debug builds only");
	k->init(&l);
	EXPECT_PANIC(k->unlock(&l), "it is free");
	fake_cpu_enter(2);
	k->lock(&l);
	fake_cpu_enter(0);
	EXPECT_PANIC(k->unlock(&l), "held by CPU 2");
	EXPECT_EQ_U(k->owner(&l), (unsigned long)&cpus[2]);
	fake_cpu_enter(2);
	k->unlock(&l);
	fake_cpu_enter(0);
	EXPECT_FALSE(k->is_held(&l));
}

#define KIND_CASES(k, K)                                                                \
	static void test_##k##_excludes_threads(void) { excludes_threads(K); }          \
	static void test_##k##_waiter_leaves_the_owner_alone(void)                      \
	{ waiter_leaves_the_owner_alone(K); }                                           \
	static void test_##k##_unlock_by_another_cpu_panics(void)                       \
	{ unlock_by_another_cpu_panics(K); }

KIND_CASES(tas, SPIN_KIND_TAS)
KIND_CASES(ticket, SPIN_KIND_TICKET)
KIND_CASES(mcs, SPIN_KIND_MCS)

KTEST_SUITE(spinlock_host,
	KTEST_CASE(test_owner_is_the_taking_cpu),
	KTEST_CASE(test_assert_held_panics_when_another_cpu_holds),
	KTEST_CASE(test_unlock_by_another_cpu_panics),
	KTEST_CASE(test_waiter_leaves_the_owner_alone),
	KTEST_CASE(test_tas_excludes_threads),
	KTEST_CASE(test_ticket_excludes_threads),
	KTEST_CASE(test_mcs_excludes_threads),
	KTEST_CASE(test_tas_waiter_leaves_the_owner_alone),
	KTEST_CASE(test_ticket_waiter_leaves_the_owner_alone),
	KTEST_CASE(test_mcs_waiter_leaves_the_owner_alone),
	KTEST_CASE(test_tas_unlock_by_another_cpu_panics),
	KTEST_CASE(test_ticket_unlock_by_another_cpu_panics),
	KTEST_CASE(test_mcs_unlock_by_another_cpu_panics));
