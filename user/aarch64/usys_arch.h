/*
 * arm64 system-call instruction, as Linux takes it: the number in x8,
 * arguments in x0..x5, `svc #0`, the result in x0 (a negative errno on
 * failure).  Only the header user/include/usys.h includes this.
 */
#ifndef USYS_ARCH_H
#define USYS_ARCH_H

static inline long usys_call6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

#endif
