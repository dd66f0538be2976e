#!/usr/bin/env python3
"""Where the instructions of one user-mode benchmark operation go: boot
the aarch64 kernel with bench=<case> under gdb, stop in ubench right after
it reads the counter, single-step every instruction (user and kernel)
until it reads the counter again, and count the steps per function.

usage: insn_profile.py CASE [--image build/qemu-virt-aarch64] [--top N]
  CASE  a user_* bench case (tests/proc/bench_user.c), e.g. user_zero_fill_fault

The total is the operation's instruction count (make bench's figure plus
the counter read's few instructions).  Slow: about a millisecond per
instruction; fine up to some 100,000.
"""
import argparse
import bisect
import os
import re
import subprocess
import sys
import tempfile

ISB = 0xd5033fdf
MRS_PMEVCNTR0 = re.compile(r'^\s*([0-9a-f]+):\s+mrs\s+x\d+, pmevcntr0_el0')

GDB_SCRIPT = r'''
import gdb
gdb.execute("set pagination off")
gdb.execute("target remote :{port}")
gdb.execute("hbreak *{start:#x}")
gdb.execute("ignore 1 {skip}")
gdb.execute("continue")
gdb.execute("delete")
inf = gdb.selected_inferior()
out = open({out!r}, "w")
n = 0
while n < {limit}:
    gdb.execute("stepi", to_string=True)
    pc = int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff
    if pc < 0x100000000 and int.from_bytes(inf.read_memory(pc, 4).tobytes(), "little") == {isb}:
        break
    out.write("%x\n" % pc)
    n += 1
out.close()
gdb.execute("kill")
'''


def symbols(elf):
    """Sorted (address, name) of the functions of @elf."""
    out = subprocess.run(['aarch64-linux-gnu-nm', '-n', elf], capture_output=True,
                         text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in 'tTwW':
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def measured_start(ubench_elf):
    """{function: [address after each read of the PMU counter in it]}:
    where ubench's measured regions start (and the next one ends)."""
    dis = subprocess.run(['aarch64-linux-gnu-objdump', '-d', '--no-show-raw-insn', ubench_elf],
                         capture_output=True, text=True, check=True).stdout
    starts, fn = {}, None
    for line in dis.splitlines():
        m = re.match(r'^[0-9a-f]+ <(\w+)>:', line)
        if m:
            fn = m.group(1)
            continue
        m = MRS_PMEVCNTR0.match(line)
        if m and fn:
            starts.setdefault(fn, []).append(int(m.group(1), 16) + 4)
    return starts


# bench case -> (ubench function of its measurement, which of the
# function's counter reads starts it: the first read of each region; cow()
# has the COW write's region first, then the last holder's).
OPS = {
    'user_null_syscall': ('op_null_syscall', 0), 'user_zero_fill_fault': ('op_zero_fill_fault', 0),
    'user_read_fault': ('op_read_fault', 0), 'user_cow_fault': ('cow', 0),
    'user_last_holder_write': ('cow', 2), 'user_fork_1': ('fork_of', 1),
    'user_mmap_munmap': ('op_mmap_munmap', 0), 'user_fork_10000': ('fork_of', 1),
    'user_munmap_1000': ('munmap_of', 0),
}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('case', choices=sorted(OPS))
    ap.add_argument('--image', default='build/qemu-virt-aarch64')
    ap.add_argument('--ubench', default='build/user/aarch64/ubench.elf')
    ap.add_argument('--top', type=int, default=25)
    ap.add_argument('--limit', type=int, default=200000)
    ap.add_argument('--trace', help='also write the stepped addresses to this file')
    ap.add_argument('--skip', type=int, default=0,
                    help='profile repetition SKIP+1 (of the 11 a bench case runs): '
                         'the first runs on cold slabs and caches')
    ap.add_argument('--port', type=int, default=1234 + os.getpid() % 1000)
    args = ap.parse_args(argv)

    fn, which = OPS[args.case]
    start = measured_start(args.ubench)[fn][which]
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, 'trace')
        script = os.path.join(tmp, 'prof.py')
        with open(script, 'w') as f:
            f.write(GDB_SCRIPT.format(port=args.port, start=start, skip=args.skip, out=trace,
                                      limit=args.limit, isb=ISB))
        qemu = subprocess.Popen(
            ['qemu-system-aarch64', '-machine', 'virt,gic-version=3', '-cpu', 'cortex-a57',
             '-m', '256M', '-smp', '1', '-nographic', '-nic', 'none',
             '-icount', 'shift=0,sleep=off', '-kernel', f'{args.image}/Image',
             '-append', f'bench={args.case} poweroff', '-S', '-gdb', f'tcp::{args.port}'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            subprocess.run(['gdb-multiarch', '-q', '-batch', '-nx', '-ex', f'source {script}'],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=False,
                           timeout=3600)
        finally:
            qemu.kill()
            qemu.wait()
        with open(trace) as f:
            pcs = [int(x, 16) for x in f.read().split()]
        if args.trace:
            with open(args.trace, 'w') as f:
                f.write(''.join(f'{pc:x}\n' for pc in pcs))
    syms = symbols(f'{args.image}/kernel.elf') + symbols(args.ubench)
    syms.sort()
    addrs = [a for a, _ in syms]
    count = {}
    for pc in pcs:
        i = bisect.bisect_right(addrs, pc) - 1
        name = syms[i][1] if i >= 0 else '?'
        if pc < 0x100000000:
            name = 'user: ' + name
        count[name] = count.get(name, 0) + 1
    print(f'{args.case}: {len(pcs)} instructions stepped')
    for name, n in sorted(count.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f'{n:8d} {100 * n / len(pcs):5.1f}%  {name}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
