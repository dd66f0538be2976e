CROSS_COMPILE ?= riscv64-unknown-elf-
# rv64gc with the hard-float ABI: fibers and trampolines pass FP values.
# No linker relaxation, so a second link pass never moves code.
ARCH_CFLAGS := -march=rv64gc -mabi=lp64d -mcmodel=medany -mno-relax -mstrict-align
# GCC uses the F and D registers only for float code, which the kernel
# has only in the Makefile's FP_SRCS (picolibc is built for lp64d, so the
# ABI stays): trap entry saves no FP register.
ARCH_NOFP_CFLAGS :=
ARCH_LDFLAGS := --no-relax
LD_ARCH := riscv
