/*
 * The kernel command line (/chosen bootargs, QEMU -append): words
 * separated by spaces, each "key=value" or a bare flag.
 *
 *   ktest=all | ktest=<suite>[,<suite>...]   run self-tests at boot
 *   poweroff                                  power off after them
 *   bench=<what>                              run benchmarks (reserved)
 *   mmu=sv39                                  riscv64: 3-level tables even
 *                                             when the hart has Sv48
 */
#ifndef LIB_CMDLINE_H
#define LIB_CMDLINE_H

#include <stddef.h>

#define CMDLINE_MAX 512

struct cmdline {
	char buf[CMDLINE_MAX];   /* the words, NUL-separated; options point in */
	const char *ktest;       /* NULL when absent */
	const char *bench;
	const char *mmu;         /* "sv39": force 3 levels (read at boot, riscv64) */
	int poweroff;
	int unknown;             /* how many words were not understood */
};

/*
 * Parse @line into @out.  Unknown words and malformed known ones are
 * reported on the console and counted in out->unknown, never fatal.
 * Returns E_OK, or E_RANGE when @line is longer than CMDLINE_MAX - 1
 * (nothing parsed then).
 */
int cmdline_parse(const char *line, struct cmdline *out);

#endif
