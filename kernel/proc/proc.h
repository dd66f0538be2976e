/*
 * Processes: user programs in U-mode (riscv64) / EL0 (aarch64), with
 * Linux's memory system calls (kernel/proc/syscall.c).
 *
 * A process is a user aspace plus one thread: a kernel fiber that enters
 * user mode through a trap frame at the top of its kernel stack and comes
 * back on every trap (<arch/user.h>).  Programs are static ELF64
 * executables embedded in the kernel image (kernel/proc/elf.c).
 *
 * Sessions.  proc_spawn() starts a program as the first process of a new
 * session, on a CPU of the caller's choice; every process it forks joins
 * the session and runs on the same CPU.  So parent, children, their wait
 * and their reaping are all one CPU's, scheduled cooperatively with the
 * CPU's other fibers, and need no lock: kernel code of a process is never
 * preempted (interrupts stay masked while it runs; a tick taken in user
 * mode yields the CPU, so a spinning program cannot hold it).  Sessions
 * on different CPUs run in parallel.  The session's writes to fd 1 and 2
 * are kept in its output buffer (and printed at once when it echoes).
 * The spawner waits for the whole session (proc_session_wait()), then
 * reaps it, from any CPU (proc_session_free()).
 *
 * Exit statuses are Linux's wait statuses: (code & 0xff) << 8 for an
 * exit, the signal number for a kill (SIGSEGV for an unresolved fault,
 * SIGBUS, SIGILL, SIGTRAP as Linux sends them).
 */
#ifndef PROC_PROC_H
#define PROC_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <arch/cpu.h>
#include <arch/this_cpu.h>

struct aspace;
struct fiber;
struct trap_frame;
struct session;

/* Linux's signal numbers (asm-generic/signal.h) that the kernel sends. */
#define SIGILL   4
#define SIGTRAP  5
#define SIGBUS   7
#define SIGKILL  9
#define SIGSEGV  11
#define SIGCHLD  17

/* Wait statuses (what wait4 stores). */
#define W_EXITED(code)   (((code) & 0xff) << 8)
#define W_SIGNALED(sig)  ((sig) & 0x7f)

#define PROC_NAME_MAX    32
#define PROC_KSTACK_SIZE (16u << 10)    /* each thread's kernel stack, populated */
#define USER_STACK_SIZE  (8u << 20)     /* as Linux's default RLIMIT_STACK */
#define USER_BRK_WINDOW  (1ull << 30)   /* reserved above the image for brk */
#define SESSION_OUT_MAX  (1u << 20)     /* a session's output kept; the rest is lost (counted) */

enum proc_state { PROC_RUNNING, PROC_ZOMBIE };

struct proc {
	int pid;
	enum proc_state state;
	int wstatus;                    /* once a zombie */
	int killed;                     /* a signal to die by at the next return to user mode */
	struct session *session;
	struct proc *parent;            /* NULL: the session's first, or an orphan */
	LIST_HEAD(, proc) children;
	LIST_ENTRY(proc) sibling;
	TAILQ_ENTRY(proc) in_session;   /* every process of the session until reaped */
	struct aspace *as;
	struct fiber *fiber;
	struct trap_frame *fork_tf;     /* a fork child's first frame, until it runs */
	uintptr_t entry, sp;            /* the first process's start */
	uintptr_t brk_start, brk, brk_limit;
	unsigned long user_entries;     /* entries to user mode after giving the CPU up or a switch (relaxed; tests read it) */
	char name[PROC_NAME_MAX];
};

TAILQ_HEAD(proc_list, proc);

struct session {
	unsigned cpu;                   /* where its processes run */
	unsigned live;                  /* processes that have not exited */
	int done;                       /* every process exited (release; the spawner reads it) */
	unsigned waiter;                /* the spawner's CPU, woken when done */
	int status;                     /* the first process's wait status */
	struct proc *first;
	struct proc_list procs;
	int echo;                       /* print writes as they come, too */
	char *out;                      /* fd 1 and 2, in order */
	size_t out_len, out_cap;
	int out_lost;                   /* the buffer could not grow: some output is missing */
	int check_failures;             /* problems found by the checks at exit */
};

/*
 * When set, every process checks its aspace (aspace_check(), pt_audit())
 * as it exits and counts the problems in its session (the self-tests).
 */
extern int proc_check_on_exit;

/* An embedded program: its name and ELF image (kernel/proc/user_progs.c). */
struct user_prog {
	const char *name;
	const unsigned char *start, *end;
};

/* The embedded program named @name, or NULL. */
const struct user_prog *user_prog_find(const char *name);
/* The embedded programs: *@n of them. */
const struct user_prog *user_progs(size_t *n);

/*
 * Start @prog with the NULL-terminated @argv (argv[0] is the program's
 * name when NULL) and @envp (may be NULL) as the first process of a new
 * session on CPU @cpu.  The image is loaded (and checked) here, before
 * anything runs.  Returns E_OK and *@out; E_INVAL (not an ELF executable
 * for this arch, or a malformed one), E_PERM (a writable and executable
 * segment), E_NOMEM, E_RANGE (a segment outside user space), E_NOENT
 * (@cpu not online), E_OVERFLOW (arguments too long).
 */
int proc_spawn(const struct user_prog *prog, char *const argv[], char *const envp[],
               unsigned cpu, int echo, struct session **out);

/*
 * Wait until every process of @s has exited.  On the session's own CPU
 * the caller yields to them; elsewhere it sleeps until woken.  Returns
 * the first process's wait status.
 */
int proc_session_wait(struct session *s);

/* Reap every process of the ended session @s and free it (any CPU). */
void proc_session_free(struct session *s);

/*
 * Make @p die by @sig at its next return to user mode (from the
 * session's CPU, or any CPU: the flag is read by @p's CPU on its next
 * trap, and a tick brings one).
 */
void proc_kill(struct proc *p, int sig);

/* Processes alive or not yet reaped, in every session. */
unsigned proc_count(void);

/* ---- for the system calls (kernel/proc/syscall.c) ---------------------------- */

/*
 * For traps from user mode and system calls: the process whose user
 * context trapped on this CPU (the last one to return to user mode
 * here, struct cpu's proc, which a fiber switch clears), or NULL when
 * none has since the last switch or it ended.
 */
static inline struct proc *proc_current(void)
{
	return this_cpu()->proc;
}

/*
 * What proc_return() does when @p is not simply going back where it was;
 * also after the process gave the CPU up (proc_yield()) and on its first
 * entry.  Counts the entry (user_entries).
 */
void proc_return_slow(struct proc *p);

/*
 * Whether proc_return(@p) has nothing to do: no fiber switch since @p's
 * thread trapped (a switch clears struct cpu's proc, so @p's aspace is
 * still loaded too) and no kill pending.
 */
static inline int proc_return_is_quick(const struct proc *p)
{
	return this_cpu()->proc == p && !__atomic_load_n(&p->killed, __ATOMIC_RELAXED);
}

/*
 * Last thing before every return to user mode: make @p this CPU's
 * current process and its aspace this CPU's again (another process may
 * have run meanwhile), and end @p when it was killed.  Inline: on a trap
 * that did not switch, two checks that pass.
 */
static inline void proc_return(struct proc *p)
{
	if (!proc_return_is_quick(p))
		proc_return_slow(p);
}

/* Give the CPU to the other fibers, then take the process's aspace back. */
void proc_yield(struct proc *p);

/* End the running process with wait status @wstatus. */
void proc_exit(struct proc *p, int wstatus) __attribute__((noreturn));

/*
 * fork: a copy of @p (its aspace copy-on-write) that resumes after the
 * system call whose frame is @tf, with result 0.
 */
int proc_fork(struct proc *p, const struct trap_frame *tf, struct proc **child);

/*
 * wait4: reap a zombie child of @p (@pid > 0: that one; -1: any),
 * waiting for one unless @nohang.  Returns its pid and *@wstatus, 0 with
 * @nohang when none has ended yet, or E_NOENT when @p has no such child.
 */
int proc_wait_child(struct proc *p, int pid, int nohang, int *wstatus);

/* Append @n bytes to @p's session output. */
void proc_output(struct proc *p, const char *buf, size_t n);

#endif
