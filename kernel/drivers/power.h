#ifndef DRIVERS_POWER_H
#define DRIVERS_POWER_H

struct fdt;

enum { POWER_SUCCESS = 0, POWER_FAILURE = 1 };

/* Learn the platform's power devices from the device tree. */
void power_fdt_init(const struct fdt *fdt);

/*
 * Power off.  With POWER_FAILURE, a platform that can report a status
 * (QEMU's "sifive,test0" finisher on riscv64, semihosting on aarch64)
 * makes the emulator exit non-zero; elsewhere it is an ordinary power-off.
 */
void power_off(int status) __attribute__((noreturn));

void power_reboot(void) __attribute__((noreturn));

#endif
