/*
 * Host unit tests: the same ktest runner and test API as in the kernel,
 * built natively with AddressSanitizer and UBSan.  Usage:
 *   ktest-host [all | suite[,suite...] | list]
 *
 * As on the kernel console, whatever code under test prints while a case
 * runs is turned into KTAP diagnostic lines: stdout goes through a stream
 * that puts the runner's prefix in front of every line, or into the
 * buffer of console_capture_start() while a test captures it.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <lib/ktest.h>
#include "console_capture.h"

static const char *prefix;
static int at_line_start = 1;

static void put(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(STDOUT_FILENO, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static ssize_t prefixing_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	if (console_capture_write(buf, size))
		return (ssize_t)size;
	for (size_t i = 0; i < size; i++) {
		if (at_line_start && prefix)
			put(prefix, strlen(prefix));
		put(&buf[i], 1);
		at_line_start = buf[i] == '\n';
	}
	return (ssize_t)size;
}

int ktest_console_prefix(const char *p);
int ktest_console_prefix(const char *p)
{
	fflush(stdout);
	prefix = p;
	return 1;
}

int main(int argc, char **argv)
{
	const char *spec = argc > 1 ? argv[1] : "all";
	cookie_io_functions_t io = { .write = prefixing_write };
	FILE *out = fopencookie(NULL, "w", io);

	if (!out)
		return 2;
	setvbuf(out, NULL, _IOLBF, 0);
	stdout = out;
	if (!strcmp(spec, "list")) {
		ktest_list();
		return 0;
	}
	int failed = ktest_run(spec);
	fflush(stdout);
	return failed ? 1 : 0;
}
