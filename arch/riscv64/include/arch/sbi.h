/* Supervisor Binary Interface calls (RISC-V SBI spec v1.0). */
#ifndef ARCH_SBI_H
#define ARCH_SBI_H

#define SBI_EXT_BASE  0x10
#define SBI_EXT_SRST  0x53525354   /* "SRST", system reset extension */
#define SBI_EXT_HSM   0x48534d     /* "HSM", hart state management */
#define SBI_EXT_IPI   0x735049     /* "sPI", inter-processor interrupts */
#define SBI_EXT_RFNC  0x52464e43   /* "RFNC", remote fences */
#define SBI_EXT_TIME  0x54494d45   /* "TIME", the timer */

#define SBI_HSM_HART_START      0
#define SBI_IPI_SEND            0
#define SBI_RFNC_SFENCE_VMA     1
#define SBI_RFNC_SFENCE_VMA_ASID 2

#define SBI_RESET_SHUTDOWN 0
#define SBI_RESET_COLD     1
#define SBI_RESET_REASON_NONE    0
#define SBI_RESET_REASON_FAILURE 1

struct sbiret {
	long error;
	long value;
};

struct sbiret sbi_call(long ext, long fid, long a0, long a1, long a2);
struct sbiret sbi_call5(long ext, long fid, long a0, long a1, long a2, long a3, long a4);
long sbi_probe_extension(long ext);
void sbi_system_reset(long type, long reason);

#endif
