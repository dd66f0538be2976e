/*
 * libc-like wrappers over the raw calls of <usys.h>: a failure sets
 * picolibc's errno and returns -1 (MAP_FAILED for mmap and mremap).
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include <usys.h>

static long ret(long r)
{
	if (sys_is_err(r)) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	return ret(sys_write(fd, buf, len));
}

void _exit(int status)
{
	sys_exit_group(status);
}

pid_t getpid(void)
{
	return (pid_t)sys_getpid();
}

int sched_yield(void)
{
	return (int)ret(sys_sched_yield());
}

/* Linux's brk returns the break it kept: anything else is a refusal. */
int brk(void *addr)
{
	if (sys_brk(addr) != (long)addr) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)ret(sys_mmap(addr, len, prot, flags, fd, off));
}

int munmap(void *addr, size_t len)
{
	return (int)ret(sys_munmap(addr, len));
}

int mprotect(void *addr, size_t len, int prot)
{
	return (int)ret(sys_mprotect(addr, len, prot));
}

int madvise(void *addr, size_t len, int advice)
{
	return (int)ret(sys_madvise(addr, len, advice));
}

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL;
	va_list ap;

	if (flags & U_MREMAP_FIXED) {
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	return (void *)ret(sys_mremap(old, old_len, new_len, flags, new_addr));
}

/* fork is clone(SIGCHLD) with no new stack: the child returns 0 on a copy
 * of the parent's.  stdout is flushed first, so the child does not print
 * the parent's pending output a second time. */
pid_t fork(void)
{
	fflush(stdout);
	return (pid_t)ret(sys_clone(U_SIGCHLD, NULL));
}

pid_t waitpid(pid_t pid, int *status, int options)
{
	return (pid_t)ret(sys_wait4(pid, status, options, NULL));
}
