/* SBI calls: a7 = extension, a6 = function, a0..a5 arguments (SBI spec §3). */
#include <arch/sbi.h>

struct sbiret sbi_call5(long ext, long fid, long arg0, long arg1, long arg2, long arg3,
                        long arg4)
{
	register long a0 __asm__("a0") = arg0;
	register long a1 __asm__("a1") = arg1;
	register long a2 __asm__("a2") = arg2;
	register long a3 __asm__("a3") = arg3;
	register long a4 __asm__("a4") = arg4;
	register long a6 __asm__("a6") = fid;
	register long a7 __asm__("a7") = ext;

	__asm__ volatile("ecall"
	                 : "+r"(a0), "+r"(a1)
	                 : "r"(a2), "r"(a3), "r"(a4), "r"(a6), "r"(a7)
	                 : "memory");
	return (struct sbiret){ a0, a1 };
}

struct sbiret sbi_call(long ext, long fid, long arg0, long arg1, long arg2)
{
	return sbi_call5(ext, fid, arg0, arg1, arg2, 0, 0);
}

/* Base extension, function 3: nonzero when @ext is implemented. */
long sbi_probe_extension(long ext)
{
	struct sbiret r = sbi_call(SBI_EXT_BASE, 3, ext, 0, 0);

	return r.error ? 0 : r.value;
}

void sbi_system_reset(long type, long reason)
{
	if (sbi_probe_extension(SBI_EXT_SRST))
		sbi_call(SBI_EXT_SRST, 0, type, reason, 0);
}
