/*
 * Copy-on-write backups of anonymous objects: what fork leaves below the
 * objects of parent and child, and the faults that read and copy from it.
 *
 * Fork of an object O (with pages, or a backup) makes a backup B and the
 * child's object C.  O's whole page index moves into B (the tree's root
 * changes hands: O(1)), B takes O's place above O's old backup, and both
 * O and C get B as their backup.  So a backup has exactly two users, the
 * objects whose `backup` it is; its mem_obj refcount counts them.
 *
 *         before        after fork        after O forks again
 *           O            O     C             O     D      C
 *           |             \   /               \   /       |
 *          (X)             B                   B'         |
 *                          |                     \       /
 *                         (X)                     B ----
 *
 * Lookups go down the chain: an object's own page, else the nearest
 * backup's.  Pages a backup holds are read-only for everyone: their
 * leaves lack MMU_WRITE even in writable vareas.  A process that forks
 * without writing leaves an empty level (its object had no pages of its
 * own), so a chain of such forks is mostly empty levels: each backup
 * remembers the nearest level at or below it that has pages (skip,
 * valid until the hierarchy's gen changes: a backup gained a page, or a
 * level went), and lookups jump over the empty ones.  A lookup then
 * costs one step per level that has pages, not per fork.
 *
 * A write fault on a backup's page copies it into the writer's own index
 * (FAULT_FIXED_COW), except when no one else can see it: the page is in
 * the writer's own backup (the first level), the backup's other user has
 * a page of its own at that offset (so nothing above it sees this one),
 * and the frame's only references are the backup's index and the
 * writer's leaf.  Then the node moves up into the writer's index with no
 * allocation and no copy (FAULT_FIXED).
 *
 * Collapse: when one of a backup's two users goes (its object destroyed,
 * or itself collapsed), the backup merges into the survivor at once: the
 * survivor's pages win, the backup's others move up (the smaller index
 * is walked), the survivor takes over the backup's own backup link.  So a
 * chain has one level per fork whose both sides are still alive, and the
 * last user of a page reaches it in its own index again (a write then
 * only makes the leaf writable).  Pages the survivor's vareas no longer
 * cover (unmapped after the fork) stay in its index until it is
 * destroyed.
 *
 * References: a backup's index holds one reference per frame, as any
 * object's; each leaf, in whichever aspace, holds one more.
 *
 * Locking: a backup and its chain are shared by several aspaces, and a
 * collapse changes the survivor, which may belong to another aspace, so
 * every object a fork family shares pages through is in one hierarchy
 * (struct cow_tree) whose lock guards all their indexes and links.  Each
 * hook takes it inside its aspace's lock (mm/anon.c); objects never
 * forked have none and need only their aspace's lock.
 */
#include <lib/err.h>
#include <lib/panic.h>
#include <arch/arch.h>
#include <mm/heap.h>
#include <mm/page.h>
#include "anon_internal.h"

/* ---- the hierarchy lock ----------------------------------------------------------- */

struct cow_tree *cow_lock(struct anon_obj *ao) NO_THREAD_SAFETY_ANALYSIS
{
	struct cow_tree *t = ao->tree;

	if (!t)
		return NULL;
	spin_lock(&t->lock);
	/* Alone in it, with no backup: no other aspace can reach @ao any
	 * more (a collapse left it the last of its family), so it is private
	 * again.  Only here, under @ao's own aspace lock, may ->tree change. */
	if (t->refs == 1 && !ao->backup) {
		ao->tree = NULL;
		spin_unlock(&t->lock);
		kfree(t);
		return NULL;
	}
	return t;
}

void cow_unlock(struct cow_tree *t) NO_THREAD_SAFETY_ANALYSIS
{
	if (t)
		spin_unlock(&t->lock);
}

struct cow_tree *cow_leave(struct anon_obj *ao) NO_THREAD_SAFETY_ANALYSIS
{
	struct cow_tree *t = ao->tree;

	if (!t)
		return NULL;
	spin_assert_held(&t->lock);
	return --t->refs ? NULL : t;
}

/*
 * The nearest level at or below the backup @b (or NULL) that has pages.
 * A chain of forks whose middle processes wrote nothing is mostly empty
 * levels: the answer is kept in @b until the hierarchy changes, so a
 * lookup costs one step per level that has pages, whatever the depth.
 */
static struct anon_obj *with_pages(struct anon_obj *b)
{
	struct anon_obj *s;

	if (!b || b->npages)
		return b;
	if (b->skip_gen == b->tree->gen)
		return b->skip;
	for (s = b->backup; s && !s->npages; s = s->backup)
		;
	b->skip = s;
	b->skip_gen = b->tree->gen;
	return s;
}

struct anon_page *anon_backup_lookup(struct anon_obj *ao, uint64_t offset,
                                     struct anon_obj **level)
{
	for (struct anon_obj *b = with_pages(ao->backup); b; b = with_pages(b->backup)) {
		struct anon_page *ap = anon_lookup(b, offset);

		if (ap) {
			if (level)
				*level = b;
			return ap;
		}
	}
	return NULL;
}

/* In backup @b's users, @old becomes @new. */
static void replace_user(struct anon_obj *b, struct anon_obj *old, struct anon_obj *new)
{
	int i = b->user[0] == old ? 0 : b->user[1] == old ? 1 : -1;

	if (i < 0)
		panic("anon: a backup does not know one of its users");
	b->user[i] = new;
}

static struct anon_obj *other_user(const struct anon_obj *b, const struct anon_obj *ao)
{
	return b->user[0] == ao ? b->user[1] : b->user[0];
}

static void free_node(struct anon_page *ap)
{
	page_put(ap->page);
	kmem_cache_free(anon_page_cache, ap);
}

/*
 * Move @from's pages into @to, whose own pages win where both have one.
 * Walks the smaller index: when @to's is smaller the two are exchanged
 * first, and then the incoming pages are the winners.
 */
static void absorb(struct anon_obj *to, struct anon_obj *from)
{
	int incoming_win = 0;
	struct anon_page *ap, *clash;

	if (to->npages < from->npages) {
		struct anon_tree t = to->pages;
		uint64_t n = to->npages;

		to->pages = from->pages;
		to->npages = from->npages;
		from->pages = t;
		from->npages = n;
		incoming_win = 1;
	}
	while ((ap = RB_MIN(anon_tree, &from->pages))) {
		RB_REMOVE(anon_tree, &from->pages, ap);
		from->npages--;
		clash = RB_INSERT(anon_tree, &to->pages, ap);
		if (!clash) {
			to->npages++;
			continue;
		}
		if (incoming_win) {
			RB_REMOVE(anon_tree, &to->pages, clash);
			RB_INSERT(anon_tree, &to->pages, ap);
			ap = clash;
		}
		free_node(ap);
	}
}

/* @b has one user left, @r: merge @b into it and free @b. */
static void collapse(struct anon_obj *b, struct anon_obj *r)
{
	b->tree->gen++;   /* a level goes, and @r may gain pages */
	absorb(r, b);
	r->backup = b->backup;
	if (r->backup)
		replace_user(r->backup, b, r);
	cow_leave(b);   /* r is still in the hierarchy: never the last */
	kmem_cache_free(anon_obj_cache, b);
}

void anon_backup_unlink(struct anon_obj *ao)
{
	struct anon_obj *b = ao->backup;

	ao->backup = NULL;
	replace_user(b, ao, NULL);
	if (--b->obj.refcount != 1)
		panic("anon: a backup with %u users", b->obj.refcount + 1);
	collapse(b, b->user[0] ? b->user[0] : b->user[1]);
}

/* ---- faults ----------------------------------------------------------------------- */

/*
 * No one but the writer can reach @shared (see the top of the file):
 * @mapped says whether the writer's leaf maps it (and holds a reference).
 */
static int last_holder(struct anon_obj *ao, struct anon_page *shared, struct anon_obj *level,
                       int mapped)
{
	struct anon_obj *other;

	if (!level || level != ao->backup)
		return 0;   /* deeper, or the source's page */
	other = other_user(level, ao);
	return other && anon_lookup(other, shared->index << PAGE_SHIFT) &&
	       page_refcount(shared->page) == 1u + (mapped ? 1u : 0u);
}

/* The node moves from the backup into @ao's index; the leaf becomes writable. */
static enum fault_result take_over(struct varea *va, const struct fault *f, uintptr_t addr,
                                   struct anon_page *shared, struct anon_obj *level,
                                   unsigned flags) REQUIRES(va->as->lock)
{
	struct anon_obj *ao = to_anon(va->obj);
	int rc;

	RB_REMOVE(anon_tree, &level->pages, shared);
	level->npages--;
	anon_insert(ao, shared);
	rc = anon_set_frame(va, f, addr, shared->page, shared->page, flags);
	if (rc) {
		RB_REMOVE(anon_tree, &ao->pages, shared);
		ao->npages--;
		anon_insert(level, shared);
		return anon_map_error(rc);
	}
	return FAULT_FIXED;
}

/*
 * The writer gets its own copy, replacing the shared page's leaf in one
 * step if there is one (pt_replace() cannot fail on it: nothing to
 * allocate).  A failure leaves contents and references as they were.
 */
static enum fault_result copy(struct varea *va, const struct fault *f, uintptr_t addr,
                              struct anon_page *shared, unsigned flags) REQUIRES(va->as->lock)
{
	struct anon_obj *ao = to_anon(va->obj);
	struct anon_page *ap = anon_add(ao, shared->index << PAGE_SHIFT);
	int rc;

	if (!ap)
		return FAULT_OOM;
	arch_copy_page(page_to_va(ap->page), page_to_va(shared->page));
	rc = anon_set_frame(va, f, addr, ap->page, shared->page, flags);
	if (rc) {
		anon_drop(ao, ap);
		return anon_map_error(rc);
	}
	return FAULT_FIXED_COW;
}

enum fault_result anon_cow_fault(struct varea *va, uintptr_t addr, struct anon_page *shared,
                                 struct anon_obj *level, const struct fault *f)
	REQUIRES(va->as->lock)
{
	unsigned rw = varea_mmu_flags(va), ro = rw & ~MMU_WRITE;
	int mapped = f->leaf != NULL, rc;

	if (mapped && arch_pte_pa(*f->leaf) != page_to_pa(shared->page))
		panic("anon: a leaf maps a frame its object does not show");
	if (f->access != FAULT_WRITE) {
		rc = mapped && f->leaf_flags == ro
		             ? E_OK
		             : anon_set_frame(va, f, addr, shared->page, shared->page, ro);
		return rc ? anon_map_error(rc) : FAULT_FIXED;
	}
	if (last_holder(to_anon(va->obj), shared, level, mapped))
		return take_over(va, f, addr, shared, level, rw);
	return copy(va, f, addr, shared, rw);
}

/* anon_cow_own(), saying in *@from (when not NULL) which backup a taken-over page left. */
static struct anon_page *own(struct anon_obj *ao, uint64_t offset, struct anon_page **spares,
                             struct anon_obj **from)
{
	struct anon_page *ap = anon_lookup(ao, offset), *shared = NULL;
	struct anon_obj *level = NULL;

	if (from)
		*from = NULL;
	if (ap)
		return ap;
	if (ao->backup)
		shared = anon_backup_lookup(ao, offset, &level);
	if (shared && last_holder(ao, shared, level, 0)) {
		RB_REMOVE(anon_tree, &level->pages, shared);
		level->npages--;
		anon_insert(ao, shared);
		if (from)
			*from = level;
		return shared;
	}
	if (spares && *spares) {
		ap = *spares;
		*spares = RB_LEFT(ap, node);
		ap->index = offset >> PAGE_SHIFT;
		anon_insert(ao, ap);
	} else if (!(ap = anon_add(ao, offset))) {
		return NULL;
	}
	if (shared)
		arch_copy_page(page_to_va(ap->page), page_to_va(shared->page));
	else
		arch_clear_page(page_to_va(ap->page));
	return ap;
}

struct anon_page *anon_cow_own(struct anon_obj *ao, uint64_t offset, struct anon_page **spares)
{
	return own(ao, offset, spares, NULL);
}

struct anon_page *anon_cow_own_undoable(struct anon_obj *ao, uint64_t offset,
                                        struct anon_own_undo *undo)
{
	return own(ao, offset, NULL, &undo->from);
}

void anon_cow_own_undo(struct anon_obj *ao, struct anon_page *ap, const struct anon_own_undo *undo)
{
	if (!undo->from) {
		anon_drop(ao, ap);
		return;
	}
	RB_REMOVE(anon_tree, &ao->pages, ap);
	ao->npages--;
	anon_insert(undo->from, ap);
}

/* ---- fork ------------------------------------------------------------------------- */

static void init_obj(struct anon_obj *n, const struct anon_obj *like)
{
	n->obj.ops = &anon_ops;
	RB_INIT(&n->pages);
	n->base = like->base;
	n->end = like->end;
}

int anon_fork_prepare(struct mem_obj *obj)
{
	struct anon_obj *ao = to_anon(obj), *c, *b = NULL;

	if (ao->fork_child)
		return E_OK;     /* another varea of the same object */
	c = kmem_cache_alloc(anon_obj_cache, KM_ZERO);
	if (!c)
		return E_NOMEM;
	/* An object with nothing in it or below needs no backup: the child
	 * starts empty, as the parent is.  (Only an object with a backup
	 * can gain pages from another aspace: through a collapse.) */
	struct cow_tree *held = cow_lock(ao);
	int needs_backup = ao->npages || ao->backup;

	cow_unlock(held);
	if (needs_backup) {
		b = kmem_cache_alloc(anon_obj_cache, KM_ZERO);
		/* The first fork of a family starts its hierarchy. */
		struct cow_tree *t = ao->tree ? NULL : kmalloc(sizeof(*t), KM_ZERO);
		if (!b || (!ao->tree && !t)) {
			if (b)
				kmem_cache_free(anon_obj_cache, b);
			kfree(t);
			kmem_cache_free(anon_obj_cache, c);
			return E_NOMEM;
		}
		if (t)
			spin_init(&t->lock);
		ao->fork_tree = t;
		init_obj(b, ao);
	}
	init_obj(c, ao);
	c->source = ao->source;  /* a live object holds its source */
	if (c->source)
		mem_obj_get(c->source);
	c->obj.refcount = 1;     /* fork's own, until commit or abort */
	ao->fork_child = c;
	ao->fork_backup = b;
	return E_OK;
}

struct mem_obj *anon_fork_child(struct mem_obj *obj)
{
	return &to_anon(obj)->fork_child->obj;
}

void anon_fork_commit(struct mem_obj *obj)
{
	struct anon_obj *ao = to_anon(obj), *c = ao->fork_child, *b = ao->fork_backup;

	if (!c)
		return;
	ao->fork_child = ao->fork_backup = NULL;
	if (b) {
		struct cow_tree *t = ao->tree ? ao->tree : ao->fork_tree;

		spin_lock(&t->lock);
		if (!ao->tree) {
			ao->tree = t;
			t->refs = 1;
			t->gen = 1;       /* skip links start stale (skip_gen 0) */
		}
		ao->fork_tree = NULL;
		b->tree = c->tree = t;
		t->refs += 2;
		b->pages = ao->pages;     /* the whole index: its root changes hands */
		b->npages = ao->npages;
		RB_INIT(&ao->pages);
		ao->npages = 0;
		b->backup = ao->backup;
		if (b->backup)
			replace_user(b->backup, ao, b);
		b->user[0] = ao;
		b->user[1] = c;
		b->obj.refcount = 2;
		ao->backup = b;
		c->backup = b;
		spin_unlock(&t->lock);
	}
	mem_obj_put(&c->obj);
}

void anon_fork_abort(struct mem_obj *obj)
{
	struct anon_obj *ao = to_anon(obj), *c = ao->fork_child;

	if (!c)
		return;
	if (ao->fork_backup)
		kmem_cache_free(anon_obj_cache, ao->fork_backup);
	kfree(ao->fork_tree);
	ao->fork_child = ao->fork_backup = NULL;
	ao->fork_tree = NULL;
	mem_obj_put(&c->obj);
}
