/*
 * The kernel command line (/chosen bootargs, QEMU -append): words
 * separated by spaces or tabs, each "key=value" or a bare flag.  When an
 * option is given twice, the last non-empty value wins.
 *
 *   ktest=all | ktest=<suite>[,<suite>...]   run self-tests at boot
 *   poweroff                                  power off after them
 *   bench=all | bench=<case>[,<case>...]      run benchmarks
 *   urun=<prog>[:<arg>...][,...]              user programs for the proc
 *                                             suite's test_cmdline_runs
 *                                             (make fuzz-user)
 *   mmu=sv39 | mmu=sv48                       riscv64: 3- or 4-level tables
 *                                             (read before the MMU is on,
 *                                             mm/boot/boot_mmu.c)
 *
 * An empty value ("ktest=", or a list of empty names: "ktest=,,") is
 * reported and ignored, as if the option were absent.
 */
#ifndef LIB_CMDLINE_H
#define LIB_CMDLINE_H

#include <stddef.h>

struct cmdline {
	const char *ktest;       /* NULL when absent */
	const char *bench;
	const char *urun;        /* user programs to run: "prog:arg:arg,prog" */
	const char *mmu;         /* the depth itself is chosen in boot_mmu.c */
	int poweroff;
	int unknown;             /* how many words were not understood */
	const char *cut;         /* in the line: the first word that did not
	                          * fit in the buffer, NULL when all fit */
};

/*
 * Parse @line into @out.  The words are copied into @buf (@size bytes),
 * which the options then point into, so it must outlive them; a buffer of
 * strlen(@line) + 1 bytes always holds them all.  Unknown words and
 * malformed known ones are reported on the console and counted in
 * out->unknown, never fatal.  Returns E_OK, or E_RANGE when @buf is too
 * small: the words that fit are parsed and take effect, and the rest, from
 * out->cut on, is reported and ignored.
 */
int cmdline_parse(const char *line, char *buf, size_t size, struct cmdline *out);

/*
 * Find the last word "@key=<value>" of @line with a non-empty value (the
 * one cmdline_parse() keeps) and copy the value into @buf (@size bytes,
 * NUL-terminated, cut to fit).  Returns the value's full length, or -1
 * when there is none.  Byte loads and stores only and no library calls:
 * the boot code runs it with the MMU off (mm/boot/boot_mmu.c).
 */
int cmdline_find(const char *line, const char *key, char *buf, size_t size);

#endif
