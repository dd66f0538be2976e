/*
 * Each spinlock kind (<lib/spinlock_kinds.h>: test-and-set, ticket, MCS)
 * on one CPU, kernel and host: it names its holder, a second take by the
 * holder panics, locks nest and drop in any order, and MCS runs out of
 * queue nodes with a panic rather than silently.  Every CPU at once:
 * tests/lib/spinlock_smp.c (kernel), tests/lib/spinlock_host.c (threads).
 */
#include <lib/ktest.h>
#include <lib/spinlock_kinds.h>
#include <spin_kinds.h>

#define NEST 3

/* Not analysed: the locks are taken through the table. */
static void names_this_cpu(int kind) NO_THREAD_SAFETY_ANALYSIS
{
	const struct spin_kind_ops *k = spin_kind(kind);
	union spin_any l;

	k->init(&l);
	EXPECT_EQ_U(k->owner(&l), 0);
	EXPECT_FALSE(k->is_held(&l));
	EXPECT_FALSE(k->held_by_me(&l));
	k->lock(&l);
	EXPECT_EQ_U(k->owner(&l), spin_self());
	EXPECT_EQ_U(k->owner(&l), (unsigned long)this_cpu());
	EXPECT_TRUE(k->is_held(&l));
	EXPECT_TRUE(k->held_by_me(&l));
	k->unlock(&l);
	EXPECT_EQ_U(k->owner(&l), 0);
	EXPECT_FALSE(k->is_held(&l));
	EXPECT_FALSE(k->held_by_me(&l));
	/* And again: what the first round left (an MCS node) is reusable. */
	k->lock(&l);
	EXPECT_TRUE(k->held_by_me(&l));
	k->unlock(&l);
	EXPECT_FALSE(k->is_held(&l));
}

/*
 * A second take by the holder panics.  Test-and-set and MCS check before
 * they change anything, so the holder still holds the lock after; a
 * ticket lock has taken its ticket by then, and the lock is lost.
 */
static void recursive_take_panics(int kind) NO_THREAD_SAFETY_ANALYSIS
{
	const struct spin_kind_ops *k = spin_kind(kind);
	union spin_any l;

	k->init(&l);
	k->lock(&l);
	EXPECT_PANIC(k->lock(&l), "taken again by CPU");
	if (kind == SPIN_KIND_TICKET)
		return;
	EXPECT_TRUE(k->held_by_me(&l));
	k->unlock(&l);
	EXPECT_FALSE(k->is_held(&l));
	k->lock(&l);
	k->unlock(&l);
}

/*
 * NEST locks of one kind taken in order and dropped out of order (the
 * middle one first); each says held exactly while it is.  Then they are
 * all taken again, which an MCS lock does with the nodes given back.
 */
static void nests_and_drops_in_any_order(int kind) NO_THREAD_SAFETY_ANALYSIS
{
	const struct spin_kind_ops *k = spin_kind(kind);
	static const int drop[NEST] = { 1, 0, 2 };
	union spin_any l[NEST];
	int held[NEST] = { 0 };

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < NEST; i++) {
			if (!round)
				k->init(&l[i]);
			k->lock(&l[i]);
			held[i] = 1;
		}
		for (int d = 0; d < NEST; d++) {
			k->unlock(&l[drop[d]]);
			held[drop[d]] = 0;
			for (int i = 0; i < NEST; i++) {
				EXPECT_EQ(k->held_by_me(&l[i]), held[i]);
				EXPECT_EQ_U(k->owner(&l[i]), held[i] ? spin_self() : 0);
			}
		}
	}
}

#define KIND_CASES(k, K)                                                            \
	static void test_##k##_names_this_cpu(void) { names_this_cpu(K); }          \
	static void test_##k##_recursive_take_panics(void) { recursive_take_panics(K); } \
	static void test_##k##_nests_and_drops_in_any_order(void)                    \
	{ nests_and_drops_in_any_order(K); }

KIND_CASES(tas, SPIN_KIND_TAS)
KIND_CASES(ticket, SPIN_KIND_TICKET)
KIND_CASES(mcs, SPIN_KIND_MCS)

/* Kinds mixed: an MCS lock held between others keeps its node. */
static void test_kinds_nest_with_each_other(void) NO_THREAD_SAFETY_ANALYSIS
{
	struct spin_tas t = SPIN_TAS_INIT;
	struct spin_ticket k = SPIN_TICKET_INIT;
	struct spin_mcs m1 = SPIN_MCS_INIT, m2 = SPIN_MCS_INIT;

	spin_mcs_lock(&m1);
	spin_tas_lock(&t);
	spin_mcs_lock(&m2);
	spin_ticket_lock(&k);
	spin_mcs_unlock(&m1);
	EXPECT_TRUE(spin_mcs_held_by_me(&m2));
	EXPECT_FALSE(spin_mcs_held_by_me(&m1));
	spin_mcs_lock(&m1);   /* the first node again, the second still m2's */
	EXPECT_TRUE(spin_mcs_held_by_me(&m1));
	spin_tas_unlock(&t);
	spin_mcs_unlock(&m2);
	spin_ticket_unlock(&k);
	spin_mcs_unlock(&m1);
	EXPECT_FALSE(spin_mcs_is_held(&m1) || spin_mcs_is_held(&m2));
	EXPECT_FALSE(spin_tas_is_held(&t) || spin_ticket_is_held(&k));
}

/*
 * An MCS lock needs one of this CPU's SPIN_MCS_DEPTH nodes: one more
 * panics, before it changes anything, and the others go on working.
 */
static void test_mcs_deeper_than_its_nodes_panics(void) NO_THREAD_SAFETY_ANALYSIS
{
	struct spin_mcs l[SPIN_MCS_DEPTH + 1];

	for (int i = 0; i <= SPIN_MCS_DEPTH; i++)
		spin_mcs_init(&l[i]);
	for (int i = 0; i < SPIN_MCS_DEPTH; i++)
		spin_mcs_lock(&l[i]);
	EXPECT_PANIC(spin_mcs_lock(&l[SPIN_MCS_DEPTH]), "SPIN_MCS_DEPTH");
	EXPECT_FALSE(spin_mcs_is_held(&l[SPIN_MCS_DEPTH]));
	spin_mcs_unlock(&l[0]);
	spin_mcs_lock(&l[SPIN_MCS_DEPTH]);
	EXPECT_TRUE(spin_mcs_held_by_me(&l[SPIN_MCS_DEPTH]));
	spin_mcs_unlock(&l[SPIN_MCS_DEPTH]);
	for (int i = 1; i < SPIN_MCS_DEPTH; i++)
		spin_mcs_unlock(&l[i]);
}

KTEST_SUITE(spinlock_kinds,
	KTEST_CASE(test_tas_names_this_cpu),
	KTEST_CASE(test_ticket_names_this_cpu),
	KTEST_CASE(test_mcs_names_this_cpu),
	KTEST_CASE(test_tas_recursive_take_panics),
	KTEST_CASE(test_ticket_recursive_take_panics),
	KTEST_CASE(test_mcs_recursive_take_panics),
	KTEST_CASE(test_tas_nests_and_drops_in_any_order),
	KTEST_CASE(test_ticket_nests_and_drops_in_any_order),
	KTEST_CASE(test_mcs_nests_and_drops_in_any_order),
	KTEST_CASE(test_kinds_nest_with_each_other),
	KTEST_CASE(test_mcs_deeper_than_its_nodes_panics));
