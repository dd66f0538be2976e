/*
 * Spinlocks on one CPU (kernel and host): the lock word names its holder,
 * spin_assert_held() asks for this CPU, a second take by the holder
 * panics.  Other CPUs are played in tests/lib/spinlock_host.c.
 */
#include <lib/ktest.h>
#include <lib/spinlock.h>

static void test_lock_records_this_cpu(void)
{
	struct spinlock l = SPINLOCK_INIT;

	EXPECT_FALSE(spin_is_held(&l));
	spin_lock(&l);
	EXPECT_EQ_U(spin_owner(&l), spin_self());
	EXPECT_EQ_U(spin_owner(&l), (unsigned long)this_cpu());
	EXPECT_TRUE(spin_is_held(&l));
	EXPECT_TRUE(spin_is_held_by_me(&l));
	spin_unlock(&l);
	EXPECT_EQ_U(spin_owner(&l), 0);
	EXPECT_FALSE(spin_is_held_by_me(&l));
}

static void test_irqsave_records_this_cpu(void)
{
	struct spinlock l = SPINLOCK_INIT;
	unsigned long irq = spin_lock_irqsave(&l);

	EXPECT_TRUE(spin_is_held_by_me(&l));
	spin_unlock_irqrestore(&l, irq);
	EXPECT_FALSE(spin_is_held(&l));
}

static void test_assert_held_passes_for_the_holder(void)
{
	struct spinlock l = SPINLOCK_INIT;

	spin_lock(&l);
	spin_assert_held(&l);
	spin_unlock(&l);
}

static void test_assert_held_panics_when_free(void)
{
	struct spinlock l = SPINLOCK_INIT;

	EXPECT_PANIC(spin_assert_held(&l), "not held by this CPU");
	EXPECT_PANIC(spin_assert_held(&l), "it is free");
}

/* Not analysed: it takes a lock twice, on purpose. */
static void test_recursive_take_panics(void) NO_THREAD_SAFETY_ANALYSIS
{
	struct spinlock l = SPINLOCK_INIT;

	spin_lock(&l);
	EXPECT_PANIC(spin_lock(&l), "taken again by CPU");
	/* A ticket lock has taken its ticket by then: the lock is lost. */
	if (SPINLOCK_KIND == SPINLOCK_TICKET)
		return;
	/* The failed take changed nothing: the holder still holds it. */
	EXPECT_TRUE(spin_is_held_by_me(&l));
	spin_unlock(&l);
	EXPECT_FALSE(spin_is_held(&l));
}

KTEST_SUITE(spinlock,
	KTEST_CASE(test_lock_records_this_cpu),
	KTEST_CASE(test_irqsave_records_this_cpu),
	KTEST_CASE(test_assert_held_passes_for_the_holder),
	KTEST_CASE(test_assert_held_panics_when_free),
	KTEST_CASE(test_recursive_take_panics));
