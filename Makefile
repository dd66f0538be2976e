# Build, run and test the kernel.  `make help` lists the targets.
#
#   make [BOARD=qemu-virt-riscv64]   build build/<board>/{kernel.elf,Image}
#   make run                         boot the board in QEMU (self-tests, then the shell)
#   make test                        host tests, then every QEMU board's self-tests
#   make bench                       instruction counts per operation, both arches
#   make debug                       QEMU halted, gdb-multiarch attached (tools/arbor.gdb)
#   make tsa-check                   clang's lock analysis of lib/, mm/ and the host tests (in make test)
#   make tsan-test                   the stress suites (*_smp_host, *_smp_both) under ThreadSanitizer (in make test)
#   make fuzz [FUZZ_TIME=60]         libFuzzer over the mm model driver (clang), for s seconds
#   make user-linux                  the user programs under qemu-user, both arches (in make test)
#   make fuzz-user [FUZZ_TIME=60]    sysfuzz under qemu-user with random seeds, for s seconds
#
# A board is a folder boards/<name>/ with a board.mk; the board implies ARCH.

BOARD    ?= qemu-virt-riscv64
MEM      ?= 256M
SMP      ?= 4
BOOTARGS ?= ktest=all
QEMU_FLAGS ?=
TEST_TIMEOUT ?= 400
DEBUG    ?= 0
# Page-table depth the board boots with (boards may say 3).
MMU_LEVELS ?= 4
V        ?= 0
Q        := $(if $(filter 1,$(V)),,@)

# The real boards' device trees, from Debian's arm64 Linux package
# (tools/setup.sh dtbs); fetched on first use, never committed.
DTB_DIR  := build/dtbs
DEBIAN_DTBS := $(DTB_DIR)/bcm2837-rpi-3-b.dtb $(DTB_DIR)/bcm2711-rpi-4-b.dtb

ifeq ($(wildcard boards/$(BOARD)/board.mk),)
$(error unknown BOARD '$(BOARD)'; boards: $(notdir $(wildcard boards/*)))
endif
include boards/$(BOARD)/board.mk
include arch/$(ARCH)/arch.mk

B        := build/$(BOARD)
HOSTB    := build/host
CC       := $(CROSS_COMPILE)gcc
OBJCOPY  := $(CROSS_COMPILE)objcopy
NM       := $(CROSS_COMPILE)nm
SETUP    := build/.setup-ok
PYTHON   ?= python3

EARLY_UART_KIND := $(firstword $(subst @, ,$(EARLY_UART)))
EARLY_UART_BASE := $(lastword $(subst @, ,$(EARLY_UART)))
EARLY_UART_REG_SHIFT ?= 0
EARLY_UART_REG_IO_WIDTH ?= 1

# CFI: every function's (C and assembly) goes to .debug_frame, which is not
# loaded: gdb unwinds with it (the Linux toolchain's default, .eh_frame, is
# dropped by --gc-sections, and then gdb guesses from prologues).
WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes
# Layers include only downwards, and each is built with the include paths
# of itself and the layers below it, so an upward #include fails the build
# (docs/architecture.md, "Layers"):
#   arch interface headers  <  lib/  <  arch sources  <  mm/  <  kernel/  <  tests/
INC_ARCH   := -Iarch/include -Iarch/$(ARCH)/include
INC_LIB    := -Ilib/include $(INC_ARCH)
INC_MM     := $(INC_LIB) -Imm/include
INC_KERNEL := $(INC_MM) -Ikernel
# Which include paths a source file gets, by its folder.
layer_inc = $(strip $(if $(filter lib/%,$(1)),$(INC_LIB),\
                  $(if $(filter arch/%,$(1)),$(INC_LIB),\
                  $(if $(filter mm/%,$(1)),$(INC_MM),\
                  $(if $(filter kernel/%,$(1)),$(INC_KERNEL),$(INC_KERNEL) $(TEST_INC))))))
CFLAGS   := --specs=picolibc.specs -std=gnu11 -O2 -g $(WARN) \
            -ffreestanding -fno-omit-frame-pointer -fno-stack-protector -fno-jump-tables \
            -fno-asynchronous-unwind-tables -fno-unwind-tables \
            -fno-common -ffunction-sections -fdata-sections -fno-pie \
            $(ARCH_CFLAGS) -DARCH_$(ARCH)=1 -DKDEBUG=$(DEBUG) \
            -DBOARD_NAME='"$(BOARD)"' -DARCH_NAME='"$(ARCH)"' \
            -DEARLY_UART_KIND='"$(EARLY_UART_KIND)"' -DEARLY_UART_BASE=$(EARLY_UART_BASE) \
            -DEARLY_UART_REG_SHIFT=$(EARLY_UART_REG_SHIFT) -DEARLY_UART_REG_IO_WIDTH=$(EARLY_UART_REG_IO_WIDTH) \
            -DTEXT_OFFSET=$(TEXT_OFFSET) -MMD -MP
LDFLAGS  := --specs=picolibc.specs -nostartfiles -static -no-pie \
            -Wl,--gc-sections -Wl,-z,max-page-size=4096 -Wl,--no-warn-rwx-segments \
            $(foreach f,$(ARCH_LDFLAGS),-Wl,$(f)) -T $(B)/kernel.ld \
            $(foreach f,printf vprintf snprintf vsnprintf,-Wl,--wrap=$(f))
LIBS     := -Wl,--start-group -lc -lgcc -Wl,--end-group

# Tests are found by name (docs/testing.md): in tests/<module>/, <name>.c
# runs in the kernel, <name>_host.c on the host, <name>_both.c in both;
# tests/testlib/ is the shared test library (host/: host-only parts).
TEST_INC     := -Itests/testlib
KERNEL_TESTS := $(sort $(filter-out %_host.c tests/fuzz/%,$(wildcard tests/*/*.c)) $(wildcard tests/testlib/*.c))
HOST_TESTS   := $(wildcard tests/*/*_host.c tests/*/*_both.c tests/testlib/*.c tests/testlib/host/*.c)

SRCS := $(wildcard lib/*.c arch/$(ARCH)/*.c arch/$(ARCH)/*.S mm/*.c mm/*/*.c kernel/*/*.c) $(KERNEL_TESTS)
# The user programs, embedded (user/user.mk).
OBJS := $(patsubst %,$(B)/%.o,$(basename $(SRCS))) build/user/$(ARCH)/user_progs.o

.PHONY: gdb-check fuzz all run debug test host-test boot-test tools-test tsa-check tsan-test clean help setup bench bench-boot
all: $(B)/Image

help:
	@sed -n '1,14p' Makefile | sed 's/^# \{0,1\}//'
	@echo "boards: $(notdir $(wildcard boards/*))"

# Install what the build needs (Debian packages) once; silent when present.
$(SETUP): tools/setup.sh
	@tools/setup.sh
	@mkdir -p $(@D) && touch $@
setup: $(SETUP)

# Kernel C code leaves the FP/SIMD registers alone (ARCH_NOFP_CFLAGS), so
# trap entry need not save them: a process thread's FP state stays in the
# registers until its fiber switches (docs/architecture.md, "FP/SIMD
# state").  These files use FP on purpose, on kernel fibers only.
FP_SRCS := kernel/exec/tramp.c kernel/ktest/bench.c kernel/trap/fp_printf.c \
           tests/exec/tramp.c tests/trap/trap.c tests/proc/proc_fp.c
$(B)/%.o: %.c | $(SETUP)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) $(if $(filter $(FP_SRCS),$<),,$(ARCH_NOFP_CFLAGS)) $(call layer_inc,$<) -c $< -o $@

$(B)/%.o: %.S | $(SETUP)
	@mkdir -p $(@D)
	@echo "  AS      $<"
	$(Q)$(CC) $(CFLAGS) $(call layer_inc,$<) -D__ASSEMBLY__ -c $< -o $@

$(B)/kernel.ld: linker/kernel.ld.S boards/$(BOARD)/board.mk | $(SETUP)
	@mkdir -p $(@D)
	$(Q)$(CC) -E -P -x c -D__ASSEMBLY__ -DLD_ARCH=$(LD_ARCH) -DTEXT_OFFSET=$(TEXT_OFFSET) $(INC_MM) $< -o $@

# Two link passes: the first finds where every function lands, the second
# embeds that symbol table (for backtraces) at the end of rodata, where it
# moves no code.  The check below proves the text did not move.
$(B)/kernel.elf: $(OBJS) $(B)/kernel.ld tools/ksyms.py
	@echo "  LD      $@"
	$(Q)$(PYTHON) tools/ksyms.py < /dev/null > $(B)/ksyms0.S
	$(Q)$(CC) $(CFLAGS) -c $(B)/ksyms0.S -o $(B)/ksyms0.o
	$(Q)$(CC) $(LDFLAGS) $(OBJS) $(B)/ksyms0.o $(LIBS) -o $(B)/kernel.pass1.elf
	$(Q)$(NM) -n $(B)/kernel.pass1.elf | $(PYTHON) tools/ksyms.py > $(B)/ksyms.S
	$(Q)$(CC) $(CFLAGS) -c $(B)/ksyms.S -o $(B)/ksyms.o
	$(Q)$(CC) $(LDFLAGS) $(OBJS) $(B)/ksyms.o $(LIBS) -o $@.tmp
	@$(NM) -n $@.tmp | $(PYTHON) tools/ksyms.py | cmp -s - $(B)/ksyms.S || \
	  { echo "ksyms: text moved between link passes" >&2; exit 1; }
	@if readelf -lW $@.tmp | awk '$$1=="LOAD" && $$(NF-1) ~ /W/ && $$(NF-1) ~ /E/ {f=1} END {exit !f}'; then \
	  echo "W^X: $@ has a writable and executable segment" >&2; exit 1; fi
	@mv $@.tmp $@

# Every header compiles alone with its own layer's include paths (the arch
# interface's with the arch's only): a header that includes upwards, or
# leans on its includer, fails the build here.
LAYER_HDRS := $(wildcard arch/include/arch/*.h arch/$(ARCH)/include/arch/*.h lib/include/lib/*.h \
                mm/include/mm/*.h mm/*.h kernel/*/*.h)
$(B)/layers.ok: $(LAYER_HDRS) | $(SETUP)
	@mkdir -p $(@D)
	$(Q)for h in $(LAYER_HDRS); do \
	  case $$h in arch/*) inc="$(INC_ARCH)";; lib/*) inc="$(INC_LIB)";; \
	    mm/*) inc="$(INC_MM)";; *) inc="$(INC_KERNEL)";; esac; \
	  echo "#include \"$$h\"" | $(CC) $(filter-out -MMD -MP,$(CFLAGS)) -iquote . $$inc -fsyntax-only -x c - \
	    || { echo "layers: $$h does not compile with its layer's include paths" >&2; exit 1; }; done
	@touch $@

$(B)/Image: $(B)/kernel.elf $(B)/layers.ok $(if $(BOARD_DTB),$(DTB_DIR)/$(BOARD_DTB))
	$(Q)$(OBJCOPY) -O binary $< $@

$(DEBIAN_DTBS) &: | $(SETUP)
	@echo "  FETCH   $(DTB_DIR) (Debian's linux-image-*-arm64)"
	$(Q)tools/setup.sh dtbs $(DTB_DIR)

QEMU_CMD = $(QEMU) $(QEMU_MACHINE) -m $(MEM) -smp $(SMP) -nographic -nic none \
           -kernel $(B)/Image $(QEMU_FLAGS)

run: $(B)/Image
	$(QEMU_CMD) -append "$(BOOTARGS)"

# QEMU starts halted with its gdb stub on :1234 and prints the console here;
# gdb reads the terminal.  Quitting gdb stops QEMU.  gdb gets the kernel's
# symbols at their link addresses and the helpers of tools/arbor.gdb:
# `arbor-phys` adds them at the physical load address (to break in code
# that runs before the MMU is on), `arbor-tramp ADDR` the trampoline
# page's at the window of ADDR (docs/testing.md, "Debugging").
GDB_SETUP = -ex 'set confirm off' -ex 'set $$arbor_tramp_o = "$(B)/arch/$(ARCH)/tramp.o"' \
            -ex 'set $$arbor_phys_elf = "$(B)/kernel.phys.elf"' \
            -ex 'set $$arbor_load_pa = $(QEMU_RAM_BASE) + $(TEXT_OFFSET)' -x tools/arbor.gdb

# A copy under another name: gdb keeps the physical-address symbols apart.
$(B)/kernel.phys.elf: $(B)/kernel.elf
	$(Q)cp $< $@

debug: $(B)/Image $(B)/kernel.phys.elf
	@echo "QEMU is halted for gdb on :1234 (console output appears here); quit gdb to stop it."
	@$(QEMU_CMD) -append "$(BOOTARGS)" -S -s < /dev/null & qpid=$$!; \
	  gdb-multiarch -q $(B)/kernel.elf $(GDB_SETUP) -ex 'target remote :1234'; \
	  kill $$qpid 2>/dev/null; wait $$qpid 2>/dev/null; true

# The debugger check (in make test, one board per arch): gdb against
# QEMU's stub walks from a trampoline target in a nested fiber back into
# the creators, and breaks before the MMU is on; a KTAP log.
gdb-check: SMP = 1
gdb-check: $(B)/Image $(B)/kernel.phys.elf
	@$(PYTHON) tools/gdb_check.py $(ARCH) $(B)/kernel.elf $(B)/kernel.phys.elf \
	  $(B)/arch/$(ARCH)/tramp.o "$(QEMU_RAM_BASE) + $(TEXT_OFFSET)" $(B)/gdb.log -- $(QEMU_CMD)

# User programs and their differential test against Linux (qemu-user).
include user/user.mk

# ---------------------------------------------------------------- tests ----

COMMA       := ,
HOST_CC     ?= gcc
# The host build runs lib/ and mm/ over the fake arch (arch/fake/: RAM, an
# MMU that checks break-before-make, user-copy loops), with the same layer
# include paths as the kernel; arch/fake and the tests get all of them.
HOST_INC_ARCH   := -Iarch/include -Iarch/fake/include
HOST_INC_LIB    := -Ilib/include $(HOST_INC_ARCH)
HOST_INC_MM     := $(HOST_INC_LIB) -Imm/include
HOST_INC_TESTS  := $(HOST_INC_MM) -Ikernel -Iarch/fake $(TEST_INC) -Itests/testlib/host
host_layer_inc   = $(strip $(if $(filter lib/%,$(1)),$(HOST_INC_LIB),\
                     $(if $(filter mm/%,$(1)),$(HOST_INC_MM),$(HOST_INC_TESTS))))
HOST_CFLAGS := -std=gnu11 -O1 -g $(WARN) \
               -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer -DKTEST_HOST=1 -DKDEBUG=1
# kernel/boot/smp_call.c is the one kernel file the host builds: the calls
# built on smp_call_start()/wait(), which tests/testlib/host/smp_host.c
# provides there with threads as CPUs.
HOST_SRCS   := $(wildcard lib/*.c mm/*.c arch/fake/*.c) kernel/boot/smp_call.c $(HOST_TESTS)
HOST_OBJS   := $(patsubst %.c,$(HOSTB)/obj/%.o,$(HOST_SRCS))
HOST_DTS    := $(wildcard tests/lib/fdt/*.dts)
# Beside the fixtures: the real boards' trees (Debian's arm64 kernel
# package) and QEMU's SiFive Unleashed tree (no riscv64 kernel in Debian 12).
HOST_DTB    := $(patsubst tests/lib/fdt/%.dts,$(HOSTB)/fdt/%.dtb,$(HOST_DTS)) \
               $(patsubst $(DTB_DIR)/%,$(HOSTB)/fdt/%,$(DEBIAN_DTBS)) $(HOSTB)/fdt/qemu-sifive_u.dtb

$(HOSTB)/obj/%.o: %.c | $(SETUP)
	@mkdir -p $(@D)
	@echo "  HOSTCC  $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(call host_layer_inc,$<) -MMD -MP -c $< -o $@

$(HOSTB)/ktest-host: $(HOST_OBJS)
	@echo "  HOSTLD  $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(HOST_OBJS) -o $@

$(HOSTB)/fdt/%.dtb: tests/lib/fdt/%.dts | $(SETUP)
	@mkdir -p $(@D)
	dtc -q -I dts -O dtb -o $@ $<

$(HOSTB)/fdt/bcm%.dtb: $(DTB_DIR)/bcm%.dtb
	@mkdir -p $(@D)
	cp $< $@

$(HOSTB)/fdt/qemu-sifive_u.dtb: | $(SETUP)
	@mkdir -p $(@D)
	qemu-system-riscv64 -machine sifive_u,dumpdtb=$@ -smp 5 -m 1G -bios none -nographic > /dev/null 2>&1

# libFuzzer over the aspace model driver (tests/fuzz/fuzz_mm.c): the host
# sources without the host main, built with clang.  `make fuzz FUZZ_TIME=s`
# fuzzes for s seconds from a corpus under build/ seeded with
# tests/fuzz/corpus; crashes land in $(HOSTB)/fuzz-crash-*.  Coverage
# feedback comes from mm/ only, without comparison tracing (the inputs are
# choices, not magic values): the model's compare loops run 4x faster.
FUZZ_CC     ?= clang
FUZZ_TIME   ?= 60
FUZZ_FLAGS  ?=
FUZZ_CFLAGS := $(filter-out -fsanitize=address$(COMMA)undefined,$(HOST_CFLAGS)) $(HOST_INC_TESTS) \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-coverage=trace-cmp \
               -fsanitize-coverage-allowlist=tests/fuzz/coverage.allow
FUZZ_SRCS   := $(filter-out tests/testlib/host/main.c,$(HOST_SRCS)) tests/fuzz/fuzz_mm.c

$(HOSTB)/fuzz-mm: $(FUZZ_SRCS) tests/fuzz/coverage.allow $(wildcard lib/include/lib/*.h mm/include/mm/*.h mm/*.h arch/include/arch/*.h arch/fake/*.h tests/testlib/*.h tests/testlib/host/*.h) | $(SETUP)
	@tools/setup.sh fuzz
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SRCS) -o $@

fuzz: $(HOSTB)/fuzz-mm
	@mkdir -p $(HOSTB)/fuzz-corpus
	cp -n tests/fuzz/corpus/* $(HOSTB)/fuzz-corpus/
	$(HOSTB)/fuzz-mm -max_total_time=$(FUZZ_TIME) -max_len=16384 -len_control=0 -print_final_stats=1 \
	  -artifact_prefix=$(HOSTB)/fuzz-crash- $(FUZZ_FLAGS) $(HOSTB)/fuzz-corpus

host-test: $(HOSTB)/ktest-host $(HOST_DTB)
	KTEST_DATA=$(HOSTB) $(HOSTB)/ktest-host all > $(HOSTB)/ktest.log 2>&1; \
	  $(PYTHON) tools/ktap.py --label host $(HOSTB)/ktest.log

# Clang's thread-safety analysis (lib/include/lib/thread_annotations.h)
# over every file of the host build, with the host's layer include paths:
# a guarded access or a *_locked call without its lock, a lock not
# dropped, locks taken out of order fail here.  -Wthread-safety-beta
# adds the lock-order checks.  Syntax only: about two seconds.
TSA_CC     ?= clang
TSA_CFLAGS := -std=gnu11 $(WARN) -Wthread-safety -Wthread-safety-beta -fsyntax-only \
              -DKTEST_HOST=1 -DKDEBUG=1
TSA_HDRS   := $(wildcard arch/include/arch/*.h arch/fake/include/*/*.h arch/fake/*.h \
                lib/include/lib/*.h mm/include/mm/*.h mm/*.h kernel/*/*.h \
                tests/testlib/*.h tests/testlib/host/*.h)

$(HOSTB)/tsa.ok: $(HOST_SRCS) $(TSA_HDRS) | $(SETUP)
	@echo "  TSA     lib/ mm/ arch/fake/ tests/ (host)"
	$(Q)$(TSA_CC) $(TSA_CFLAGS) $(HOST_INC_LIB) $(filter lib/%,$(HOST_SRCS))
	$(Q)$(TSA_CC) $(TSA_CFLAGS) $(HOST_INC_MM) $(filter mm/%,$(HOST_SRCS))
	$(Q)$(TSA_CC) $(TSA_CFLAGS) $(HOST_INC_TESTS) $(filter-out lib/% mm/%,$(HOST_SRCS))
	@# Once more as the kernel builds mm/ (KDEBUG=0): the fast paths the
	@# host tests never take (per-CPU caches) are analysed too.
	$(Q)$(TSA_CC) $(filter-out -DKDEBUG=1,$(TSA_CFLAGS)) -DKDEBUG=0 $(HOST_INC_MM) $(filter mm/%,$(HOST_SRCS))
	@mkdir -p $(@D) && touch $@

tsa-check: $(HOSTB)/tsa.ok

# The host stress suites under ThreadSanitizer: lib/, mm/, the fake arch
# and the test library built again with -fsanitize=thread (it cannot be
# combined with AddressSanitizer), with only the suites of files named
# tests/<module>/<name>_smp_host.c or <name>_smp_both.c, which run several
# CPUs as threads (they run in the AddressSanitizer build too, as every
# *_host.c and *_both.c does; a *_smp_both.c also runs in the kernel).
# Reports go to $(TSANB)/report.<pid>; a case during which one came
# fails with the report as its diagnostics (tests/testlib/host/tsan_report.c),
# and the binary exits 66.  A crash leaves the KTAP log incomplete (an
# error naming the running case); its report is in the same file.
# stderr goes to $(TSANB)/stderr.log, so the KTAP log stays KTAP.
TSANB       := build/host-tsan
TSAN_CC     ?= gcc
TSAN_CFLAGS := $(filter-out -fsanitize=address$(COMMA)undefined,$(HOST_CFLAGS)) -fsanitize=thread
TSAN_SUITES := $(wildcard tests/*/*_smp_host.c tests/*/*_smp_both.c)
TSAN_SRCS   := $(wildcard lib/*.c mm/*.c arch/fake/*.c tests/testlib/*.c tests/testlib/host/*.c) kernel/boot/smp_call.c \
               $(TSAN_SUITES)
TSAN_OBJS   := $(patsubst %.c,$(TSANB)/obj/%.o,$(TSAN_SRCS))
TSAN_RUN    := TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1" \
               KTEST_TSAN_REPORT=$(TSANB)/report $(TSANB)/ktest-host-tsan all \
               > $(TSANB)/ktest.log 2> $(TSANB)/stderr.log

$(TSANB)/obj/%.o: %.c | $(SETUP)
	@mkdir -p $(@D)
	@echo "  TSANCC  $<"
	$(Q)$(TSAN_CC) $(TSAN_CFLAGS) $(call host_layer_inc,$<) -MMD -MP -c $< -o $@

$(TSANB)/ktest-host-tsan: $(TSAN_OBJS)
	@echo "  TSANLD  $@"
	$(Q)$(TSAN_CC) $(TSAN_CFLAGS) $(TSAN_OBJS) -o $@

# Run it; when it stopped before the end of its KTAP document (a crash,
# which tools/ktap.py reports with the case that was running), say where
# the sanitizer's report is.
TSAN_LOGGED  = rm -f $(TSANB)/report.*; $(TSAN_RUN); rc=$$?; \
               grep -q '^\# Totals:' $(TSANB)/ktest.log || echo "tsan-test: the run stopped" \
                 "early (exit status $$rc); see" $(TSANB)/stderr.log $(TSANB)/report.* >&2

tsan-test: $(TSANB)/ktest-host-tsan
	@$(TSAN_LOGGED); $(PYTHON) tools/ktap.py --label tsan $(TSANB)/ktest.log && [ $$rc = 0 ]

tools-test: | $(SETUP)
	$(PYTHON) -m unittest discover -q -s tests/tools -p 'test_*.py'

TEST_BOARDS := $(foreach b,$(notdir $(wildcard boards/*)),\
                 $(if $(shell grep -qs '^QEMU_TEST *:= *yes' boards/$(b)/board.mk && echo y),$(b)))
UBOOT_BOARDS := $(foreach b,$(notdir $(wildcard boards/*)),\
                  $(if $(shell grep -qs '^UBOOT_MACHINE *:=' boards/$(b)/board.mk && echo y),$(b)))

# The host suites (ASan) and the stress suites (TSan), the user programs
# under qemu-user (Linux's side), then every QEMU board: build, boot with the self-tests and a time limit, keep the
# serial log; then one KTAP verdict over both host runs and all boots.
test: tsa-check $(HOSTB)/ktest-host $(HOST_DTB) $(TSANB)/ktest-host-tsan tools-test user
	@KTEST_DATA=$(HOSTB) $(HOSTB)/ktest-host all > $(HOSTB)/ktest.log 2>&1 || true
	@$(TSAN_LOGGED)
	@$(USER_LINUX_LOGGED)
	@$(MAKE) -s --no-print-directory test-images
	@$(MAKE) -s --no-print-directory -j$(TEST_JOBS) test-runs
	@for b in $(BENCH_BOARDS); do \
	  $(MAKE) -s --no-print-directory BOARD=$$b bench-check || exit 1; \
	  $(MAKE) -s --no-print-directory BOARD=$$b gdb-check || exit 1; done
	@$(PYTHON) tools/ktap.py --label host $(HOSTB)/ktest.log --label tsan $(TSANB)/ktest.log \
	  --label user-linux $(USERB)/linux.log \
	  $(foreach b,$(TEST_BOARDS),--label $(b) build/$(b)/ktest.log \
	    --label $(b)-boot build/$(b)/boot.log --label $(b)-user build/$(b)/user-diff.log) \
	  $(foreach b,$(UBOOT_BOARDS),--label $(b)-uboot build/$(b)/uboot.log) \
	  $(foreach b,$(BENCH_BOARDS),--label $(b)-bench build/$(b)/bench-check.log \
	    --label $(b)-gdb build/$(b)/gdb.log)

# Every image first, one board at a time (no two makes ever build one
# board), with `make image` for the boards QEMU cannot run (they must at
# least build); then the boots, TEST_JOBS at a time (1: under load,
# parallel boots starve each other's vCPUs and the tick tests' 60 ms
# windows; 2 is for a quiet machine), the riscv64 ones (the slowest) first.
TEST_JOBS ?= 1
IMAGE_BOARDS := $(foreach b,$(notdir $(wildcard boards/*)),\
                  $(if $(shell grep -qs '^IMAGE_KIND *:=' boards/$(b)/board.mk && echo y),$(b)))
RISCV_BOARDS := $(foreach b,$(notdir $(wildcard boards/*)),\
                  $(if $(shell grep -qs '^ARCH *:= *riscv64' boards/$(b)/board.mk && echo y),$(b)))
TEST_RUNS := $(addprefix boot-run-,$(filter $(RISCV_BOARDS),$(TEST_BOARDS))) \
             $(addprefix uboot-run-,$(filter $(RISCV_BOARDS),$(UBOOT_BOARDS))) \
             $(addprefix boot-run-,$(filter-out $(RISCV_BOARDS),$(TEST_BOARDS))) \
             $(addprefix uboot-run-,$(filter-out $(RISCV_BOARDS),$(UBOOT_BOARDS)))
.PHONY: test-images test-runs
test-images:
	@for b in $(sort $(TEST_BOARDS) $(UBOOT_BOARDS)); do \
	  $(MAKE) -s --no-print-directory BOARD=$$b all || exit 1; done
	@for b in $(IMAGE_BOARDS); do \
	  $(MAKE) -s --no-print-directory BOARD=$$b image || exit 1; done
test-runs: $(TEST_RUNS)
boot-run-%:
	@$(MAKE) -s --no-print-directory BOARD=$* boot-test
uboot-run-%:
	@$(MAKE) -s --no-print-directory BOARD=$* uboot-test

# make test boots every board with 4 CPUs, but a board may say otherwise
# (QEMU_TEST_SMP := 1 keeps one single-CPU boot in the run).
boot-test: SMP = $(or $(QEMU_TEST_SMP),4)
boot-test: $(B)/Image
	@echo "boot-test: $(BOARD)"
	@BOOT_CHECKS=$(BOOT_CHECKS) BOOT_CPUS=$(BOOT_CPUS) \
	  $(PYTHON) tools/boot_checks.py $(B)/Image $(TEXT_OFFSET) $(MMU_LEVELS) $(QEMU_CMD) > $(B)/boot.log 2>&1 || true
	@timeout $(TEST_TIMEOUT) $(QEMU_CMD) -append "ktest=all poweroff" \
	  < /dev/null > $(B)/ktest.log 2>&1; \
	  rc=$$?; [ $$rc = 124 ] && echo "# boot-test: timed out after $(TEST_TIMEOUT)s" >> $(B)/ktest.log; \
	  echo "# boot-test: qemu exit status $$rc" >> $(B)/ktest.log; true
	@# The user programs' output in the log against the same runs under Linux (qemu-user).
	@$(PYTHON) tools/user_diff.py diff --arch $(ARCH) --log $(B)/ktest.log --label $(BOARD) \
	  > $(B)/user-diff.log 2>&1 || true

# ------------------------------------------------------- images, U-Boot ----

# make image: what a person flashes (docs/boards.md).  A board's IMAGE_KIND
# says which: `sdcard`, a disk image for U-Boot's distro boot
# ($(B)/sdcard.img, dd it to the card), or `rpi`, the two files for a
# Raspberry Pi boot partition ($(B)/boot/).  IMAGE_BOOTARGS is the kernel
# command line the image boots with.
IMAGE_BOOTARGS ?= ktest=all
.PHONY: image uboot-test
image: $(B)/Image tools/mkimage.sh
ifeq ($(IMAGE_KIND),sdcard)
	$(Q)tools/mkimage.sh sdcard $(B)/sdcard.img $(B)/Image "$(IMAGE_BOOTARGS)"
	@echo "image: $(B)/sdcard.img"
else ifeq ($(IMAGE_KIND),rpi)
	$(Q)tools/mkimage.sh rpi $(B)/boot $(B)/Image
	@echo "image: $(B)/boot/kernel8.img $(B)/boot/config.txt"
else
	@echo "image: $(BOARD) has no image kind (IMAGE_KIND in its board.mk)" >&2; exit 1
endif

# The SD-card image's boot path under QEMU: a board's UBOOT_MACHINE starts
# Debian's U-Boot, whose distro boot finds extlinux/extlinux.conf on a
# virtio disk made by the same tool as the SD-card images, only booting
# with UBOOT_KTEST; the kernel then runs those self-tests.  The serial log
# is $(B)/uboot.log.  A board may run a subset (UBOOT_KTEST in its
# board.mk) when its own boot-test runs ktest=all on the same kernel.
UBOOT_TIMEOUT ?= 300
UBOOT_KTEST ?= all
uboot-test: SMP = 4
uboot-test: $(B)/Image tools/mkimage.sh
	@echo "uboot-test: $(BOARD)"
	@tools/mkimage.sh sdcard $(B)/uboot-disk.img $(B)/Image "ktest=$(UBOOT_KTEST) poweroff"
	@timeout $(UBOOT_TIMEOUT) $(QEMU) $(UBOOT_MACHINE) -m $(MEM) -smp $(SMP) -nographic -nic none \
	  -drive file=$(B)/uboot-disk.img,format=raw,if=none,id=sd -device virtio-blk-device,drive=sd \
	  < /dev/null > $(B)/uboot.log 2>&1; \
	  rc=$$?; [ $$rc = 124 ] && echo "# uboot-test: timed out after $(UBOOT_TIMEOUT)s" >> $(B)/uboot.log; \
	  grep -q '^Found /extlinux/extlinux.conf' $(B)/uboot.log || \
	    echo "# uboot-test: U-Boot did not find extlinux/extlinux.conf" >> $(B)/uboot.log; \
	  echo "# uboot-test: qemu exit status $$rc" >> $(B)/uboot.log; true

# ------------------------------------------------------------- benchmarks ----

# One board per arch.  QEMU counts instructions exactly with -icount
# shift=0; sleep=off keeps idle time out of the count.
BENCH_BOARDS := qemu-virt-riscv64 qemu-virt-aarch64
# One CPU: the figures are the boot CPU's, and idle CPUs would only add
# their wake-ups to the run.  make bench runs every case and the sweep of
# how cost grows with the 100,000 sizes (ubench_grow_big: 1 GiB of RAM)
# and the memory per resident anonymous page (anon_meta); bench-check
# (make test) the cases and the sweeps without the 100,000 sizes.
BENCH_SPEC  ?= all,ubench_grow_big,anon_meta
BENCH_TIMEOUT ?= 600
BENCH_QEMU   = $(QEMU_CMD) -icount shift=0,sleep=off -append "bench=$(BENCH_SPEC) poweroff" < /dev/null
bench bench-boot bench-check bench-linux bench-linux-boot: SMP = 1
bench bench-boot bench-linux bench-linux-boot: MEM = 1G
bench-check: BENCH_SPEC = all,ubench_grow,anon_meta

bench:
	@for b in $(BENCH_BOARDS); do \
	  $(MAKE) -s --no-print-directory BOARD=$$b bench-boot || exit 1; \
	  sed -n '/^bench: [a-z0-9]*, /,/^bench: arch=/p' build/$$b/bench.log | grep -v '^bench: arch='; done
	@$(PYTHON) tools/bench_table.py table $(foreach b,$(BENCH_BOARDS),build/$(b)/bench.log) > build/bench.md
	@$(PYTHON) tools/bench_table.py plot build/grow $(foreach b,$(BENCH_BOARDS),build/$(b)/bench.log)
	@echo; cat build/bench.md; echo; echo "(also in build/bench.md; plots of how cost grows: build/grow-*.svg)"

bench-boot: $(B)/Image
	@timeout $(BENCH_TIMEOUT) $(BENCH_QEMU) > $(B)/bench.log 2>&1 || \
	  { echo "bench: $(BOARD) failed"; tail -5 $(B)/bench.log; exit 1; }

# Side by side with Linux (docs/testing.md, "Benchmarks"): Debian 12's
# arm64 kernel (tools/linux-kernel.sh fetches it into build/linux/) boots
# on the same QEMU machine line with the same -icount, with ubench as its
# /init (tools/initramfs.py), which counts with the virtual counter and
# powers off; arbor runs the same binary the same way (ubench_ops_vct),
# and make bench's figures join them in build/bench.md.
LINUX_DIR     := build/linux
$(LINUX_DIR)/bench.log: SMP = 1
$(LINUX_DIR)/bench.log: MEM = 1G
LINUX_TIMEOUT ?= 900
LINUX_QEMU     = $(QEMU) $(QEMU_MACHINE) -m $(MEM) -smp $(SMP) -nographic -nic none \
                 -icount shift=0,sleep=off -kernel $(LINUX_DIR)/vmlinuz -initrd $(LINUX_DIR)/ubench.cpio \
                 -append "console=ttyAMA0 quiet -- ops grow big vct init" < /dev/null
.PHONY: bench-linux bench-linux-boot

$(LINUX_DIR)/vmlinuz: | $(SETUP)
	@tools/linux-kernel.sh $(LINUX_DIR)

$(LINUX_DIR)/ubench.cpio: build/user/aarch64/ubench.elf tools/initramfs.py
	@mkdir -p $(@D)
	$(Q)$(PYTHON) tools/initramfs.py $< $@

bench-linux: bench
	@$(MAKE) -s --no-print-directory BOARD=qemu-virt-aarch64 bench-linux-boot
	@$(PYTHON) tools/bench_table.py table $(foreach b,$(BENCH_BOARDS),build/$(b)/bench.log) \
	  --linux $(LINUX_DIR)/bench.log --vct build/qemu-virt-aarch64/bench-vct.log \
	  --linux-version "$$(cat $(LINUX_DIR)/version)" > build/bench.md
	@$(PYTHON) tools/bench_table.py plot build/grow $(foreach b,$(BENCH_BOARDS),build/$(b)/bench.log) \
	  $(LINUX_DIR)/bench.log
	@echo; cat build/bench.md; echo; echo "(also in build/bench.md; plots of how cost grows: build/grow-*.svg)"

# Linux's run (again only when the kernel or ubench changed: it counts
# the same every time), and arbor's run of the same operations counted
# the same way.
$(LINUX_DIR)/bench.log: $(LINUX_DIR)/vmlinuz $(LINUX_DIR)/ubench.cpio
	@timeout $(LINUX_TIMEOUT) $(LINUX_QEMU) > $@.tmp 2>&1; \
	  grep -q '^ubench-done' $@.tmp || \
	  { echo "bench-linux: Linux's run failed"; tail -5 $@.tmp; exit 1; }
	@mv $@.tmp $@

bench-linux-boot: $(B)/Image $(LINUX_DIR)/bench.log
	@timeout $(TEST_TIMEOUT) $(QEMU_CMD) -icount shift=0,sleep=off -append "bench=ubench_ops_vct poweroff" \
	  < /dev/null > $(B)/bench-vct.log 2>&1 || \
	  { echo "bench-linux: arbor's run failed"; tail -5 $(B)/bench-vct.log; exit 1; }

# For make test: two benchmark runs of a board must count the same (the
# cases and the growth sweep without its 100,000 sizes).
bench-check: $(B)/Image
	@timeout $(BENCH_TIMEOUT) $(BENCH_QEMU) > $(B)/bench1.log 2>&1; \
	 timeout $(BENCH_TIMEOUT) $(BENCH_QEMU) > $(B)/bench2.log 2>&1; \
	 $(PYTHON) tools/bench_table.py same $(ARCH) $(B)/bench1.log $(B)/bench2.log \
	   > $(B)/bench-check.log || true

# Lock figures (docs/architecture.md, "Locking"): per arch, the
# uncontended lock + unlock pairs (bench cases) and the spinlock_smp
# suite's runs, under -icount with 1 and 4 CPUs and without -icount with
# 4 and 2 CPUs (where only fairness counts, no instructions);
# build/bench-locks.md.
# Not riscv64 under -icount with 4 CPUs: there hart 1 does not come up in
# time and the boot hangs before its first benchmark (so it did before
# these targets).
LOCK_BENCHES := spin_tas_pair,spin_ticket_pair,spin_mcs_pair,spinlock_irqsave_pair
LOCK_TIMEOUT ?= 600
.PHONY: bench-locks bench-locks-boot

bench-locks:
	@mkdir -p build && : > build/bench-locks.md
	@for b in $(BENCH_BOARDS); do \
	  case $$b in *riscv64*) regimes="icount:1 free:4 free:2";; *) regimes="icount:1 icount:4 free:4 free:2";; esac; \
	  for r in $$regimes; do \
	  $(MAKE) -s --no-print-directory BOARD=$$b LOCK_REGIME=$${r%:*} SMP=$${r#*:} bench-locks-boot || exit 1; \
	done; done
	@cat build/bench-locks.md; echo "(also in build/bench-locks.md)"

bench-locks-boot: $(B)/Image
	@log=$(B)/bench-locks-$(LOCK_REGIME)-$(SMP).log; icount=$(filter icount,$(LOCK_REGIME)); \
	 timeout $(LOCK_TIMEOUT) $(QEMU_CMD) $${icount:+-icount shift=0,sleep=off} \
	   -append "$${icount:+bench=$(LOCK_BENCHES)} ktest=spinlock_smp poweroff" < /dev/null > $$log 2>&1 || \
	   { echo "bench-locks: $(BOARD) $(LOCK_REGIME) SMP=$(SMP) failed"; tail -5 $$log; exit 1; }; \
	 { if [ -n "$$icount" ]; then how="-icount shift=0"; else how="without -icount"; fi; \
	   echo "### $(ARCH), $$how, -smp $(SMP)"; echo; \
	   grep -o 'smp: [0-9]* CPUs* online' $$log; grep -o 'spinlock-bench: [a-z][a-z ]*.*' $$log | grep -v 'arch='; \
	   grep -o 'ok [0-9]* test_[a-z_]*excludes[a-z_]* # SKIP.*' $$log | head -1; echo; \
	   if [ -n "$$icount" ]; then \
	   echo "| lock + unlock, uncontended | insns |"; echo "|---|---|"; \
	   grep '^bench: arch=' $$log | awk '{ for (i = 2; i <= NF; i++) { split($$i, kv, "="); v[kv[1]] = kv[2] } \
	     print "| " v["op"] " | " v["insns"] " |" }'; echo; fi; \
	   echo "| CPUs | kind | run | acquisitions | insns / acq | min share ‰ | max share ‰ | worst wait | excess wait |"; \
	   echo "|---|---|---|---|---|---|---|---|---|"; \
	   grep -o 'spinlock-bench: arch=.*' $$log | awk '{ for (i = 2; i <= NF; i++) { split($$i, kv, "="); v[kv[1]] = kv[2] } \
	     print "| " v["cpus"] " | " v["kind"] " | " v["run"] " | " v["acq"] " | " v["insns_per_acq"] " | " v["min_share"] " | " \
	       v["max_share"] " | " v["worst_wait"] " | " v["excess_wait"] " |" }'; echo; } >> build/bench-locks.md

clean:
	rm -rf build

-include $(OBJS:.o=.d) $(HOST_OBJS:.o=.d) $(TSAN_OBJS:.o=.d)
