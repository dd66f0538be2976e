/*
 * Stack growth: 256 KiB of frames, each page filled and checked on the
 * way back; a 64 KiB array touched from its lowest byte first (below
 * everything touched so far); a child's deep stack is its own.
 */
#include <string.h>

#include <utest.h>

static int depth_ok(int n)
{
	volatile uint32_t frame[1024];  /* 4 KiB per level */
	int ok;

	for (int i = 0; i < 1024; i++)
		frame[i] = (uint32_t)(n * 1024 + i);
	ok = n == 0 ? 1 : depth_ok(n - 1);
	for (int i = 0; i < 1024; i++)
		ok &= frame[i] == (uint32_t)(n * 1024 + i);
	return ok;
}

static int low_first(void)
{
	volatile char big[64 * 1024];

	big[0] = 1;  /* lowest address first */
	big[sizeof(big) - 1] = 2;
	return big[0] == 1 && big[sizeof(big) - 1] == 2;
}

static void child_deep(void *arg)
{
	(void)arg;
	if (!depth_ok(64))
		sys_exit_group(1);
}

int main(void)
{
	ut_true("64 levels of 4 KiB frames", depth_ok(64));
	ut_true("again, over the grown stack", depth_ok(64));
	ut_true("64 KiB array touched lowest byte first", low_first());
	ut_status("a child's deep stack", ut_child(child_deep, NULL), ut_exited(0));
	return ut_done();
}
