CROSS_COMPILE ?= aarch64-linux-gnu-
# Strict alignment: early boot code runs with the MMU off (Device memory).
# AARCH64_LEVELS=3 builds a 39-bit VA kernel.
AARCH64_LEVELS ?= 4
# Inline atomics: the Linux toolchain's default calls libgcc helpers that
# pick LSE or LL/SC at run time from HWCAP, which a kernel never sets; on
# armv8-a the LL/SC loop inline is what runs anyway, without the call.
ARCH_CFLAGS := -march=armv8-a -mcmodel=small -mstrict-align -mno-outline-atomics \
               -DAARCH64_PT_LEVELS=$(AARCH64_LEVELS)
# Kernel C code other than the Makefile's FP_SRCS: no FP/SIMD register
# (not even GCC's vectorised copies), so trap entry saves none.
ARCH_NOFP_CFLAGS := -mgeneral-regs-only
ARCH_LDFLAGS :=
LD_ARCH := aarch64
