CROSS_COMPILE ?= aarch64-linux-gnu-
# Strict alignment: early boot code runs with the MMU off (Device memory).
# AARCH64_LEVELS=3 builds a 39-bit VA kernel.
AARCH64_LEVELS ?= 4
ARCH_CFLAGS := -march=armv8-a -mcmodel=small -mstrict-align -DAARCH64_PT_LEVELS=$(AARCH64_LEVELS)
ARCH_LDFLAGS :=
LD_ARCH := aarch64
