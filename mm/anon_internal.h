/*
 * What mm/anon.c (anonymous objects and their page index) and
 * mm/anon_cow.c (copy-on-write backups, fork of an object) share.  Not an
 * interface: everyone else uses mm/include/mm/aspace.h.
 */
#ifndef MM_ANON_INTERNAL_H
#define MM_ANON_INTERNAL_H

#include <sys/tree.h>
#include <lib/err.h>
#include <lib/spinlock.h>
#include "aspace_internal.h"

struct anon_page {
	RB_ENTRY(anon_page) node;
	uint64_t index;             /* page offset in the object >> PAGE_SHIFT */
	struct page *page;
};

RB_HEAD(anon_tree, anon_page);
RB_PROTOTYPE(anon_tree, anon_page, node, page_cmp)

/*
 * A copy-on-write hierarchy: the objects a fork family shares backups
 * through (the live objects of every aspace in it and their backups), and
 * the one lock that guards them all: their page indexes, backup links,
 * backup users and page counts.  Zircon shares one lock per clone tree
 * the same way.  An object that was never forked has no hierarchy
 * (tree NULL): its aspace's lock is enough.  Each object in a hierarchy
 * holds a reference to it; the last one frees it.  Lock order: an aspace
 * lock, then a hierarchy's, then the heap's and the frame allocator's.
 */
struct cow_tree {
	struct spinlock lock;
	uint32_t refs;              /* objects in it; under lock */
	/* Changes (from 1) whenever a backup gains a page or a level goes:
	 * the backups' skip links (struct anon_obj) made before are stale. */
	uint64_t gen;
};

/*
 * An anonymous object.  A live one is mapped by vareas of one aspace; a
 * backup is a read-only level below live objects, made by fork, reached
 * only through the backup links of its two users (mm/anon_cow.c).  Its
 * mem_obj refcount is the number of users (1 only for the moment before
 * it collapses into the survivor).
 */
struct anon_obj {
	struct mem_obj obj;
	struct anon_tree pages;
	uint64_t npages;
	uint64_t base, end;         /* offsets the object serves: [base, end) */
	uint32_t users;             /* vareas using it (open, split; close, merge) */
	struct anon_obj *backup;    /* the level below (read-only pages), or NULL */
	struct anon_obj *user[2];   /* a backup: the objects whose backup it is */
	/* A backup: the nearest level at or below it that has pages (NULL:
	 * none), as found when its hierarchy's gen was skip_gen.  Levels
	 * only lose pages between two changes of gen, so lookups may jump
	 * over the empty levels a chain of forks leaves (anon_backup_lookup()). */
	struct anon_obj *skip;
	uint64_t skip_gen;
	struct cow_tree *tree;      /* its hierarchy once forked, else NULL (changed only
	                               under the lock of the aspace it is mapped in) */
	/* aspace_fork() between prepare and commit/abort: */
	struct anon_obj *fork_child, *fork_backup;
	struct cow_tree *fork_tree;
	/* A private copy-on-write view of another object (aspace_map_private()):
	 * lookups that miss the index and the backups end there.  A live object
	 * holds a reference to it; backups only point to it. */
	struct mem_obj *source;
	/* Pages decommit_prepare allocated for decommit (linked by RB_LEFT). */
	struct anon_page *spares;
	int claimed;                /* given to aspace_map() once (atomic) */
	/* A leaf of one of its vareas may map anon_zero_page (set by a read
	 * fault, kept by merges, never cleared): such leaves are read-only in
	 * writable vareas, as shared pages' are (shares_pages hook). */
	int zero_mapped;
};

/*
 * Take @ao's hierarchy lock when it has one (the caller holds the lock of
 * the aspace @ao's vareas are in, which is what keeps @ao->tree from
 * changing); returns what to hand to cow_unlock().  An object left alone
 * in its hierarchy without a backup leaves it here and is private again
 * (NULL).  Conditional locking the thread-safety analysis cannot follow:
 * the lock is taken and dropped within every hook that calls these.
 */
struct cow_tree *cow_lock(struct anon_obj *ao);
void cow_unlock(struct cow_tree *t);

/* @ao leaves its hierarchy (it is being freed); NULL, or the hierarchy to free after unlocking. */
struct cow_tree *cow_leave(struct anon_obj *ao);


extern struct kmem_cache *anon_obj_cache, *anon_page_cache;

/*
 * The shared zero page: one frame of zeros that a read fault maps
 * read-only where no level of an object has a page; never written, never
 * freed (it holds a reference of its own; each leaf holds one more).
 */
extern struct page *anon_zero_page;

/* What a fault reports when a page-table call failed with @rc. */
static inline enum fault_result anon_map_error(int rc)
{
	return rc == E_NOMEM ? FAULT_OOM : FAULT_DENIED;
}

/* Map @pg at @addr of @va with @flags, the leaf taking a frame reference. */
int anon_map_frame(struct varea *va, uintptr_t addr, struct page *pg, unsigned flags)
	REQUIRES(va->as->lock);
/*
 * Make @f's page (at @addr of @va) map @pg with @flags: a new leaf when
 * @f found none (anon_map_frame()), else @f's leaf, which maps @old (the
 * caller has checked), changed in one step (pt_replace()); a new frame
 * takes the leaf's reference from the old.
 */
int anon_set_frame(struct varea *va, const struct fault *f, uintptr_t addr, struct page *pg,
                   struct page *old, unsigned flags) REQUIRES(va->as->lock);
extern const struct mem_obj_ops anon_ops;

static inline struct anon_obj *to_anon(const struct mem_obj *obj)
{
	return (struct anon_obj *)obj;
}

static inline int is_anon(const struct mem_obj *obj)
{
	return obj->ops == &anon_ops;
}

/* A backup level (it has users), not a live object. */
static inline int is_backup(const struct anon_obj *ao)
{
	return ao->user[0] || ao->user[1];
}

/* ---- the page index (anon.c) ------------------------------------------------------ */

/* The page at @offset of @ao's own index, or NULL. */
struct anon_page *anon_lookup(struct anon_obj *ao, uint64_t offset);
/* The first page at or above @offset, or NULL. */
struct anon_page *anon_lookup_from(struct anon_obj *ao, uint64_t offset);
/* Put @ap into @ao's index (panics when the offset is taken). */
void anon_insert(struct anon_obj *ao, struct anon_page *ap);
/* Take @ap out of @ao's index, drop its frame reference, free the node. */
void anon_drop(struct anon_obj *ao, struct anon_page *ap);
/* A new page at @offset with a fresh frame (not cleared), or NULL. */
struct anon_page *anon_add(struct anon_obj *ao, uint64_t offset);
/* Release every page of [offset, offset + size) of @ao's own index. */
void anon_release(struct anon_obj *ao, uint64_t offset, uint64_t size);

/* Allocate @n pages (frame and node, not cleared) onto the list *@spares; E_NOMEM frees them. */
int anon_spares_alloc(struct anon_page **spares, uint64_t n);
/* Free every page left on *@spares. */
void anon_spares_free(struct anon_page **spares);

/* ---- copy-on-write (anon_cow.c) ---------------------------------------------------- */

/*
 * Make the page at @offset @ao's own (the hierarchy lock held): its own
 * page, else the page the backups show, taken over when no one else can
 * see it and copied otherwise, else a new zero page.  New pages come
 * from *@spares when it is not NULL and has one, else are allocated.
 * Returns the page, or NULL when out of memory (nothing changed).
 */
struct anon_page *anon_cow_own(struct anon_obj *ao, uint64_t offset, struct anon_page **spares);

/*
 * Undo of anon_cow_own() for a page that was not @ao's own before: what
 * anon_cow_own_undo_info() said it did.  @from is the backup a taken-over
 * page came from (NULL: the page was new, it is dropped).
 */
struct anon_own_undo {
	struct anon_obj *from;
};
struct anon_page *anon_cow_own_undoable(struct anon_obj *ao, uint64_t offset,
                                        struct anon_own_undo *undo);
void anon_cow_own_undo(struct anon_obj *ao, struct anon_page *ap, const struct anon_own_undo *undo);

/*
 * The page visible at @offset below @ao (its backups, nearest first), or
 * NULL; *@level gets the backup holding it.
 */
struct anon_page *anon_backup_lookup(struct anon_obj *ao, uint64_t offset,
                                     struct anon_obj **level);

/*
 * @ao is going away: drop its link to its backup, which then has one user
 * left and collapses into it.
 */
void anon_backup_unlink(struct anon_obj *ao);

/*
 * The fault on @addr of @va found no page of its own there, but @shared
 * in the backup @level: map it read-only, or for a write, copy it or take
 * it over.
 */
enum fault_result anon_cow_fault(struct varea *va, uintptr_t addr, struct anon_page *shared,
                                 struct anon_obj *level, const struct fault *f)
	REQUIRES(va->as->lock);

/*
 * Fork of an object, in two steps so that fork is all or nothing.
 * prepare: allocate the child's object and, when @obj has pages or a
 * backup, the backup (once per object: again for another varea of it is
 * E_OK); E_NOMEM changes nothing.  anon_fork_child(): the child's object
 * (for its vareas to take references to).  commit: link them (cannot
 * fail); abort: free what prepare made.  Both do nothing for an object
 * not prepared, and drop prepare's reference to the child's object.
 */
int anon_fork_prepare(struct mem_obj *obj);
struct mem_obj *anon_fork_child(struct mem_obj *obj);
void anon_fork_commit(struct mem_obj *obj);
void anon_fork_abort(struct mem_obj *obj);

#endif
