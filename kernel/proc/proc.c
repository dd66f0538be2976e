/*
 * Processes and sessions (kernel/proc/proc.h): spawning, the thread that
 * runs a process, fork, exit, wait, kill.
 */
#include <stdio.h>
#include <string.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <arch/smp.h>
#include <arch/trap_frame.h>
#include <arch/user.h>
#include <exec/fiber.h>
#include <lib/err.h>
#include <lib/panic.h>
#include <lib/words.h>
#include <mm/aspace.h>
#include <mm/heap.h>
#include <mm/pt.h>
#include <proc/elf.h>
#include <proc/proc.h>

int proc_check_on_exit;
static int next_pid = 1;          /* atomic */
static unsigned nprocs;           /* atomic */

unsigned proc_count(void)
{
	return __atomic_load_n(&nprocs, __ATOMIC_RELAXED);
}

static struct proc *proc_alloc(struct session *s, const char *name)
{
	struct proc *p = kmalloc(sizeof(*p), KM_ZERO);

	if (!p)
		return NULL;
	p->pid = __atomic_fetch_add(&next_pid, 1, __ATOMIC_RELAXED);
	p->session = s;
	LIST_INIT(&p->children);
	strlcpy(p->name, name, sizeof(p->name));
	__atomic_fetch_add(&nprocs, 1, __ATOMIC_RELAXED);
	return p;
}

static void proc_free(struct proc *p)
{
	if (p->as)
		aspace_destroy(p->as);
	kfree(p->fork_tf);
	kfree(p);
	__atomic_fetch_sub(&nprocs, 1, __ATOMIC_RELAXED);
}

void proc_return_slow(struct proc *p)
{
	this_cpu()->proc = p;
	__atomic_store_n(&p->user_entries, p->user_entries + 1, __ATOMIC_RELAXED);
	if (aspace_current() != p->as)
		aspace_switch(p->as);
	int sig = __atomic_load_n(&p->killed, __ATOMIC_ACQUIRE);

	if (sig)
		proc_exit(p, W_SIGNALED(sig));
}

void proc_yield(struct proc *p)
{
	fiber_yield();
	proc_return_slow(p);
}

/*
 * Enter user mode through @tf, a frame in the first function of this
 * thread's stack (so at its top: what lies above is abandoned).
 */
static __attribute__((noreturn)) void enter(struct proc *p, struct trap_frame *tf)
{
	proc_return_slow(p);
	arch_user_enter(tf);
}

/* The first process of a session: its image is loaded already. */
static intptr_t first_main(void *arg)
{
	struct proc *p = arg;
	struct trap_frame tf;

	arch_user_frame_init(&tf, p->entry, p->sp);
	enter(p, &tf);
}

_Static_assert(sizeof(struct trap_frame) % 8 == 0, "trap frames are copied by words");

/* A fork child: from its parent's frame of the fork (copied once, by words). */
static intptr_t child_main(void *arg)
{
	struct proc *p = arg;
	struct trap_frame tf;

	words_copy(&tf, p->fork_tf, sizeof(tf));
	kfree(p->fork_tf);
	p->fork_tf = NULL;
	enter(p, &tf);
}

/* @p's thread, on CPU @cpu (where every process of its session runs). */
static int start_thread(struct proc *p, fiber_entry_t entry, unsigned cpu)
{
	p->fiber = fiber_create_on(cpu, p->name, entry, p, PROC_KSTACK_SIZE, FIBER_POPULATE);
	return p->fiber ? E_OK : E_NOMEM;
}

/* ---- spawning ------------------------------------------------------------- */

int proc_spawn(const struct user_prog *prog, char *const argv[], char *const envp[],
               unsigned cpu, int echo, struct session **out)
{
	struct session *s;
	struct proc *p;
	int rc;

	if (cpu >= cpu_count || !__atomic_load_n(&cpus[cpu].online, __ATOMIC_ACQUIRE))
		return E_NOENT;
	s = kmalloc(sizeof(*s), KM_ZERO);
	if (!s)
		return E_NOMEM;
	s->cpu = cpu;
	s->echo = echo;
	s->waiter = cpu_num();
	TAILQ_INIT(&s->procs);
	p = proc_alloc(s, prog->name);
	if (!p) {
		kfree(s);
		return E_NOMEM;
	}
	rc = aspace_create(p->name, &p->as);
	if (rc == E_OK)
		rc = elf_exec(p, prog, argv, envp);
	if (rc == E_OK) {
		s->first = p;
		s->live = 1;
		TAILQ_INSERT_TAIL(&s->procs, p, in_session);
		rc = start_thread(p, first_main, cpu);
		if (rc)
			TAILQ_REMOVE(&s->procs, p, in_session);
	}
	if (rc) {
		proc_free(p);
		kfree(s);
		return rc;
	}
	*out = s;
	return E_OK;
}

int proc_session_wait(struct session *s)
{
	unsigned long irq = arch_irq_save();

	while (!__atomic_load_n(&s->done, __ATOMIC_ACQUIRE)) {
		if (s->cpu == cpu_num()) {
			arch_irq_restore(irq);
			fiber_yield();
			irq = arch_irq_save();
		} else {
			arch_cpu_idle();   /* the session's end sends an IPI; ticks too */
		}
	}
	arch_irq_restore(irq);
	return s->status;
}

void proc_session_free(struct session *s)
{
	struct proc *p;

	if (!__atomic_load_n(&s->done, __ATOMIC_ACQUIRE))
		panic("proc_session_free: session still running");
	while ((p = TAILQ_FIRST(&s->procs))) {
		TAILQ_REMOVE(&s->procs, p, in_session);
		fiber_join(p->fiber);
		proc_free(p);
	}
	kfree(s->out);
	kfree(s);
}

void proc_kill(struct proc *p, int sig)
{
	__atomic_store_n(&p->killed, sig, __ATOMIC_RELEASE);
}

/* ---- exit, fork, wait -------------------------------------------------------- */

void proc_exit(struct proc *p, int wstatus)
{
	struct session *s = p->session;
	struct proc *c;

	if (p->as) {
		if (proc_check_on_exit)
			s->check_failures += aspace_check(p->as) + pt_audit(p->as->pt);
		aspace_destroy(p->as);
		p->as = NULL;
	}
	this_cpu()->proc = NULL;
	while ((c = LIST_FIRST(&p->children))) {   /* orphans: reaped with the session */
		LIST_REMOVE(c, sibling);
		c->parent = NULL;
	}
	p->wstatus = wstatus;
	p->state = PROC_ZOMBIE;
	if (p == s->first)
		s->status = wstatus;
	if (--s->live == 0) {
		__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
		if (s->waiter != cpu_num())
			arch_ipi_send(&cpus[s->waiter]);
	}
	fiber_exit(0);
}

int proc_fork(struct proc *p, const struct trap_frame *tf, struct proc **out)
{
	arch_fp_flush();   /* the child's FP state is the frame's: out of the registers */
	struct proc *c = proc_alloc(p->session, p->name);
	int rc;

	if (!c)
		return E_NOMEM;
	c->fork_tf = kmalloc(sizeof(*tf), 0);
	rc = c->fork_tf ? aspace_fork(p->as, &c->as) : E_NOMEM;
	if (rc == E_OK) {
		words_copy(c->fork_tf, tf, sizeof(*tf));
		arch_syscall_return(c->fork_tf, 0);   /* the child returns 0 from the call */
		c->brk_start = p->brk_start;
		c->brk = p->brk;
		c->brk_limit = p->brk_limit;
		rc = start_thread(c, child_main, cpu_num());
		/* aspace_fork() made the parent's leaves read-only: its
		 * TLB entries are flushed there. */
	}
	if (rc) {
		proc_free(c);
		return rc;
	}
	c->parent = p;
	LIST_INSERT_HEAD(&p->children, c, sibling);
	TAILQ_INSERT_TAIL(&p->session->procs, c, in_session);
	p->session->live++;
	*out = c;
	return E_OK;
}

int proc_wait_child(struct proc *p, int pid, int nohang, int *wstatus)
{
	for (;;) {
		struct proc *c, *found = NULL;
		int any = 0;

		LIST_FOREACH(c, &p->children, sibling) {
			if (pid > 0 && c->pid != pid)
				continue;
			any = 1;
			if (c->state == PROC_ZOMBIE) {
				found = c;
				break;
			}
		}
		if (!any)
			return E_NOENT;
		if (found) {
			int cpid = found->pid;

			*wstatus = found->wstatus;
			LIST_REMOVE(found, sibling);
			TAILQ_REMOVE(&p->session->procs, found, in_session);
			fiber_join(found->fiber);
			proc_free(found);
			return cpid;
		}
		if (nohang)
			return 0;
		/* The child runs on this CPU: it is on the run queue. */
		proc_yield(p);
	}
}

/* ---- output -------------------------------------------------------------------- */

void proc_output(struct proc *p, const char *buf, size_t n)
{
	struct session *s = p->session;

	if (s->echo)
		fwrite(buf, 1, n, stdout);
	if (s->out_len + n > SESSION_OUT_MAX) {
		s->out_lost = 1;           /* a bound: a program cannot fill the kernel heap */
		return;
	}
	if (s->out_len + n > s->out_cap) {
		size_t cap = s->out_cap ? s->out_cap : 4096;

		while (cap < s->out_len + n)
			cap *= 2;
		char *grown = kmalloc(cap, 0);

		if (!grown) {
			s->out_lost = 1;
			return;
		}
		if (s->out_len)
			memcpy(grown, s->out, s->out_len);
		kfree(s->out);
		s->out = grown;
		s->out_cap = cap;
	}
	memcpy(s->out + s->out_len, buf, n);
	s->out_len += n;
}
