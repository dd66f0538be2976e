#!/usr/bin/env python3
"""Gather the machine-readable benchmark lines of several boots into one
Markdown table, or compare two runs for determinism.

usage: bench_table.py table LOG...        Markdown table on stdout
       bench_table.py same LABEL LOG1 LOG2  KTAP: do both runs give the same counts?

A log holds lines like
    bench: arch=riscv64 op=cow_fault insns=1234 bound=copy_page bound_insns=1100
printed by the kernel's bench runner (kernel/ktest/bench.c).
"""
import re
import sys

LINE = re.compile(r'^bench: arch=(\S+) op=(\S+) insns=(\d+) bound=(\S+) bound_insns=(\d+)\s*$')

# The goals the project reports against (instructions), by operation.
GOALS = {
    'page_alloc_free': '<= 60',
    'kmalloc_kfree_64': '<= 40',
    'zero_fill_fault': '<= clear_page + 300',
    'cow_fault': '<= copy_page + 400',
    'last_holder_fault': '<= 300',
    'tramp_call': '<= direct_call + 20',
    'stack_call_system': '<= stack_direct_call + 30',
    'stack_call_given': '<= stack_direct_call + 30',
}


def parse(path):
    rows = []
    with open(path, errors='replace') as f:
        for line in f:
            m = LINE.match(line.rstrip('\r\n'))
            if m:
                arch, op, n, bound, bn = m.groups()
                rows.append((arch, op, int(n), bound, int(bn)))
    return rows


def table(paths):
    rows = [r for p in paths for r in parse(p)]
    if not rows:
        print('no benchmark lines found', file=sys.stderr)
        return 1
    archs = sorted({r[0] for r in rows})
    ops = []
    for r in rows:
        if r[1] not in ops:
            ops.append(r[1])
    by = {(r[0], r[1]): r for r in rows}
    head = '| operation | ' + ' | '.join(
        f'{a} insns | {a} bound | {a} over bound | {a} ratio' for a in archs) + ' | goal |'
    print(head)
    print('|' + '---|' * (2 + 4 * len(archs)))
    for op in ops:
        cells = []
        for a in archs:
            r = by.get((a, op))
            if not r:
                cells += ['-', '-', '-', '-']
            elif r[3] == 'none' or not r[4]:
                cells += [str(r[2]), '-', '-', '-']
            else:
                cells += [str(r[2]), f'{r[3]} {r[4]}', f'{r[2] - r[4]:+d}',
                          f'{r[2] / r[4]:.2f}']
        print(f'| {op} | ' + ' | '.join(cells) + f' | {GOALS.get(op, "")} |')
    return 0


def same(label, a, b):
    ra, rb = parse(a), parse(b)
    ok = ra and ra == rb
    print('KTAP version 1\n1..1')
    if not ra:
        print(f'# {label}: no benchmark lines in {a}')
    elif ra != rb:
        for x, y in zip(ra, rb):
            if x != y:
                print(f'# {label}: {x[1]}: {x[2]} vs {y[2]} instructions')
        if len(ra) != len(rb):
            print(f'# {label}: {len(ra)} vs {len(rb)} figures')
    print(f'{"ok" if ok else "not ok"} 1 {label}_bench_deterministic')
    return 0 if ok else 1


def main(argv):
    if len(argv) >= 2 and argv[0] == 'table':
        return table(argv[1:])
    if len(argv) == 4 and argv[0] == 'same':
        return same(*argv[1:])
    sys.exit(__doc__)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
