/* Self-check helpers for user programs; see <utest.h>. */
#include <string.h>

#include <utest.h>

int ut_checks, ut_failed;

static const char *const errno_names[] = {
	[1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR", [5] = "EIO",
	[6] = "ENXIO", [7] = "E2BIG", [8] = "ENOEXEC", [9] = "EBADF", [10] = "ECHILD",
	[11] = "EAGAIN", [12] = "ENOMEM", [13] = "EACCES", [14] = "EFAULT",
	[16] = "EBUSY", [17] = "EEXIST", [19] = "ENODEV", [22] = "EINVAL",
	[38] = "ENOSYS",
};

/* Four rotating buffers: a FAIL line formats two values at once. */
static char *scratch(void)
{
	static char bufs[4][32];
	static unsigned int next;

	return bufs[next++ % 4];
}

const char *ut_ret_str(long r)
{
	char *b = scratch();

	if (sys_is_err(r) && -r < (long)(sizeof(errno_names) / sizeof(errno_names[0])) &&
	    errno_names[-r])
		return errno_names[-r];
	if (sys_is_err(r))
		snprintf(b, 32, "errno%ld", -r);
	else
		snprintf(b, 32, "%ld", r);
	return b;
}

const char *ut_status_str(int status)
{
	char *b = scratch();

	if (U_WIFEXITED(status))
		snprintf(b, 32, "exited %d", U_WEXITSTATUS(status));
	else if (U_WIFSIGNALED(status))
		snprintf(b, 32, "signal %d", U_WTERMSIG(status));
	else
		snprintf(b, 32, "status 0x%x", status);
	return b;
}

static void verdict(const char *what, int good, const char *got, const char *want)
{
	ut_checks++;
	if (good) {
		printf("ok %s: %s\n", what, got);
	} else {
		ut_failed++;
		printf("FAIL %s: got %s want %s\n", what, got, want);
	}
}

void ut_ret(const char *what, long got, long want)
{
	verdict(what, got == want, ut_ret_str(got), ut_ret_str(want));
}

void ut_eq(const char *what, long got, long want)
{
	char *g = scratch(), *w = scratch();

	snprintf(g, 32, "%ld", got);
	snprintf(w, 32, "%ld", want);
	verdict(what, got == want, g, w);
}

void ut_true(const char *what, int cond)
{
	verdict(what, cond, cond ? "yes" : "no", "yes");
}

void ut_status(const char *what, int status, int want)
{
	/* The core-dump bit (0x80) depends on the host's limits, not on us. */
	if (U_WIFSIGNALED(status))
		status &= 0x7f;
	verdict(what, status == want, ut_status_str(status), ut_status_str(want));
}

int ut_wait(long pid)
{
	int status = 0;
	long r = sys_wait4(pid, &status, 0, NULL);

	if (r != pid)
		return sys_is_err(r) ? (int)r : -1;
	return status;
}

int ut_child(void (*fn)(void *), void *arg)
{
	long pid;
	int status;

	fflush(stdout);
	pid = sys_clone(U_SIGCHLD, NULL);
	if (pid == 0) {
		fn(arg);
		u_exit(0);
	}
	if (pid < 0) {
		ut_ret("fork", pid, 1);
		return -1;
	}
	status = ut_wait(pid);
	if (status < 0)
		ut_ret("wait4", status, pid);
	return status;
}

int ut_done(void)
{
	printf("done %d checks, %d failed\n", ut_checks, ut_failed);
	return ut_failed ? 1 : 0;
}

/* xorshift32 from seed, one 32-bit word at a time. */
static uint32_t next_word(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

void ut_fill(void *p, size_t len, uint32_t seed)
{
	uint32_t x = seed | 1, *w = p;

	for (size_t i = 0; i < len / 4; i++)
		w[i] = next_word(&x);
}

int ut_matches(const void *p, size_t len, uint32_t seed)
{
	uint32_t x = seed | 1;
	const uint32_t *w = p;

	for (size_t i = 0; i < len / 4; i++)
		if (w[i] != next_word(&x))
			return 0;
	return 1;
}

int ut_is_zero(const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i])
			return 0;
	return 1;
}

struct probe {
	void *addr;
	enum ut_access kind;
};

static void probe_child(void *arg)
{
	struct probe *p = arg;

	switch (p->kind) {
	case UT_READ:
		(void)ut_read8(p->addr);
		break;
	case UT_WRITE:
		ut_write8(p->addr, 0x5a);
		break;
	case UT_EXEC:
		((long (*)(void))ut_hide(p->addr))();
		break;
	}
}

int ut_probe(void *addr, enum ut_access kind)
{
	struct probe p = { addr, kind };

	return ut_child(probe_child, &p);
}

void *ut_map(size_t len, int prot)
{
	long r = sys_mmap(NULL, len, prot, U_MAP_PRIVATE | U_MAP_ANONYMOUS, -1, 0);

	if (sys_is_err(r)) {
		ut_ret("mmap for the test", r, 0);
		return NULL;
	}
	return (void *)r;
}

void ut_put_ret42(void *p)
{
#if defined(__riscv)
	static const uint32_t code[] = { 0x02a00513, 0x00008067 };  /* li a0, 42; ret */
#elif defined(__aarch64__)
	static const uint32_t code[] = { 0xd2800540, 0xd65f03c0 };  /* mov x0, #42; ret */
#endif
	memcpy(p, code, sizeof(code));
	__builtin___clear_cache((char *)p, (char *)p + sizeof(code));
}
