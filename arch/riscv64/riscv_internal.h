/* What the riscv64 sources share among themselves (not the arch interface). */
#ifndef RISCV_INTERNAL_H
#define RISCV_INTERNAL_H

struct fdt;

/* smp.c: read the timebase frequency from the device tree. */
void riscv_smp_fdt_init(const struct fdt *fdt);

/* cache.c: Zicbom (and its block size) and Svpbmt from the cpu nodes. */
void riscv_cache_fdt_init(const struct fdt *fdt);

/*
 * smp.c: an interrupt the trap entry took, by scause code: count and
 * acknowledge a tick or an IPI and return 1; 0 for any other.
 */
int riscv_interrupt(unsigned long code);

#endif
