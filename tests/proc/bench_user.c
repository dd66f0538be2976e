/*
 * Benchmarks from user mode: each case runs the ubench program
 * (tests/user/progs/ubench.c) once, which counts the instructions of one
 * operation around it, trap and kernel work included, and prints them.
 * The sweeps run it once for many figures, which it prints itself
 * ("ubench-ops ..." and "ubench-grow ..." lines, tools/bench_table.py):
 *   ubench_grow      how cost grows, with the instruction counter
 *   ubench_grow_big  the same with the 100,000 sizes (1 GiB of memory)
 *   ubench_ops_vct   the user_* operations counted with the virtual
 *                    counter, as Linux's side of make bench-linux is
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arch/arch.h>
#include <arch/cpu.h>
#include <ktest/bench.h>
#include <proc/proc.h>

static uint64_t ubench(const char *op, const char *pages)
{
	const struct user_prog *prog = user_prog_find("ubench");
	char *argv[] = { "ubench", (char *)op, (char *)pages, NULL };
	struct session *s;
	uint64_t n = 0;
	int status;

	if (!prog || proc_spawn(prog, argv, NULL, cpu_num(), 0, &s)) {
		printf("bench: ubench %s: cannot start it\n", op);
		return 0;
	}
	arch_insn_counter_user(1);
	status = proc_session_wait(s);
	arch_insn_counter_user(0);
	if (s->out_len && s->out[s->out_len - 1] == '\n') {
		char line[96];
		size_t len = s->out_len < sizeof(line) ? s->out_len : sizeof(line) - 1;

		memcpy(line, s->out, len);
		line[len] = '\0';
		const char *num = strrchr(line, ' ');
		if (num && !strncmp(line, "ubench ", 7))
			n = strtoull(num + 1, NULL, 10);
	}
	if (status || !n)
		printf("bench: ubench %s: status %d, output '%.*s'\n", op, status,
		       (int)s->out_len, s->out ? s->out : "");
	proc_session_free(s);
	return n;
}

#define UBENCH(name, bound, op, pages)                                      \
	static uint64_t bench_##name(void) { return ubench(op, pages); }    \
	BENCH(name, bound, bench_##name)

UBENCH(user_null_syscall, NULL, "null_syscall", "1");
UBENCH(user_zero_fill_fault, "clear_page", "zero_fill_fault", "1");
UBENCH(user_read_fault, NULL, "read_fault", "1");
UBENCH(user_cow_fault, "copy_page", "cow_fault", "1");
UBENCH(user_last_holder_write, NULL, "last_holder_write", "1");
UBENCH(user_fork_1, NULL, "fork", "1");
UBENCH(user_fork_10000, NULL, "fork", "10000");
UBENCH(user_mmap_munmap, NULL, "mmap_munmap", "1");
UBENCH(user_munmap_1000, NULL, "munmap_populated", "1000");
UBENCH(user_direct_call, NULL, "direct_call", "1");
UBENCH(user_tramp_call, "user_direct_call", "tramp_call", "1");

/* Run ubench with @args (its output goes to the console as it comes). */
static void ubench_sweep(char *const argv[])
{
	const struct user_prog *prog = user_prog_find("ubench");
	struct session *s;
	int status;

	if (!prog || proc_spawn(prog, argv, NULL, cpu_num(), 1, &s)) {
		printf("bench: ubench %s: cannot start it\n", argv[1]);
		return;
	}
	arch_insn_counter_user(1);
	status = proc_session_wait(s);
	arch_insn_counter_user(0);
	if (status)
		printf("bench: ubench %s: status %d\n", argv[1], status);
	proc_session_free(s);
}

#define UBENCH_SWEEP(name, ...)                                               \
	static void sweep_##name(void)                                        \
	{                                                                     \
		char *argv[] = { "ubench", __VA_ARGS__, NULL };               \
		ubench_sweep(argv);                                           \
	}                                                                     \
	BENCH_SWEEP(name, sweep_##name)

UBENCH_SWEEP(ubench_grow, "grow");
UBENCH_SWEEP(ubench_grow_big, "grow", "big");
#if ARCH_aarch64
UBENCH_SWEEP(ubench_ops_vct, "ops", "vct");
#else
UBENCH_SWEEP(ubench_ops_vct, "ops");   /* no Linux to compare with: the instruction counter */
#endif
