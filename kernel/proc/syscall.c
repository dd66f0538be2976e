/*
 * System calls from user mode: Linux's generic ABI (numbers from
 * include/uapi/asm-generic/unistd.h, errno values from
 * asm-generic/errno-base.h and errno.h, flags from
 * asm-generic/mman-common.h, mman.h and linux/mman.h), so a static
 * program built for Linux runs unchanged.  Each call checks every
 * argument the way Linux does, in Linux's order where the order decides
 * which error comes back; a bad pointer is EFAULT, never a kernel fault.
 *
 * Where this kernel differs on purpose (W^X: PROT_WRITE|PROT_EXEC is
 * EACCES; no files: a mapping that is not anonymous is EBADF), the
 * differences are listed in tests/user/divergences.txt.
 */
#include <stdio.h>
#include <string.h>
#include <arch/arch.h>
#include <arch/trap.h>
#include <arch/user.h>
#include <exec/fiber.h>
#include <exec/tramp.h>
#include <lib/err.h>
#include <mm/aspace.h>
#include <mm/usercopy.h>
#include <mm/vmo.h>
#include <proc/proc.h>

/* Linux's generic system-call numbers. */
enum {
	NR_write = 64, NR_exit = 93, NR_exit_group = 94, NR_sched_yield = 124,
	NR_getpid = 172, NR_getppid = 173, NR_gettid = 178, NR_brk = 214,
	NR_munmap = 215, NR_mremap = 216, NR_clone = 220, NR_mmap = 222,
	NR_mprotect = 226, NR_madvise = 233, NR_wait4 = 260,
	/* arbor's own, past the end of Linux's table (Linux: ENOSYS). */
	NR_arbor_tramp_window = 1100, NR_arbor_tramp_unmap = 1101,
};

/* errno values. */
enum {
	EPERM = 1, ENOENT = 2, EBADF = 9, ECHILD = 10, ENOMEM = 12, EACCES = 13,
	EFAULT = 14, EEXIST = 17, EINVAL = 22, ENOSYS = 38,
};

#define PROT_READ     0x1
#define PROT_WRITE    0x2
#define PROT_EXEC     0x4
#define PROT_SEM      0x8
#define LX_MAP_SHARED    0x01
#define LX_MAP_PRIVATE   0x02
#define LX_MAP_TYPE      0x0f
#define LX_MAP_FIXED     0x10
#define LX_MAP_ANONYMOUS 0x20
#define LX_MAP_POPULATE  0x008000
#define LX_MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE   1
#define MREMAP_FIXED     2
#define MREMAP_DONTUNMAP 4
#define MADV_NORMAL   0
#define MADV_RANDOM   1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define WNOHANG       1
#define WUNTRACED     2
#define WCONTINUED    8
#define WALL_BITS     0xe0000000ul   /* __WNOTHREAD, __WALL, __WCLONE */

typedef long (*sys_fn)(struct proc *p, struct trap_frame *tf, const unsigned long *a);

static unsigned long page_up(unsigned long x)
{
	return (x + PAGE_MASK) & ~(unsigned long)PAGE_MASK;
}

/* The user range the process may use (Linux's TASK_SIZE). */
static unsigned long task_size(const struct proc *p)
{
	return p->as->end;
}

/* ---- process ------------------------------------------------------------------ */

static long sys_write(struct proc *p, struct trap_frame *tf, const unsigned long *a)
{
	unsigned long fd = a[0], buf = a[1], n = a[2], done = 0;
	char chunk[256];

	if (fd != 1 && fd != 2)
		return -EBADF;
	while (done < n) {
		size_t k = n - done < sizeof(chunk) ? n - done : sizeof(chunk);

		if (copy_from_user(chunk, buf + done, k))
			return done ? (long)done : -EFAULT;
		proc_output(p, chunk, k);
		done += k;
	}
	return (long)done;
}

static long sys_exit(struct proc *p, struct trap_frame *tf, const unsigned long *a)
{
	proc_exit(p, W_EXITED((int)a[0]));
}

static long sys_getpid(struct proc *p, struct trap_frame *tf, const unsigned long *a)
{
	return p->pid;
}

static long sys_getppid(struct proc *p, struct trap_frame *tf, const unsigned long *a)
{
	return p->parent ? p->parent->pid : 0;
}

static long sys_sched_yield(struct proc *p, struct trap_frame *tf, const unsigned long *a)
{
	proc_yield(p);
	return 0;
}

/* clone(flags, newsp, parent_tid, tls, child_tid): fork semantics only. */
static long sys_clone(struct proc *p, struct trap_frame *tf, const unsigned long *a)
{
	struct proc *child;
	int rc;

	if (a[0] != SIGCHLD || a[1])
		return -EINVAL;   /* threads and other signals are not supported */
	rc = proc_fork(p, tf, &child);
	if (rc)
		return -ENOMEM;
	return child->pid;
}

static long sys_wait4(struct proc *p, struct trap_frame *tf, const unsigned long *a)
{
	long pid = (int)a[0];
	unsigned long ustatus = a[1], options = a[2], rusage = a[3];
	int wstatus, rc;

	if (options & ~(unsigned long)(WNOHANG | WUNTRACED | WCONTINUED | WALL_BITS))
		return -EINVAL;
	if (pid == 0)
		pid = -1;         /* the caller's process group: all its children are in it */
	if (pid < -1)
		return -ECHILD;   /* another process group: none of its children */
	rc = proc_wait_child(p, (int)pid, options & WNOHANG, &wstatus);
	if (rc == E_NOENT)
		return -ECHILD;
	if (rc > 0) {
		if (ustatus && copy_to_user(ustatus, &wstatus, sizeof(wstatus)))
			return -EFAULT;
		if (rusage) {
			static const char zero[144];   /* struct rusage on 64-bit Linux */

			if (copy_to_user(rusage, zero, sizeof(zero)))
				return -EFAULT;
		}
	}
	return rc;
}

/* ---- memory ----------------------------------------------------------------- */

/*
 * brk(addr): Linux's rules: 0 or an address outside [start, limit)
 * returns the current break unchanged; otherwise the break moves there,
 * pages mapped or unmapped on page boundaries, and the new break comes
 * back (the old one when memory ran out).
 */
static long sys_brk(struct proc *p, struct trap_frame *tf, const unsigned long *a)
{
	unsigned long want = a[0], old_top = page_up(p->brk), new_top = page_up(want);
	int rc = E_OK;

	if (want < p->brk_start || want > p->brk_limit)
		return (long)p->brk;
	if (new_top > old_top)
		rc = aspace_protect(p->as, old_top, new_top - old_top, MMU_READ | MMU_WRITE);
	else if (new_top < old_top) {
		/* Given back: fresh reserved range (its pages go now). */
		rc = aspace_discard(p->as, new_top, old_top - new_top);
		if (rc == E_OK)
			rc = aspace_protect(p->as, new_top, old_top - new_top, 0);
	}
	if (rc == E_OK)
		p->brk = want;
	return (long)p->brk;
}

static unsigned prot_perms(unsigned long prot)
{
	if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return 0;
	return MMU_READ | (prot & PROT_WRITE ? MMU_WRITE : 0) | (prot & PROT_EXEC ? MMU_EXEC : 0);
}

/* Private anonymous memory, or a mapping of the shared object @shared. */
static int map_anon(struct proc *p, uintptr_t *where, uint64_t len, unsigned perms,
                    unsigned vflags, struct vmo *shared)
{
	if (shared)
		return aspace_map(p->as, where, len, 0, perms, vflags, vmo_obj(shared), 0);
	return aspace_map_anon(p->as, where, len, 0, perms, vflags);
}

/* mmap(addr, length, prot, flags, fd, offset): anonymous memory only. */
static long sys_mmap(struct proc *p, struct trap_frame *tf, const unsigned long *a)
{
	unsigned long addr = a[0], len = a[1], prot = a[2], flags = a[3], off = a[5];
	unsigned vflags = flags & LX_MAP_POPULATE ? VAREA_POPULATE : 0;
	uintptr_t where;
	int rc;

	if (off & PAGE_MASK)
		return -EINVAL;
	if (!(flags & LX_MAP_ANONYMOUS))
		return -EBADF;              /* no files */
	if (!len)
		return -EINVAL;
	if (flags & LX_MAP_FIXED_NOREPLACE)
		flags |= LX_MAP_FIXED;
	len = page_up(len);
	if (!len)
		return -ENOMEM;
	if (flags & LX_MAP_FIXED) {
		if (addr & PAGE_MASK)
			return -EINVAL;
		if (len > task_size(p) || addr > task_size(p) - len)
			return -ENOMEM;
	}
	switch (flags & LX_MAP_TYPE) {
	case LX_MAP_PRIVATE:
	case LX_MAP_SHARED:
		break;
	default:
		return -EINVAL;
	}
	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EACCES;             /* W^X */
	/* Shared anonymous memory is a memory object of its own, mapped
	 * shared: fork keeps it shared. */
	struct vmo *shared = NULL;
	if ((flags & LX_MAP_TYPE) == LX_MAP_SHARED) {
		rc = vmo_create(len, 0, "shared", &shared);
		if (rc)
			return -ENOMEM;
	}
	if (flags & LX_MAP_FIXED_NOREPLACE) {
		where = addr;
		rc = map_anon(p, &where, len, prot_perms(prot), vflags, shared);
		if (rc == E_EXIST || rc == E_RANGE)
			rc = E_EXIST;
	} else if (flags & LX_MAP_FIXED) {
		where = addr;
		rc = map_anon(p, &where, len, prot_perms(prot), vflags | MAP_FIXED, shared);
	} else {
		/* A hint is taken when the range is free, as Linux does. */
		where = page_up(addr);
		rc = E_EXIST;
		if (where && where >= p->as->base && len <= task_size(p) &&
		    where <= task_size(p) - len)
			rc = map_anon(p, &where, len, prot_perms(prot), vflags, shared);
		if (rc == E_EXIST || rc == E_RANGE) {
			where = 0;
			rc = map_anon(p, &where, len, prot_perms(prot), vflags, shared);
		}
	}
	if (shared)
		vmo_put(shared);            /* the mapping holds it now, or nothing does */
	if (rc == E_EXIST && (flags & LX_MAP_FIXED_NOREPLACE))
		return -EEXIST;
	if (rc == E_NOMEM || rc == E_RANGE || rc == E_OVERFLOW)
		return -ENOMEM;
	if (rc)
		return -EINVAL;
	return (long)where;
}

static long sys_munmap(struct proc *p, struct trap_frame *tf, const unsigned long *a)
{
	unsigned long addr = a[0], len = a[1];

	if ((addr & PAGE_MASK) || !len || len > task_size(p) || addr > task_size(p) - len)
		return -EINVAL;
	len = page_up(len);
	if (addr < p->as->base) {
		/* Page 0 is never mapped: only what lies above it goes. */
		if (addr + len <= p->as->base)
			return 0;
		len -= p->as->base - addr;
		addr = p->as->base;
	}
	return aspace_unmap(p->as, addr, len) ? -ENOMEM : 0;
}

/* How much of [addr, addr + len) is mapped without a hole from addr on. */
static unsigned long mapped_prefix(struct proc *p, unsigned long addr, unsigned long len)
{
	struct aspace_query q;
	unsigned long at = addr;

	while (at < addr + len && aspace_query(p->as, at, &q) == E_OK)
		at = q.start + q.size;
	return (at < addr + len ? at : addr + len) - addr;
}

static long sys_mprotect(struct proc *p, struct trap_frame *tf, const unsigned long *a)
{
	unsigned long addr = a[0], len = a[1], prot = a[2];
	int rc;

	if (addr & PAGE_MASK)
		return -EINVAL;
	if (!len)
		return 0;
	len = page_up(len);
	if (!len || addr + len <= addr)
		return -ENOMEM;
	if (prot & ~(unsigned long)(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;
	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EACCES;             /* W^X */
	if (addr < p->as->base || addr + len > task_size(p))
		return -ENOMEM;
	/* Linux changes the mapped pages up to the first hole, then says
	 * ENOMEM: the covered prefix is changed here too. */
	unsigned long covered = mapped_prefix(p, addr, len);
	if (!covered)
		return -ENOMEM;
	rc = aspace_protect(p->as, addr, covered, prot_perms(prot));
	if (rc == E_PERM)
		return -EACCES;             /* more than the mapping may ever have */
	if (rc)
		return rc == E_NOMEM || rc == E_NOENT || rc == E_RANGE ? -ENOMEM : -EINVAL;
	return covered < len ? -ENOMEM : 0;
}

static long sys_madvise(struct proc *p, struct trap_frame *tf, const unsigned long *a)
{
	unsigned long addr = a[0], len = a[1], advice = a[2];
	int rc;

	switch (advice) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
	case MADV_DONTNEED:
		break;
	default:
		return -EINVAL;
	}
	if (addr & PAGE_MASK)
		return -EINVAL;
	len = page_up(a[1]);
	if ((a[1] && !len) || addr + len < addr)
		return -EINVAL;
	if (!len)
		return 0;
	if (addr < p->as->base || addr + len > task_size(p))
		return -ENOMEM;
	if (advice != MADV_DONTNEED) {
		/* Hints: nothing to do, but a hole is still ENOMEM. */
		return mapped_prefix(p, addr, len) < len ? -ENOMEM : 0;
	}
	rc = aspace_discard(p->as, addr, len);
	return rc == E_OK ? 0 : -ENOMEM;
}

/*
 * What Linux calls one mapping (a vma) may be several vareas here: a
 * varea moved and grown keeps its object and gets a fresh one for the
 * growth, and objects that were forked do not merge.  Linux's mremap
 * needs its range in one vma; here the range must be covered, without a
 * hole, by vareas of one kind (the same permissions and flags), which is
 * what one vma is.  One varea: aspace_remap() does it all.  Several: the
 * destination is reserved first, then each varea moves into its place
 * in it, then the growth gets the vareas' permissions.
 */
#define REMAP_PIECES 16

static int remap_mapping(struct proc *p, uintptr_t old, uint64_t old_len, uint64_t new_len,
                         unsigned flags, uintptr_t *where)
{
	uintptr_t starts[REMAP_PIECES], end = old + old_len, at = old, dest;
	uint64_t sizes[REMAP_PIECES];
	struct aspace_query q, first;
	unsigned n = 0;
	int rc;

	if (end <= old)
		return E_NOENT;
	while (at < end) {
		if (aspace_query(p->as, at, &q) || n == REMAP_PIECES)
			return E_NOENT;
		if (!n)
			first = q;
		else if (q.perms != first.perms || q.flags != first.flags)
			return E_NOENT;
		uintptr_t hi = q.start + q.size < end ? q.start + q.size : end;

		starts[n] = at;
		sizes[n++] = hi - at;
		at = hi;
	}
	if (n == 1)
		return aspace_remap(p->as, old, old_len, new_len, flags, where);
	/* In place, when the last varea ends the range and the pages above are free. */
	if (!(flags & REMAP_FIXED) && q.start + q.size == end) {
		dest = end;
		rc = aspace_map_anon(p->as, &dest, new_len - old_len, 0, first.perms, 0);
		if (rc == E_OK) {
			*where = old;
			return E_OK;
		}
		if (rc != E_EXIST && rc != E_RANGE)
			return rc;
	}
	if (!(flags & REMAP_MAYMOVE))
		return E_NOMEM;
	dest = flags & REMAP_FIXED ? *where : 0;
	rc = aspace_map_anon(p->as, &dest, new_len, 0, 0, flags & REMAP_FIXED ? MAP_FIXED : 0);
	if (rc)
		return rc;
	for (unsigned i = 0; i < n && rc == E_OK; i++) {
		uintptr_t to = dest + (starts[i] - old);

		rc = aspace_remap(p->as, starts[i], sizes[i], sizes[i], REMAP_MAYMOVE | REMAP_FIXED, &to);
	}
	if (rc == E_OK && new_len > old_len && first.perms)
		rc = aspace_protect(p->as, dest + old_len, new_len - old_len, first.perms);
	if (rc == E_OK)
		*where = dest;
	return rc;
}

static long sys_mremap(struct proc *p, struct trap_frame *tf, const unsigned long *a)
{
	unsigned long old = a[0], old_len = a[1], new_len = a[2], flags = a[3];
	uintptr_t where = a[4];
	unsigned rflags = 0;
	int rc;

	if (flags & ~(unsigned long)(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if (flags & MREMAP_DONTUNMAP)
		return -EINVAL;             /* not supported */
	if (old & PAGE_MASK)
		return -EINVAL;
	old_len = page_up(old_len);
	new_len = page_up(new_len);
	if (!new_len)
		return -EINVAL;
	if (flags & MREMAP_FIXED) {
		if (where & PAGE_MASK)
			return -EINVAL;
		if (new_len > task_size(p) || where > task_size(p) - new_len)
			return -EINVAL;
		if (where < old + old_len && old < where + new_len)
			return -EINVAL;
		/* Linux's mremap_to(): the destination goes first, then the
		 * tail a shrink drops; only what is left must be one mapping. */
		unsigned long dst[2] = { where, new_len };
		if (sys_munmap(p, tf, dst))
			return -EINVAL;
		if (old_len > new_len) {
			unsigned long tail[2] = { old + new_len, old_len - new_len };

			if (sys_munmap(p, tf, tail))
				return -EINVAL;
			old_len = new_len;
		}
		rflags = REMAP_MAYMOVE | REMAP_FIXED;
	} else if (flags & MREMAP_MAYMOVE) {
		rflags = REMAP_MAYMOVE;
	}
	if (!(flags & MREMAP_FIXED) && old_len >= new_len) {
		/* Shrinking unmaps the tail, mapped or not. */
		if (old_len > new_len) {
			unsigned long un[2] = { old + new_len, old_len - new_len };

			if (sys_munmap(p, tf, un))
				return -EINVAL;
		}
		return (long)old;
	}
	if (!old_len)
		return -EINVAL;             /* only shared mappings can be duplicated */
	rc = remap_mapping(p, old, old_len, new_len, rflags, &where);
	if (rc == E_NOENT || rc == E_RANGE || rc == E_OVERFLOW)
		return -EFAULT;
	if (rc == E_NOMEM)
		return -ENOMEM;
	if (rc)
		return -EINVAL;
	return (long)where;
}

/* ---- trampoline windows (arbor's own calls) ------------------------------------ */

/*
 * arbor_tramp_window(addr): map a trampoline window (kernel/exec/tramp.h)
 * into the process, at @addr (aligned to its size) or anywhere when 0;
 * returns its base.  The first page is the kernel's trampoline code,
 * aliased read+execute; the rest is the process's own read+write
 * memory, which its library fills (user/lib/utramp.c).
 */
static long sys_tramp_window(struct proc *p, struct trap_frame *tf, const unsigned long *a)
{
	uintptr_t base = a[0];
	int rc = tramp_window_map(p->as, &base);

	if (rc == E_EXIST)
		return -EEXIST;
	if (rc == E_NOMEM || rc == E_RANGE)
		return -ENOMEM;
	return rc ? -EINVAL : (long)base;
}

static long sys_tramp_unmap(struct proc *p, struct trap_frame *tf, const unsigned long *a)
{
	int rc = tramp_window_unmap(p->as, a[0]);

	return rc == E_NOENT ? -ENOENT : rc ? -EINVAL : 0;
}

/* ---- dispatch --------------------------------------------------------------- */

static const sys_fn table[] = {
	[NR_write] = sys_write,
	[NR_exit] = sys_exit,
	[NR_exit_group] = sys_exit,
	[NR_sched_yield] = sys_sched_yield,
	[NR_getpid] = sys_getpid,
	[NR_getppid] = sys_getppid,
	[NR_gettid] = sys_getpid,
	[NR_brk] = sys_brk,
	[NR_munmap] = sys_munmap,
	[NR_mremap] = sys_mremap,
	[NR_clone] = sys_clone,
	[NR_mmap] = sys_mmap,
	[NR_mprotect] = sys_mprotect,
	[NR_madvise] = sys_madvise,
	[NR_wait4] = sys_wait4,
	[NR_arbor_tramp_window] = sys_tramp_window,
	[NR_arbor_tramp_unmap] = sys_tramp_unmap,
};

/*
 * Every system call, straight from the arch's trap entry: through the
 * table, the arguments read in place in the frame, then back to user
 * mode through proc_return() (a switch, a kill); the arch puts the result
 * into the result register, and has moved the pc past the call already.  A trap from user mode
 * always has a process: it returned to user mode on this CPU.
 */
static __attribute__((noinline)) long return_slow(struct proc *p, long ret)
{
	proc_return_slow(p);
	return ret;
}

long trap_syscall(struct trap_frame *tf)
{
	struct proc *p = proc_current();
	unsigned long nr = arch_syscall_nr(tf);
	long ret = -ENOSYS;

	if (nr < sizeof(table) / sizeof(table[0]) && table[nr])
		ret = table[nr](p, tf, arch_syscall_args(tf));
	/* proc_return(), with the result passed through the slow path: it
	 * then lives in no callee-saved register. */
	if (!proc_return_is_quick(p))
		return return_slow(p, ret);
	return ret;
}
