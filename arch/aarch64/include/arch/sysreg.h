/* AArch64 system register access and the bits this kernel uses (Arm ARM D19). */
#ifndef ARCH_SYSREG_H
#define ARCH_SYSREG_H

#define sysreg_read(r) ({ unsigned long v_; \
	__asm__ volatile("mrs %0, " #r : "=r"(v_)); v_; })
#define sysreg_write(r, v) \
	__asm__ volatile("msr " #r ", %0" :: "r"((unsigned long)(v)) : "memory")
#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt ::: "memory")

#define DAIF_IRQ (1UL << 7)

#endif
