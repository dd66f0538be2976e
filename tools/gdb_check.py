#!/usr/bin/env python3
"""The debugger check of make test: gdb-multiarch against QEMU's gdb stub.

  gdb_check.py ARCH ELF PHYS_ELF TRAMP_O LOAD_PA OUT -- QEMU COMMAND...

Two boots, each halted at reset (-S) with the gdb stub on a free port:

1. `ktest=gdb_probe`: break in gdb_probe_target(), which a fiber started
   by a fiber calls through an FFI trampoline (tests/exec/gdb_probe.c);
   after `arbor-tramp` (tools/arbor.gdb) `bt` must list, in order, the
   target, the trampoline stub, both fibers' functions with the joins that
   started them, the test case, the runner, kernel_main and _start, end at
   _start, and print no "corrupt stack" nor "Backtrace stopped".
2. The same boot, a trap in a fiber: break in trap_dispatch() once the
   fiber that traps runs; `bt` must go through trap entry into the
   trapping function, its fiber, the join that started it, and on to
   _start, as cleanly.
3. Before the MMU is on: with `arbor-phys`, break in boot_mmu_early(),
   which runs at the physical load address; the stop must be there, at a
   physical pc, and `bt` must show _start as its caller.

Writes a KTAP document (suite gdb, one case per boot) to OUT, with gdb's
output as diagnostics of a failing case; exits 0 either way (make test
reads OUT).
"""
import os
import re
import socket
import subprocess
import sys

RA = {'riscv64': '$ra', 'aarch64': '$x30'}
GDB_TIMEOUT = 120

PROBE_CHAIN = ['gdb_probe_target', 'tramp_stub', 'gdb_probe_inner', 'fiber_main',
               'fiber_join', 'gdb_probe_outer', 'fiber_main', 'fiber_join',
               'test_nested_fiber_calls_through_a_trampoline', 'ktest_run',
               'kernel_main', '_start']
FRAME_RE = re.compile(r'^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\S+) \(')


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(qemu, bootargs, setup, commands):
    """Boot halted, run gdb with @commands; gdb's output."""
    port = free_port()
    q = subprocess.Popen(qemu + ['-S', '-gdb', f'tcp:127.0.0.1:{port}', '-append', bootargs],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        args = ['gdb-multiarch', '-q', '-nx', '-batch']
        for c in ['set confirm off', 'set pagination off', 'set width 0'] + setup + [
                  f'target remote 127.0.0.1:{port}'] + commands + ['kill']:
            args += ['-ex', c]
        try:
            r = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, timeout=GDB_TIMEOUT)
            return r.stdout + r.stderr
        except subprocess.TimeoutExpired as e:
            return (e.stdout or b'').decode(errors='replace') + '\ngdb: timed out\n'
    finally:
        q.kill()
        q.wait()


def frames(out):
    return [m.group(2) for m in map(FRAME_RE.match, out.splitlines()) if m]


def check_bt(out, chain):
    """Problems with the backtrace in @out: [] when @chain is in it, in order, ending it."""
    names, errs = frames(out), []
    at = 0
    for want in chain:
        while at < len(names) and names[at] != want:
            at += 1
        if at == len(names):
            errs.append(f'no frame {want} in order')
            break
        at += 1
    if not names or names[-1] != chain[-1]:
        errs.append(f'the last frame is not {chain[-1]}')
    for bad in ('corrupt stack', 'Backtrace stopped'):
        if bad in out:
            errs.append(f'gdb printed "{bad}"')
    return errs


def probe(arch, elf_setup, qemu):
    out = run(qemu, 'ktest=gdb_probe poweroff', elf_setup, [
        'break gdb_probe_target', 'continue', f'arbor-tramp {RA[arch]}', 'bt 64'])
    errs = []
    if 'Breakpoint 1, gdb_probe_target' not in out:
        errs.append('did not stop in gdb_probe_target')
    return errs + check_bt(out, PROBE_CHAIN), out


TRAP_CHAIN = ['trap_dispatch', 'arch_test_illegal', 'gdb_probe_trapper', 'fiber_main',
              'fiber_join', 'test_trap_in_a_fiber', 'ktest_run', 'kernel_main', '_start']


def trap(arch, elf_setup, qemu):
    out = run(qemu, 'ktest=gdb_probe poweroff', elf_setup, [
        'break gdb_probe_trapper', 'continue', 'break trap_dispatch', 'continue', 'bt 64'])
    errs = []
    if 'Breakpoint 2, trap_dispatch' not in out:
        errs.append('did not stop in trap_dispatch')
    return errs + check_bt(out, TRAP_CHAIN), out


def pre_mmu(arch, elf_setup, qemu):
    out = run(qemu, 'poweroff', elf_setup + ['arbor-phys'], [
        'break boot_mmu_early', 'continue', 'printf "pc=0x%lx\\n", $pc', 'bt 16'])
    errs = []
    if not re.search(r'Breakpoint 1\.\d+, boot_mmu_early', out):
        errs.append('did not stop in boot_mmu_early')
    m = re.search(r'^pc=0x([0-9a-f]+)$', out, re.M)
    if not m or int(m.group(1), 16) >= 1 << 47:
        errs.append('the stop was not at a physical address')
    # The chain must reach _start; how gdb ends it there varies: a stop in a
    # function that has pushed no frame yet makes gdb see _start's frame as
    # the same as its callee's on aarch64 ("previous frame identical").
    names = frames(out)
    if names[:2] != ['boot_mmu_early', '_start']:
        errs.append('bt is not boot_mmu_early, _start')
    return errs, out


def main(argv):
    if len(argv) < 8 or argv[6] != '--':
        sys.exit(__doc__)
    arch, elf, phys_elf, tramp_o, load_pa, out_path = argv[:6]
    qemu = argv[7:]
    here = os.path.dirname(os.path.abspath(__file__))
    setup = [f'file {elf}', f'set $arbor_tramp_o = "{tramp_o}"',
             f'set $arbor_phys_elf = "{phys_elf}"', f'set $arbor_load_pa = {load_pa}',
             f'source {os.path.join(here, "arbor.gdb")}']
    cases = [('bt_from_a_trampoline_in_a_nested_fiber_reaches_the_creators', probe),
             ('bt_from_a_trap_handler_reaches_the_trapping_fiber_and_its_creators', trap),
             ('break_before_the_mmu_at_physical_addresses', pre_mmu)]
    lines = ['KTAP version 1', '1..1', '  KTAP version 1', '  # Subtest: gdb',
             f'  1..{len(cases)}']
    failed = 0
    for i, (name, fn) in enumerate(cases, 1):
        errs, out = fn(arch, setup, qemu)
        if errs:
            failed += 1
            lines += [f'  # {name}: {e}' for e in errs]
            lines += [f'  # {name}: gdb: {l}' for l in out.splitlines() if l.strip()]
        lines.append(f'  {"not ok" if errs else "ok"} {i} {name}')
    n = len(cases)
    lines += [f'# gdb: pass:{n - failed} fail:{failed} skip:0 total:{n}',
              f'{"not ok" if failed else "ok"} 1 gdb',
              f'# Totals: pass:{n - failed} fail:{failed} skip:0 total:{n}']
    with open(out_path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main(sys.argv[1:])
