/*
 * The user programs' system-call layer: Linux's generic system-call ABI
 * (include/uapi/asm-generic/unistd.h), which riscv64 and arm64 share, so
 * the same static binary runs on arbor and on Linux.
 *
 * Two levels:
 *   - sys_<name>(): the raw call.  Returns what the kernel returned: a
 *     value >= 0, or a negative errno (-4095..-1).  Tests use these, to
 *     see the kernel's exact answer.
 *   - <name>(): libc-like wrappers (write, getpid, mmap, fork, waitpid,
 *     ...) that set picolibc's errno and return -1 (MAP_FAILED for mmap).
 *
 * Every number below was checked against Linux 6.1's uapi headers:
 * asm-generic/unistd.h (calls), asm-generic/errno-base.h and errno.h,
 * asm-generic/mman-common.h and linux/mman.h (mmap, mremap flags),
 * asm-generic/signal.h, linux/wait.h, linux/auxvec.h.
 */
#ifndef USYS_H
#define USYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "usys_arch.h"

/* System-call numbers (asm-generic/unistd.h). */
#define NR_mkdirat     34
#define NR_mount       40
#define NR_openat      56
#define NR_close       57
#define NR_write       64
#define NR_exit        93
#define NR_exit_group  94
#define NR_sched_yield 124
#define NR_reboot      142
#define NR_getpid      172
#define NR_brk         214
#define NR_munmap      215
#define NR_mremap      216
#define NR_clone       220
#define NR_mmap        222 /* __NR3264_mmap */
#define NR_mprotect    226
#define NR_madvise     233
#define NR_wait4       260

/* errno values (asm-generic/errno-base.h, errno.h). */
#define U_EPERM   1
#define U_ESRCH   3
#define U_EINTR   4
#define U_EBADF   9
#define U_ECHILD  10
#define U_EAGAIN  11
#define U_ENOMEM  12
#define U_EACCES  13
#define U_EFAULT  14
#define U_EEXIST  17
#define U_EINVAL  22
#define U_ENOSYS  38

/* mmap and mprotect (asm-generic/mman-common.h, linux/mman.h). */
#define U_PROT_NONE  0x0
#define U_PROT_READ  0x1
#define U_PROT_WRITE 0x2
#define U_PROT_EXEC  0x4
#define U_MAP_SHARED          0x01
#define U_MAP_PRIVATE         0x02
#define U_MAP_FIXED           0x10
#define U_MAP_ANONYMOUS       0x20
#define U_MAP_FIXED_NOREPLACE 0x100000
#define U_MADV_DONTNEED 4
#define U_MREMAP_MAYMOVE 1
#define U_MREMAP_FIXED   2

/* Signals (asm-generic/signal.h) and wait4 (linux/wait.h). */
#define U_SIGILL  4
#define U_SIGTRAP 5
#define U_SIGBUS  7
#define U_SIGSEGV 11
#define U_SIGCHLD 17
#define U_WNOHANG 0x1

/* Files (linux/fcntl.h, asm-generic/fcntl.h) and reboot (linux/reboot.h):
 * what Linux's /init needs (make bench-linux); arbor has none of them. */
#define U_AT_FDCWD (-100)
#define U_O_WRONLY 01
#define U_LINUX_REBOOT_MAGIC1        0xfee1deadUL
#define U_LINUX_REBOOT_MAGIC2        672274793UL
#define U_LINUX_REBOOT_CMD_POWER_OFF 0x4321fedcUL

/* Auxiliary-vector keys (linux/auxvec.h). */
#define U_AT_NULL   0
#define U_AT_PHDR   3
#define U_AT_PHENT  4
#define U_AT_PHNUM  5
#define U_AT_PAGESZ 6
#define U_AT_ENTRY  9
#define U_AT_RANDOM 25

#define U_PAGE_SIZE 4096UL

/* One system call: the number and six arguments in the arch's registers
 * (user/<arch>/usys_arch.h), the result in the first argument's. */
static inline long usys_call6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r_nr __asm__(USYS_R_NR) = nr;
	register long r0 __asm__(USYS_R0) = a;
	register long r1 __asm__(USYS_R1) = b;
	register long r2 __asm__(USYS_R2) = c;
	register long r3 __asm__(USYS_R3) = d;
	register long r4 __asm__(USYS_R4) = e;
	register long r5 __asm__(USYS_R5) = f;

	__asm__ volatile(USYS_INSN
			 : "+r"(r0)
			 : "r"(r_nr), "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5)
			 : "memory");
	return r0;
}

/* A raw result that is an error: Linux's -4095..-1. */
static inline int sys_is_err(long r)
{
	return r < 0 && r >= -4095;
}

#define USYS_L(x) ((long)(x))

static inline long sys_write(int fd, const void *buf, size_t len)
{
	return usys_call6(NR_write, fd, USYS_L(buf), USYS_L(len), 0, 0, 0);
}

__attribute__((noreturn)) static inline void sys_exit(int status)
{
	usys_call6(NR_exit, status, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

__attribute__((noreturn)) static inline void sys_exit_group(int status)
{
	usys_call6(NR_exit_group, status, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

static inline long sys_getpid(void)
{
	return usys_call6(NR_getpid, 0, 0, 0, 0, 0, 0);
}

static inline long sys_sched_yield(void)
{
	return usys_call6(NR_sched_yield, 0, 0, 0, 0, 0, 0);
}

/* Linux's brk returns the new break, or the old one when it refuses. */
static inline long sys_brk(void *addr)
{
	return usys_call6(NR_brk, USYS_L(addr), 0, 0, 0, 0, 0);
}

static inline long sys_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return usys_call6(NR_mmap, USYS_L(addr), USYS_L(len), prot, flags, fd, off);
}

static inline long sys_munmap(void *addr, size_t len)
{
	return usys_call6(NR_munmap, USYS_L(addr), USYS_L(len), 0, 0, 0, 0);
}

static inline long sys_mprotect(void *addr, size_t len, int prot)
{
	return usys_call6(NR_mprotect, USYS_L(addr), USYS_L(len), prot, 0, 0, 0);
}

static inline long sys_madvise(void *addr, size_t len, int advice)
{
	return usys_call6(NR_madvise, USYS_L(addr), USYS_L(len), advice, 0, 0, 0);
}

static inline long sys_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
	return usys_call6(NR_mremap, USYS_L(old), USYS_L(old_len), USYS_L(new_len), flags,
			  USYS_L(new_addr), 0);
}

/* clone(flags, stack, parent_tid, tls, child_tid): the generic order. */
static inline long sys_clone(unsigned long flags, void *stack)
{
	return usys_call6(NR_clone, USYS_L(flags), USYS_L(stack), 0, 0, 0, 0);
}

static inline long sys_wait4(long pid, int *status, int options, void *rusage)
{
	return usys_call6(NR_wait4, pid, USYS_L(status), options, USYS_L(rusage), 0, 0);
}

static inline long sys_mkdirat(int dirfd, const char *path, int mode)
{
	return usys_call6(NR_mkdirat, dirfd, USYS_L(path), mode, 0, 0, 0);
}

static inline long sys_mount(const char *src, const char *target, const char *type,
			     unsigned long flags, const void *data)
{
	return usys_call6(NR_mount, USYS_L(src), USYS_L(target), USYS_L(type), USYS_L(flags),
			  USYS_L(data), 0);
}

static inline long sys_openat(int dirfd, const char *path, int flags, int mode)
{
	return usys_call6(NR_openat, dirfd, USYS_L(path), flags, mode, 0, 0);
}

static inline long sys_close(int fd)
{
	return usys_call6(NR_close, fd, 0, 0, 0, 0, 0);
}

static inline long sys_reboot(unsigned long magic1, unsigned long magic2, unsigned long cmd)
{
	return usys_call6(NR_reboot, USYS_L(magic1), USYS_L(magic2), USYS_L(cmd), 0, 0, 0);
}

static inline long sys_call(long nr, long a, long b, long c)
{
	return usys_call6(nr, a, b, c, 0, 0, 0);
}

/* libc-like wrappers (user/lib/usys.c): errno and -1 on failure. */
#define MAP_FAILED ((void *)-1)
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int munmap(void *addr, size_t len);
int mprotect(void *addr, size_t len, int prot);
int madvise(void *addr, size_t len, int advice);
void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...);
int sched_yield(void);
pid_t fork(void);
pid_t waitpid(pid_t pid, int *status, int options);
int brk(void *addr);

/* Wait statuses as Linux encodes them. */
#define U_WIFEXITED(s)   (((s) & 0x7f) == 0)
#define U_WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define U_WIFSIGNALED(s) (((s) & 0x7f) != 0 && ((s) & 0x7f) != 0x7f)
#define U_WTERMSIG(s)    ((s) & 0x7f)

/* What the start code found (user/lib/ustart.c). */
extern long *u_entry_sp;        /* sp at _start: &argc */
extern unsigned long *u_auxv;   /* the auxiliary vector */
extern char **environ;
unsigned long u_getauxval(unsigned long key); /* 0 when absent */

/* Flush stdout, then exit_group(status). */
__attribute__((noreturn)) void u_exit(int status);

#endif
