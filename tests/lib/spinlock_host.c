/*
 * Spinlocks between CPUs, on the host: another CPU is either the main
 * thread playing it (fake_cpu_enter()) or a real thread that enters it.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <lib/ktest.h>
#include <lib/spinlock.h>
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
	EXPECT_EQ_U(l.owner, (unsigned long)&cpus[1]);
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
	EXPECT_EQ_U(l.owner, (unsigned long)&cpus[2]);
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
	w->owner_seen = __atomic_load_n(&w->lock->owner, __ATOMIC_RELAXED);
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
		EXPECT_EQ_U(__atomic_load_n(&l.owner, __ATOMIC_RELAXED), (unsigned long)&cpus[0]);
		EXPECT_TRUE(spin_is_held_by_me(&l));
	}
	spin_unlock(&l);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	EXPECT_EQ_U(w.owner_seen, (unsigned long)&cpus[1]);
	EXPECT_FALSE(spin_is_held(&l));
}

KTEST_SUITE(spinlock_host,
	KTEST_CASE(test_owner_is_the_taking_cpu),
	KTEST_CASE(test_assert_held_panics_when_another_cpu_holds),
	KTEST_CASE(test_unlock_by_another_cpu_panics),
	KTEST_CASE(test_waiter_leaves_the_owner_alone));
