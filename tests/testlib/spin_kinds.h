/*
 * The spinlock kinds of <lib/spinlock_kinds.h> behind one table of
 * functions, so a test body runs against each: spin_kind(i) for i in
 * 0 .. SPIN_KINDS - 1.  For tests only (a call through a pointer per
 * operation); benchmarks use the kinds inline.
 */
#ifndef TESTLIB_SPIN_KINDS_H
#define TESTLIB_SPIN_KINDS_H

#include <lib/spinlock_kinds.h>

/* Room for any kind. */
union spin_any {
	struct spin_tas tas;
	struct spin_ticket ticket;
	struct spin_mcs mcs;
};

struct spin_kind_ops {
	const char *name;
	void (*init)(union spin_any *l);
	void (*lock)(union spin_any *l);
	void (*unlock)(union spin_any *l);
	unsigned long (*owner)(const union spin_any *l);
	int (*held_by_me)(const union spin_any *l);
	int (*is_held)(const union spin_any *l);
};

enum { SPIN_KIND_TAS, SPIN_KIND_TICKET, SPIN_KIND_MCS, SPIN_KINDS };

/* Not analysed: wrappers that take and drop a lock for their caller. */
#define SPIN_KIND_WRAP_(k)                                                              \
	static inline void spin_kind_##k##_init(union spin_any *l)                      \
	{ spin_##k##_init(&l->k); }                                                     \
	static inline void spin_kind_##k##_lock(union spin_any *l)                      \
		NO_THREAD_SAFETY_ANALYSIS { spin_##k##_lock(&l->k); }                   \
	static inline void spin_kind_##k##_unlock(union spin_any *l)                    \
		NO_THREAD_SAFETY_ANALYSIS { spin_##k##_unlock(&l->k); }                 \
	static inline unsigned long spin_kind_##k##_owner(const union spin_any *l)      \
	{ return spin_##k##_owner(&l->k); }                                             \
	static inline int spin_kind_##k##_held_by_me(const union spin_any *l)           \
	{ return spin_##k##_held_by_me(&l->k); }                                        \
	static inline int spin_kind_##k##_is_held(const union spin_any *l)              \
	{ return spin_##k##_is_held(&l->k); }

SPIN_KIND_WRAP_(tas)
SPIN_KIND_WRAP_(ticket)
SPIN_KIND_WRAP_(mcs)

#define SPIN_KIND_OPS_(k)                                                               \
	{ #k, spin_kind_##k##_init, spin_kind_##k##_lock, spin_kind_##k##_unlock,       \
	  spin_kind_##k##_owner, spin_kind_##k##_held_by_me, spin_kind_##k##_is_held }

/* Kind @i (SPIN_KIND_TAS, ...). */
static inline const struct spin_kind_ops *spin_kind(int i)
{
	static const struct spin_kind_ops kinds[SPIN_KINDS] = {
		SPIN_KIND_OPS_(tas), SPIN_KIND_OPS_(ticket), SPIN_KIND_OPS_(mcs),
	};

	return &kinds[i];
}

#endif
