/*
 * picolibc's tinystdio over the write system call: stdin, stdout and
 * stderr are one stream on fd 1 (the console on arbor, the captured
 * standard output under qemu-user).  Output is kept in a line buffer and
 * written at each newline, so a line is one write and lines from a parent
 * and its children never interleave inside a line.
 */
#include <stdio.h>

#include <usys.h>

static char line[512];
static size_t line_len;

static int out_flush(FILE *f)
{
	size_t done = 0;

	(void)f;
	while (done < line_len) {
		long r = sys_write(1, line + done, line_len - done);
		if (r <= 0)
			break;  /* nowhere to report it: drop the line */
		done += (size_t)r;
	}
	line_len = 0;
	return 0;
}

static int out_put(char c, FILE *f)
{
	line[line_len++] = c;
	if (c == '\n' || line_len == sizeof(line))
		out_flush(f);
	return (unsigned char)c;
}

static FILE out_file = FDEV_SETUP_STREAM(out_put, NULL, out_flush, _FDEV_SETUP_WRITE);
FILE *const stdin = &out_file;
FILE *const stdout = &out_file;
FILE *const stderr = &out_file;
