CROSS_COMPILE ?= riscv64-unknown-elf-
# rv64gc with the hard-float ABI: fibers and trampolines pass FP values.
# No linker relaxation, so a second link pass never moves code.
ARCH_CFLAGS := -march=rv64gc -mabi=lp64d -mcmodel=medany -mno-relax -mstrict-align
ARCH_LDFLAGS := --no-relax
LD_ARCH := riscv
