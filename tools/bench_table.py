#!/usr/bin/env python3
"""Gather the machine-readable benchmark lines of several boots into one
Markdown table, compare two runs for determinism, or plot how cost grows.

usage: bench_table.py table LOG... [--linux LOG --vct LOG [--linux-version TEXT]]
                                             Markdown tables on stdout
       bench_table.py same LABEL LOG1 LOG2   KTAP: do both runs give the same counts?
       bench_table.py plot PREFIX LOG... [--linux LOG]
                                             PREFIX-<figure>.svg (gnuplot)

A log holds lines like
    bench: arch=riscv64 op=cow_fault insns=1234 bound=copy_page bound_insns=1100
printed by the kernel's bench runner (kernel/ktest/bench.c), and lines
    ubench-grow arch=aarch64 op=fork size=100 insns=114032 reps=11 clock=insn
    ubench-ops arch=aarch64 op=fork size=1 insns=87934 reps=31 clock=vct
printed by the user-mode benchmark (tests/user/progs/ubench.c), on arbor
or as Linux's /init (make bench-linux: --linux is Linux's log, --vct
arbor's run of the same operations counted the same way, with CNTVCT).
"""
import os
import re
import shutil
import subprocess
import sys

LINE = re.compile(r'^bench: arch=(\S+) op=(\S+) insns=(\d+) bound=(\S+) bound_insns=(\d+)\s*$')
ULINE = re.compile(r'^ubench-(ops|grow) arch=(\S+) op=(\S+) size=(\d+) insns=(\d+) '
                   r'reps=(\d+) clock=(\S+)\s*$')
MLINE = re.compile(r'^bench-meta arch=(\S+) layout=(\S+) pages=(\d+) bytes_per_page=([0-9.]+)\s*$')

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


def matches(path, regex):
    """The match groups of the lines of @path that @regex matches."""
    with open(path, errors='replace') as f:
        return [m.groups() for m in map(regex.match, (l.rstrip('\r\n') for l in f)) if m]


def parse(path):
    return [(arch, op, int(n), bound, int(bn))
            for arch, op, n, bound, bn in matches(path, LINE)]


def parse_ubench(path, kind=None):
    """(set, arch, op, size, insns, reps, clock) of the ubench lines, of
    one set ('ops' or 'grow') when @kind says."""
    return [(st, arch, op, int(size), int(n), int(reps), clock)
            for st, arch, op, size, n, reps, clock in matches(path, ULINE)
            if kind is None or st == kind]


def parse_meta(path):
    """(arch, layout, pages, bytes per page) of the anon_meta sweep's lines."""
    return [(arch, layout, int(pages), float(b))
            for arch, layout, pages, b in matches(path, MLINE)]


def figures(paths):
    """{(arch, op): insns} of the bench lines of @paths."""
    return {(r[0], r[1]): r[2] for p in paths for r in parse(p)}


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



# The goals of the user-mode figures (issue 20), as (bench case, text,
# test on the figures of one arch: figure, bound -> limit).
USER_GOALS = [
    ('user_zero_fill_fault', 'ubench zero_fill_fault', '<= clear_page + 300',
     lambda f: f.get('clear_page', 0) + 300),
    ('user_read_fault', 'ubench read_fault', '<= 300', lambda f: 300),
    ('user_cow_fault', 'ubench cow_fault', '<= copy_page + 400',
     lambda f: f.get('copy_page', 0) + 400),
    ('user_last_holder_write', 'ubench last_holder_write', '<= 300', lambda f: 300),
    ('user_fork_1', 'ubench fork 1', '<= 3,000 + 20 / page', lambda f: 3020),
    ('user_fork_10000', 'ubench fork 10000', '<= 3,000 + 20 / page', lambda f: 203000),
    ('user_munmap_1000', 'ubench munmap_populated 1000', '<= 60 / page', lambda f: 60000),
    ('user_mmap_munmap', 'ubench mmap_munmap', '<= 1,000', lambda f: 1000),
    ('user_null_syscall', 'ubench null_syscall', '<= 100', lambda f: 100),
    ('page_alloc_free', 'kernel: page alloc + free', '<= 60', lambda f: 60),
    ('kmalloc_kfree_64', 'kernel: kmalloc + kfree 64 B', '<= 40', lambda f: 40),
]
# ubench's (op, size) of each user_* case.
UBENCH_OF = {
    'user_null_syscall': ('null_syscall', 1), 'user_zero_fill_fault': ('zero_fill_fault', 1),
    'user_read_fault': ('read_fault', 1), 'user_cow_fault': ('cow_fault', 1),
    'user_last_holder_write': ('last_holder_write', 1), 'user_fork_1': ('fork', 1),
    'user_fork_10000': ('fork', 10000), 'user_mmap_munmap': ('mmap_munmap', 1),
    'user_munmap_1000': ('munmap_populated', 1000),
}
NO_LINUX_RISCV = ('riscv64: no Linux column: Debian 12 (bookworm) main has no '
                  'riscv64 Linux kernel package (riscv64 is not a release architecture of it).')


def ubench_figures(path):
    return {(r[2], r[3]): r[4] for r in parse_ubench(path, 'ops')}


def fmt(n):
    return f'{n:,}' if n is not None else '-'


def goals_table(paths, linux=None, vct=None, linux_version=None):
    """The goals, measured: arbor per arch (exact counts), its goal, and
    with make bench-linux Linux's figure (aarch64) and arbor's counted
    the same way."""
    figs = figures(paths)
    archs = sorted({a for a, _ in figs})
    lx = ubench_figures(linux) if linux else {}
    av = ubench_figures(vct) if vct else {}
    print()
    print('### Goals (issue 20), measured')
    print()
    head = '| operation |'
    for a in archs:
        head += f' {a} | {a} goal | met |'
    if linux:
        head += ' aarch64, CNTVCT | Linux aarch64, CNTVCT | Linux / arbor |'
    print(head)
    print('|' + '---|' * (1 + 3 * len(archs) + (3 if linux else 0)))
    for case, text, goal, limit in USER_GOALS:
        cells = [text]
        for a in archs:
            f = {op: n for (ar, op), n in figs.items() if ar == a}
            n = f.get(case)
            lim = limit(f)
            cells += [fmt(n), goal if goal[3:].replace(',', '').isdigit() else f'{goal} = {lim:,}',
                      '-' if n is None else
                      ('yes' if n <= lim else f'no, x{n / lim:.1f}')]
        if linux:
            key = UBENCH_OF.get(case)
            a, l = (av.get(key), lx.get(key)) if key else (None, None)
            cells += [fmt(a), fmt(l), f'{l / a:.2f}' if a and l else '-']
        print('| ' + ' | '.join(cells) + ' |')
    meta = {(r[0], r[1], r[2]): r[3] for p in paths for r in parse_meta(p)}
    for layout, pages in (('dense', 10000), ('sparse', 10000)):
        cells = [f'memory per resident anonymous page beyond its PTE, {pages:,} {layout} (B)']
        for a in archs:
            b = meta.get((a, layout, pages))
            cells += ['-' if b is None else f'{b:.1f}', '<= 16',
                      '-' if b is None else ('yes' if b <= 16 else f'no, x{b / 16:.1f}')]
        print('| ' + ' | '.join(cells) + (' | - | - | - |' if linux else ' |'))
    print()
    print('The arbor columns are make bench\'s exact counts (the instruction counter, '
          'median of 11, the kernel\'s empty measurement subtracted).')
    if linux:
        print(f'Linux: Debian 12\'s {linux_version or "arm64 kernel"}, booted on the same '
              'QEMU machine line with the same -icount, running the same static ubench '
              'binary as /init; it cannot read the PMU from user mode, so both kernels '
              'are counted there with CNTVCT_EL0 (1 tick = 16 instructions under '
              '-icount shift=0 on QEMU 7.2\'s virt; the figure is the mean of the '
              'repetitions within a tick of the median). The ratio is Linux / arbor, '
              'both counted that way: above 1, arbor is cheaper.')
        print()
        print(NO_LINUX_RISCV)


# The growth figures: (file suffix, title, x label, ops plotted).
PLOTS = [
    ('vareas', 'write fault on an untouched page against vareas in the address space',
     'vareas', ['fault_vareas']),
    ('chain', 'read and write at the bottom of a fork chain', 'fork chain depth',
     ['chain_read', 'chain_cow']),
    ('fork', 'fork against resident pages (4 KiB pages; _2m: 2 MiB-aligned, '
     'Linux with 2 MiB blocks)', 'resident pages (4 KiB)', ['fork', 'fork_2m']),
    ('munmap', 'munmap of a populated range (4 KiB pages; _2m: 2 MiB-aligned, '
     'Linux with 2 MiB blocks)', 'pages (4 KiB)', ['munmap_populated', 'munmap_2m']),
]
PER_PAGE = {'fork', 'fork_2m', 'munmap_populated', 'munmap_2m'}


def grow_series(paths, linux=None):
    """{label: {op: [(size, insns)]}}: one label per arch of arbor, one for Linux."""
    series = {}
    for path, kernel in [(p, 'arbor') for p in paths] + ([(linux, 'Linux')] if linux else []):
        for st, arch, op, size, n, reps, clock in parse_ubench(path, 'grow'):
            series.setdefault(f'{kernel} {arch}', {}).setdefault(op, []).append((size, n))
    return series


def grow_table(paths, linux=None):
    series = grow_series(paths, linux)
    if not series:
        return
    labels = list(series)
    print()
    print('### How cost grows (instructions; per page for fork and munmap)')
    print()
    print('| operation | size | ' + ' | '.join(labels) + ' |')
    print('|' + '---|' * (2 + len(labels)))
    for _, _, _, ops in PLOTS:
        for op in ops:
            sizes = sorted({s for l in labels for s, _ in series[l].get(op, [])})
            for size in sizes:
                cells = []
                for l in labels:
                    n = dict(series[l].get(op, [])).get(size)
                    if n is None:
                        cells.append('-')
                    elif op in PER_PAGE:
                        cells.append(f'{n:,} ({n / size:,.0f} / page)')
                    else:
                        cells.append(f'{n:,}')
                print(f'| {op} | {size:,} | ' + ' | '.join(cells) + ' |')
    print()
    print('arbor: exact counts (ubench grow, the instruction counter); Linux: counted '
          'with CNTVCT_EL0 (make bench-linux). arbor has no 2 MiB blocks for anonymous '
          'memory: its _2m figures are 4 KiB pages of a 2 MiB-aligned range. '
          'fault_vareas: n / 2 read-write vareas of 4 pages between PROT_NONE ones.')


def plot(prefix, paths, linux=None):
    series = grow_series(paths, linux)
    if not series:
        print('no ubench-grow lines found', file=sys.stderr)
        return 1
    gp = shutil.which('gnuplot')
    if not gp:
        print('plot: gnuplot is missing (tools/setup.sh installs gnuplot-nox)', file=sys.stderr)
        return 1
    os.makedirs(os.path.dirname(prefix) or '.', exist_ok=True)
    for name, title, xlabel, ops in PLOTS:
        data, curves = [], []
        for label in series:
            for op in ops:
                pts = sorted(series[label].get(op, []))
                if pts:
                    data.append('\n'.join(f'{x} {y}' for x, y in pts) + '\ne\n')
                    curves.append(f"'-' using 1:2 with linespoints title '{label} {op}'")
        if not curves:
            continue
        script = (f"set terminal svg size 800,500 dynamic background rgb 'white'\n"
                  f"set output '{prefix}-{name}.svg'\n"
                  f"set title '{title}' noenhanced\n"
                  f"set xlabel '{xlabel}'\nset ylabel 'instructions (-icount shift=0)'\n"
                  "set logscale xy\nset grid\nset key left top noenhanced\n"
                  "set format y '%.0s%c'\n"
                  f"plot {', '.join(curves)}\n" + ''.join(data))
        subprocess.run([gp], input=script, text=True, check=True)
    return 0


def differences(label, xs, ys, name, count, what):
    """Comment lines for the figures that differ between two runs."""
    for x, y in zip(xs, ys):
        if x != y:
            print(f'# {label}: {name(x)}: {count(x)} vs {count(y)} instructions')
    if len(xs) != len(ys):
        print(f'# {label}: {len(xs)} vs {len(ys)} {what}')


def same(label, a, b):
    ra, rb = parse(a), parse(b)
    ua, ub = parse_ubench(a), parse_ubench(b)
    ma, mb = parse_meta(a), parse_meta(b)
    ok = ra and ra == rb and ua == ub and ma == mb
    print('KTAP version 1\n1..1')
    if not ra:
        print(f'# {label}: no benchmark lines in {a}')
    elif ra != rb:
        differences(label, ra, rb, lambda r: r[1], lambda r: r[2], 'figures')
    if ua != ub:
        differences(label, ua, ub, lambda r: f'ubench {r[2]} {r[3]}', lambda r: r[4],
                    'ubench figures')
    if ma != mb:
        differences(label, ma, mb, lambda r: f'anon_meta {r[1]} {r[2]}', lambda r: r[3],
                    'anon_meta figures')
    print(f'{"ok" if ok else "not ok"} 1 {label}_bench_deterministic')
    return 0 if ok else 1


def options(args, names):
    """Split --name VALUE options off @args."""
    opts, rest = {}, []
    it = iter(args)
    for a in it:
        if a.startswith('--') and a[2:] in names:
            opts[a[2:].replace('-', '_')] = next(it, None)
        else:
            rest.append(a)
    return opts, rest


def main(argv):
    if len(argv) >= 2 and argv[0] == 'table':
        opts, paths = options(argv[1:], ('linux', 'vct', 'linux-version'))
        rc = table(paths)
        if rc == 0:
            goals_table(paths, **opts)
            grow_table(paths, opts.get('linux'))
        return rc
    if len(argv) == 4 and argv[0] == 'same':
        return same(*argv[1:])
    if len(argv) >= 3 and argv[0] == 'plot':
        opts, paths = options(argv[2:], ('linux',))
        return plot(argv[1], paths, opts.get('linux'))
    sys.exit(__doc__)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
