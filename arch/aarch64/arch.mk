CROSS_COMPILE ?= aarch64-linux-gnu-
ARCH_CFLAGS := -march=armv8-a -mcmodel=small
ARCH_LDFLAGS :=
LD_ARCH := aarch64
