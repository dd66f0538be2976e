/* ThreadSanitizer reports as test failures (tsan_report.h). */
#include "tsan_report.h"

#if defined(__SANITIZE_THREAD__)
#define HOST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HOST_TSAN 1
#endif
#endif

#ifdef HOST_TSAN
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lib/ktest.h>

/* The sanitizers' own interface (<sanitizer/common_interface_defs.h>). */
void __sanitizer_set_report_path(const char *path);

#define MAX_LINES 80   /* printed per case; the file has the rest */

static char prefix[512], path[540];
static long seen;   /* bytes of the report file already shown */

__attribute__((constructor)) static void report_to_file(void)
{
	const char *p = getenv("KTEST_TSAN_REPORT");

	snprintf(prefix, sizeof(prefix), "%s", p && *p ? p : "tsan-report");
	snprintf(path, sizeof(path), "%s.%d", prefix, (int)getpid());
	remove(path);
	__sanitizer_set_report_path(prefix);
}

int tsan_new_reports(void)
{
	FILE *f = fopen(path, "r");
	char line[512];
	long end;
	int n = 0, more = 0;

	if (!f)
		return 0;
	fseek(f, 0, SEEK_END);
	end = ftell(f);
	if (end <= seen) {
		fclose(f);
		return 0;
	}
	fseek(f, seen, SEEK_SET);
	ktest_log("ThreadSanitizer reported (full text in %s):", path);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (n++ < MAX_LINES)
			ktest_log("| %s", line);
		else
			more++;
	}
	if (more)
		ktest_log("| ... %d more lines", more);
	seen = end;
	fclose(f);
	return 1;
}

#else

int tsan_new_reports(void)
{
	return 0;
}

#endif
