/*
 * Lock annotations for Clang's thread-safety analysis
 * (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html), as Zircon
 * uses them: a spinlock is a capability, functions say which locks they
 * need, take or drop, data says which lock guards it, and `make
 * tsa-check` (clang -Wthread-safety) refuses code that breaks the rules.
 * Under GCC, which builds everything that runs, they expand to nothing.
 *
 * What the analysis can follow in C, with the clang 14 the project uses:
 *  - guarding globals: GUARDED_BY on a global, naming another global or
 *    a member of one, itself included (through a second declaration
 *    that adds the attribute once the first is complete);
 *  - guarding struct members by a global lock;
 *  - functions: REQUIRES / ACQUIRE / RELEASE / EXCLUDES naming their
 *    parameters' locks (REQUIRES(as->lock));
 *  - lock order between a member lock and a global (ACQUIRED_AFTER),
 *    checked with -Wthread-safety-beta.
 * What it cannot: a struct member guarded by a lock in the same struct
 * (clang parses that only from clang 19, for C), so the per-instance
 * locks (a cache's, an aspace's) are checked through the functions that
 * need them, not field by field; calls through function pointers, whose
 * targets declare what they are called with and are trusted; local
 * copies of a pointer (after struct aspace *as = c->as, as->lock is not
 * c->as->lock to it: pass the aspace instead); and accesses through the
 * address of guarded data (LIST_FIRST(&head) goes unseen, head.field
 * does not).
 */
#ifndef LIB_THREAD_ANNOTATIONS_H
#define LIB_THREAD_ANNOTATIONS_H

#if defined(__clang__)
#define THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define THREAD_ANNOTATION_(x)
#endif

/* A type whose objects are locks, named @x in messages ("spinlock"). */
#define CAPABILITY(x)             THREAD_ANNOTATION_(capability(x))

/* Reading or writing this needs @x held; PT_: what this pointer points at. */
#define GUARDED_BY(x)             THREAD_ANNOTATION_(guarded_by(x))
#define PT_GUARDED_BY(x)          THREAD_ANNOTATION_(pt_guarded_by(x))

/* Lock order: this lock is taken before / after the locks named. */
#define ACQUIRED_BEFORE(...)      THREAD_ANNOTATION_(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...)       THREAD_ANNOTATION_(acquired_after(__VA_ARGS__))

/* The caller must hold / must not hold these locks. */
#define REQUIRES(...)             THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#define EXCLUDES(...)             THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))

/* The function returns with these locks taken / dropped. */
#define ACQUIRE(...)              THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define RELEASE(...)              THREAD_ANNOTATION_(release_capability(__VA_ARGS__))

/* Returns @ret (1 or 0) when it took the lock. */
#define TRY_ACQUIRE(ret, ...)     THREAD_ANNOTATION_(try_acquire_capability(ret, __VA_ARGS__))

/* Panics unless the lock is held, so the analysis may take it as held after. */
#define ASSERT_CAPABILITY(x)      THREAD_ANNOTATION_(assert_capability(x))

/* Returns a pointer to the lock @x. */
#define RETURN_CAPABILITY(x)      THREAD_ANNOTATION_(lock_returned(x))

/*
 * The body is not checked (its annotations still bind its callers).  Each
 * use says why in a comment: the lock primitives themselves, and code
 * whose locking the analysis cannot follow.
 */
#define NO_THREAD_SAFETY_ANALYSIS THREAD_ANNOTATION_(no_thread_safety_analysis)

#endif
