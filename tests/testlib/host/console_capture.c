/* Console capture on the host (console_capture.h). */
#include <stdio.h>
#include <drivers/console.h>
#include "console_capture.h"

static struct {
	char *buf;
	size_t size, len;
} capture;

void console_capture_start(char *buf, size_t size)
{
	fflush(stdout);
	capture.buf = buf;
	capture.size = size;
	capture.len = 0;
	if (size)
		buf[0] = '\0';
}

size_t console_capture_stop(void)
{
	fflush(stdout);
	capture.buf = NULL;
	return capture.len;
}

int console_capture_write(const char *buf, size_t size)
{
	if (!capture.buf)
		return 0;
	for (size_t i = 0; i < size; i++, capture.len++)
		if (capture.len + 1 < capture.size) {
			capture.buf[capture.len] = buf[i];
			capture.buf[capture.len + 1] = '\0';
		}
	return 1;
}
