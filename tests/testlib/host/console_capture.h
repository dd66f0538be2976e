/*
 * console_capture_start() and console_capture_stop() (kernel/drivers/
 * console.h) on the host, so tests of what code prints run there too.
 */
#ifndef TESTLIB_HOST_CONSOLE_CAPTURE_H
#define TESTLIB_HOST_CONSOLE_CAPTURE_H

#include <stddef.h>

/*
 * The host's stdout stream (main.c) offers every write here first: while
 * a capture is on, the @size bytes at @buf go into its buffer and this
 * returns 1; otherwise 0, and the stream prints them.
 */
int console_capture_write(const char *buf, size_t size);

#endif
