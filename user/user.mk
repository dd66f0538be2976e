# User programs (docs/testing.md, "User programs"): the runtime in user/
# (start file, system-call layer, stdio over write, self-check helpers) and
# the test programs tests/user/progs/<name>.c, built for both arches as
# static ELF executables at a fixed address (user/user.ld):
#   build/user/<arch>/<name>.elf
#   build/user/<arch>/strip/<name>.elf  the same without symbols or debug info
#   build/user/<arch>/user_progs.S   every stripped program embedded (.incbin),
#                                    page aligned, with user_prog_table/_count
#                                    and the runs of tests/user/runs.txt
#   build/user/<arch>/user_progs.o   the same, assembled for the kernel's link
# make user-linux runs every run of tests/user/runs.txt under qemu-user
# (Linux's side of the differential test); make fuzz-user runs sysfuzz with
# random seeds for FUZZ_TIME seconds.

USERB        := build/user
USER_ARCHES  := riscv64 aarch64
USER_PROGS   := $(sort $(basename $(notdir $(wildcard tests/user/progs/*.c))))
USER_LIB     := $(wildcard user/lib/*.c)
USER_HDRS    := $(wildcard user/include/*.h user/*/usys_arch.h)
USER_CC_riscv64     := riscv64-unknown-elf-gcc
USER_CC_aarch64     := aarch64-linux-gnu-gcc
USER_OBJCOPY_riscv64 := riscv64-unknown-elf-objcopy
USER_OBJCOPY_aarch64 := aarch64-linux-gnu-objcopy
USER_ARCHFLAGS_riscv64 := -march=rv64gc -mabi=lp64d -mcmodel=medany -mno-relax
USER_ARCHFLAGS_aarch64 := -march=armv8-a -mno-outline-atomics
USER_LDARCH_riscv64 := -Wl,--no-relax
USER_LDARCH_aarch64 :=
# -fno-delete-null-pointer-checks and <utest.h>'s ut_hide(): the programs
# touch NULL and kernel addresses on purpose.
USER_CFLAGS  := --specs=picolibc.specs -std=gnu11 -O2 -g $(WARN) -fno-pie -fno-stack-protector \
                -fno-delete-null-pointer-checks -fno-common -ffunction-sections -Iuser/include
USER_LDFLAGS := --specs=picolibc.specs -nostartfiles -static -no-pie -Wl,--gc-sections \
                -Wl,-z,max-page-size=4096 -Wl,--build-id=none -T user/user.ld
USER_ELFS    := $(foreach a,$(USER_ARCHES),$(foreach p,$(USER_PROGS),$(USERB)/$(a)/$(p).elf))
USER_RUNS    := tests/user/runs.txt

USER_OBJS    := $(foreach a,$(USER_ARCHES),$(patsubst %.c,$(USERB)/$(a)/obj/%.o,$(USER_LIB) \
                  $(wildcard tests/user/progs/*.c)) $(USERB)/$(a)/obj/user/$(a)/crt0.o)
.SECONDARY: $(USER_OBJS)
.PHONY: user user-linux user-diff fuzz-user fuzz-user-boot
user: $(USER_ELFS) $(foreach a,$(USER_ARCHES),$(USERB)/$(a)/user_progs.o)

# Objects and programs of one arch ($(1)).
define USER_ARCH_RULES
$(USERB)/$(1)/obj/%.o: %.c $(USER_HDRS) | $(SETUP)
	@mkdir -p $$(@D)
	@echo "  UCC     $$< ($(1))"
	$(Q)$(USER_CC_$(1)) $(USER_CFLAGS) $(USER_ARCHFLAGS_$(1)) -Iuser/$(1) -c $$< -o $$@

$(USERB)/$(1)/obj/%.o: %.S | $(SETUP)
	@mkdir -p $$(@D)
	@echo "  UAS     $$< ($(1))"
	$(Q)$(USER_CC_$(1)) $(USER_CFLAGS) $(USER_ARCHFLAGS_$(1)) -c $$< -o $$@

$(USERB)/$(1)/%.elf: $(USERB)/$(1)/obj/tests/user/progs/%.o $(USERB)/$(1)/obj/user/$(1)/crt0.o \
                     $(patsubst %.c,$(USERB)/$(1)/obj/%.o,$(USER_LIB)) user/user.ld
	@echo "  ULD     $$@"
	$(Q)$(USER_CC_$(1)) $(USER_ARCHFLAGS_$(1)) $(USER_LDFLAGS) $(USER_LDARCH_$(1)) \
	  $$(filter %.o,$$^) -Wl,--start-group -lc -lgcc -Wl,--end-group -o $$@.tmp
	$(Q)$(PYTHON) tools/user_diff.py check-elf $$@.tmp
	@mv $$@.tmp $$@

# The kernel embeds the programs without their symbols and debug info.
$(USERB)/$(1)/strip/%.elf: $(USERB)/$(1)/%.elf
	@mkdir -p $$(@D)
	$(Q)$(USER_OBJCOPY_$(1)) --strip-all $$< $$@.tmp
	$(Q)$(PYTHON) tools/user_diff.py check-elf $$@.tmp
	@mv $$@.tmp $$@

$(USERB)/$(1)/user_progs.S: $(foreach p,$(USER_PROGS),$(USERB)/$(1)/strip/$(p).elf) $(USER_RUNS) tools/user_diff.py
	$(Q)$(PYTHON) tools/user_diff.py embed --runs $(USER_RUNS) $(foreach p,$(USER_PROGS),$(USERB)/$(1)/strip/$(p).elf) > $$@

$(USERB)/$(1)/user_progs.o: $(USERB)/$(1)/user_progs.S
	$(Q)$(USER_CC_$(1)) $(USER_ARCHFLAGS_$(1)) -c $$< -o $$@
endef
$(foreach a,$(USER_ARCHES),$(eval $(call USER_ARCH_RULES,$(a))))

# Linux's side: every run of tests/user/runs.txt under qemu-user, both
# arches; the KTAP log is build/user/linux.log (in make test).
USER_LINUX_LOGGED = $(PYTHON) tools/user_diff.py linux --runs $(USER_RUNS) --ktap > $(USERB)/linux.log 2>&1 || true
user-linux: $(USER_ELFS)
	@$(USER_LINUX_LOGGED); $(PYTHON) tools/ktap.py --label user-linux $(USERB)/linux.log

# arbor's side, for the kernel's log of a board that ran the programs
# (BOARD=...; the log defaults to its make test boot log): a KTAP document
# build/<board>/user-diff.log, suite user_diff_<board>, one case per run.
USER_LOG ?= $(B)/ktest.log
user-diff: $(USER_ELFS)
	@$(PYTHON) tools/user_diff.py diff --arch $(ARCH) --log $(USER_LOG) --label $(subst -,_,$(BOARD)) \
	  --runs $(USER_RUNS) > $(B)/user-diff.log 2>&1 || true; \
	  $(PYTHON) tools/ktap.py --label $(BOARD)-user $(B)/user-diff.log

# sysfuzz with random seeds for FUZZ_TIME seconds: first under qemu-user
# alone (a run whose self-check fails or that dies is printed with its
# seed), then against arbor: rounds of FUZZ_SEEDS seeds, each booted on
# both arches' virt boards (4 CPUs, urun= on the command line, the proc
# suite's invariants after every process) and compared line for line with
# qemu-user; a failing round's logs stay in build/user/fuzz-<arch>-<round>.*.
FUZZ_SEEDS ?= 4
FUZZ_STEPS ?= 400
fuzz-user: $(USER_ELFS)
	$(PYTHON) tools/user_diff.py fuzz --time $(FUZZ_TIME)
	@for b in qemu-virt-riscv64 qemu-virt-aarch64; do $(MAKE) -s --no-print-directory BOARD=$$b all || exit 1; done
	@end=$$(( $$(date +%s) + $(FUZZ_TIME) )); round=0; bad=0; \
	 while [ $$(date +%s) -lt $$end ]; do round=$$((round + 1)); \
	   seeds=$$(od -An -N$$(( 4 * $(FUZZ_SEEDS) )) -tu4 /dev/urandom); urun=; : > $(USERB)/fuzz-runs.txt; \
	   for s in $$seeds; do urun=$$urun$${urun:+,}sysfuzz:$$s:$(FUZZ_STEPS); \
	     echo "sysfuzz $$s $(FUZZ_STEPS)" >> $(USERB)/fuzz-runs.txt; done; \
	   for b in qemu-virt-riscv64 qemu-virt-aarch64; do a=$${b#qemu-virt-}; \
	     log=$(USERB)/fuzz-$$a-$$round.log; \
	     timeout $(TEST_TIMEOUT) $(MAKE) -s --no-print-directory BOARD=$$b QEMU_FLAGS= fuzz-user-boot \
	       FUZZ_URUN=$$urun > $$log 2>&1; \
	     cp $(USERB)/fuzz-runs.txt $(USERB)/fuzz-$$a-$$round.runs; \
	     if $(PYTHON) tools/user_diff.py diff --arch $$a --log $$log --runs $(USERB)/fuzz-$$a-$$round.runs \
	          --label fuzz > $$log.diff 2>&1 && $(PYTHON) tools/ktap.py --label $$a-round-$$round $$log.diff \
	          > /dev/null && $(PYTHON) tools/ktap.py --label $$a-round-$$round $$log > /dev/null; then \
	       rm -f $$log $$log.diff $(USERB)/fuzz-$$a-$$round.runs; \
	     else bad=$$((bad + 1)); echo "fuzz-user: arbor $$a differs or failed for seeds:$$seeds (see $$log)"; fi; \
	   done; done; echo "fuzz-user: $$round rounds of $(FUZZ_SEEDS) seeds against arbor, $$bad failed"; [ $$bad = 0 ]

fuzz-user-boot: $(B)/Image
	@$(QEMU_CMD) -append "ktest=proc urun=$(FUZZ_URUN) poweroff" < /dev/null
