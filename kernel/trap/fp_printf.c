/*
 * picolibc's printf family copies its va_list through q0-q1 on aarch64
 * (it is built with FP/SIMD, the kernel is not): on a process thread
 * those registers may hold the program's live FP state (trap entry saves
 * none, see "FP/SIMD state" in docs/architecture.md).  The kernel links
 * with --wrap for these four, so every call stores that state into the
 * thread's frame first (arch_fp_flush(): nothing to do, a load and a
 * branch, when no user state is live).  This file is built with FP (the
 * Makefile's FP_SRCS), so a caller's double arguments reach the real
 * function: the register saves of va_start only read FP registers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <arch/user.h>

int __real_vprintf(const char *fmt, va_list ap);
int __real_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int __wrap_vprintf(const char *fmt, va_list ap);
int __wrap_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int __wrap_printf(const char *fmt, ...);
int __wrap_snprintf(char *buf, size_t size, const char *fmt, ...);

int __wrap_vprintf(const char *fmt, va_list ap)
{
	arch_fp_flush();
	return __real_vprintf(fmt, ap);
}

int __wrap_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	arch_fp_flush();
	return __real_vsnprintf(buf, size, fmt, ap);
}

int __wrap_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	arch_fp_flush();
	va_start(ap, fmt);
	n = __real_vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int __wrap_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	arch_fp_flush();
	va_start(ap, fmt);
	n = __real_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
