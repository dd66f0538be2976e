#!/usr/bin/env python3
"""User programs against Linux: run them under qemu-user, compare with arbor.

usage:
  user_diff.py linux [--runs FILE] [--arch A]... [--ktap]
      Run every run of FILE (tests/user/runs.txt) under qemu-<arch>
      (Linux's side).  Without --ktap, print each run's output and status;
      with it, a KTAP document: one suite user_linux_<arch>, one case
      user_<run> per run, ok when the program's self-checks all passed
      ("done N checks, 0 failed", no FAIL line) and it exited 0.
  user_diff.py diff --arch A --log LOG [--runs FILE] [--divergences FILE] [--label L]
      Compare the runs a kernel log holds (the format below) with the same
      runs under qemu-<arch>, line for line and exit status, allowing the
      listed divergences; print a KTAP document: one suite user_diff_<L>
      (L defaults to A), one case user_<run> per run of FILE.  A run
      missing from the log fails.
  user_diff.py fuzz [--time S] [--steps N] [--arch A]...
      Run sysfuzz under qemu-user with random seeds for S seconds; print
      and count every run that did not pass, with its seed.
  user_diff.py embed [--runs FILE] ELF...
      Print the assembly file that embeds the programs in the kernel.
  user_diff.py check-elf ELF...
      Check a program's program headers: ET_EXEC, no PT_INTERP or
      PT_DYNAMIC, PT_LOAD segments page aligned, none writable and
      executable.

The kernel log format (serial console; any prefix of spaces and '#'
before the marker is ignored, so the lines may sit inside a KTAP case):
  # user: run <name> <args...>
  # user| <one line the program, or a child of it, printed>
  # user: exit <name> status=<exited N|signal S>

A run's status is compared as one more line, "status <exited N|signal S>".
The divergence file has one record per divergence, blank-line separated:
  program: <run name, fnmatch pattern: sysfuzz*>
  kind: arbor | qemu   (optional, default arbor)
  linux: <regular expression the Linux line must match in full>
  arbor: <regular expression arbor's line must match in full>
  reason: <why we differ>   (indented lines continue it)
'<none>' stands for a line one side does not have.  Lines starting with
'#' are comments.  kind arbor: arbor differs from Linux on purpose; kind
qemu: qemu-user does not do what Linux does, and the program checks
Linux's behaviour.  A FAIL line that a record excuses on its side (the
linux pattern of a qemu record, the arbor pattern of an arbor record)
does not fail the run: the "done N checks, F failed" line and the exit
status are compared with the excused failures taken out.
"""
import fnmatch
import os
import random
import re
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCHES = ('riscv64', 'aarch64')
RUNS = os.path.join(ROOT, 'tests', 'user', 'runs.txt')
DIVERGENCES = os.path.join(ROOT, 'tests', 'user', 'divergences.txt')
BUILD = os.path.join(ROOT, 'build', 'user')
RUN_TIMEOUT = 20
NONE = '<none>'

MARK_RE = re.compile(r'# user([:|])(.*)$')
PREFIX_RE = re.compile(r'[ #]*')
RUN_RE = re.compile(r'run (\S+)((?: \S+)*)')
EXIT_RE = re.compile(r'exit (\S+) status=(exited [0-9]+|signal [0-9]+)')
DONE_RE = re.compile(r'done ([0-9]+) checks, ([0-9]+) failed')


class Run:
    """One program run: its argv (name first), output lines and status."""

    def __init__(self, argv, lines=None, status=None):
        self.argv, self.lines, self.status = list(argv), lines or [], status

    @property
    def name(self):
        return self.argv[0]

    def key(self):
        return ' '.join(self.argv)

    def case_name(self):
        return 'user_' + re.sub(r'\W', '_', '_'.join(self.argv))

    def all_lines(self):
        """The output and, last, the exit status as one more line."""
        return self.lines + [f'status {self.status}' if self.status else 'status <none>']


def read_runs(path):
    """The runs of a runs file: one argv per non-blank, non-comment line."""
    runs = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                runs.append(line.split())
    return runs


# ---------------------------------------------------------------- kernel log

def parse_kernel_log(text):
    """The runs in a kernel log, in order.  Returns (runs, errors).

    A run that has no exit line (the kernel died, or the log was cut) keeps
    status None; an output or exit line outside any run is an error."""
    runs, errors, cur = [], [], None
    for n, raw in enumerate(text.split('\n'), 1):
        line = raw[:-1] if raw.endswith('\r') else raw
        m = MARK_RE.search(line)
        if not m or not PREFIX_RE.fullmatch(line[:m.start()]):
            continue
        kind, rest = m.group(1), m.group(2)
        if kind == '|':
            if cur is None:
                errors.append(f'line {n}: output outside a run: {line!r}')
            else:
                cur.lines.append(rest[1:] if rest.startswith(' ') else rest)
            continue
        rest = rest.strip()
        r = RUN_RE.fullmatch(rest)
        e = EXIT_RE.fullmatch(rest)
        if r:
            if cur is not None:
                errors.append(f'line {n}: run {cur.key()!r} has no exit line')
            cur = Run([r.group(1)] + r.group(2).split())
            runs.append(cur)
        elif e:
            if cur is None or e.group(1) != cur.name:
                errors.append(f'line {n}: exit of {e.group(1)!r} outside its run')
            else:
                cur.status, cur = e.group(2), None
        else:
            errors.append(f'line {n}: malformed user line: {line!r}')
    if cur is not None:
        errors.append(f'run {cur.key()!r} has no exit line (log ends)')
    return runs, errors


# --------------------------------------------------------------- divergences

KEYS = ('program', 'kind', 'linux', 'arbor', 'reason')


class Divergence:
    def __init__(self, program, linux, arbor, reason, where, kind='arbor'):
        self.program, self.reason, self.where, self.kind = program, reason, where, kind
        self.linux, self.arbor = re.compile(linux), re.compile(arbor)
        self.used = 0

    def for_run(self, run_key):
        return fnmatch.fnmatchcase(run_key, self.program)

    def matches(self, run_key, lline, aline):
        return (self.for_run(run_key) and self.linux.fullmatch(lline) is not None and
                self.arbor.fullmatch(aline) is not None)

    def excuses(self, run_key, side, line):
        """Whether this record excuses a FAIL line printed on side."""
        if not line.startswith('FAIL ') or not self.for_run(run_key):
            return False
        if side == 'linux':
            return self.kind == 'qemu' and self.linux.fullmatch(line) is not None
        return self.kind == 'arbor' and self.arbor.fullmatch(line) is not None


def read_divergences(text, path='divergences'):
    """Parse the divergence records; raise ValueError on a malformed one."""
    out, rec, start = [], {}, 0

    def close():
        if not rec:
            return
        missing = [k for k in KEYS if k not in rec and k != 'kind']
        if missing:
            raise ValueError(f'{path}:{start}: record lacks {", ".join(missing)}')
        if rec.get('kind', 'arbor') not in ('arbor', 'qemu'):
            raise ValueError(f'{path}:{start}: kind is arbor or qemu, not {rec["kind"]!r}')
        try:
            out.append(Divergence(rec['program'], rec['linux'], rec['arbor'], rec['reason'],
                                  f'{path}:{start}', rec.get('kind', 'arbor')))
        except re.error as e:
            raise ValueError(f'{path}:{start}: bad regular expression: {e}') from None
        rec.clear()

    for n, line in enumerate(text.split('\n'), 1):
        if line.startswith('#'):
            continue
        if not line.strip():
            close()
            continue
        key, sep, val = line.partition(':')
        key = key.strip()
        if not sep or key not in KEYS:
            if key == '' or not rec or not line[:1].isspace():
                raise ValueError(f'{path}:{n}: not a "key: value" line: {line!r}')
            rec['reason'] += ' ' + line.strip()   # an indented continuation of the reason
            continue
        if key in rec:
            raise ValueError(f'{path}:{n}: {key} given twice in one record')
        if not rec:
            start = n
        rec[key] = val.strip()
    close()
    return out


def compare(run_key, linux, arbor, divergences):
    """Compare two line lists (status line included).  Returns
    (mismatches, accepted): mismatches are (index, linux, arbor) pairs no
    divergence allows, accepted the Divergence objects that applied."""
    mismatches, accepted = [], []
    for i in range(max(len(linux), len(arbor))):
        lline = linux[i] if i < len(linux) else NONE
        aline = arbor[i] if i < len(arbor) else NONE
        if lline == aline:
            continue
        d = next((d for d in divergences if d.matches(run_key, lline, aline)), None)
        if d is None:
            mismatches.append((i + 1, lline, aline))
        else:
            d.used += 1
            if d not in accepted:
                accepted.append(d)
    return mismatches, accepted


# --------------------------------------------------------------------- Linux

def elf_path(arch, name):
    return os.path.join(BUILD, arch, name + '.elf')


def run_linux(arch, argv, timeout=RUN_TIMEOUT):
    """Run one program under qemu-user with an empty environment and
    argv[0] = its name; return a Run (status "exited N" / "signal S")."""
    cmd = [f'qemu-{arch}', '-0', argv[0], elf_path(arch, argv[0])] + list(argv[1:])
    # A session of its own: on a timeout the whole group goes, forked
    # children included (they hold the output pipe open).
    p = subprocess.Popen(cmd, env={}, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        out, _ = p.communicate()
        return Run(argv, out.decode('utf-8', 'replace').splitlines(), None)
    status = f'exited {p.returncode}' if p.returncode >= 0 else f'signal {-p.returncode}'
    return Run(argv, out.decode('utf-8', 'replace').splitlines(), status)


def normalize(run, side, divergences):
    """run with the FAIL lines the divergences excuse on side taken out of
    its "done" line and its exit status (the lines themselves stay, for
    the comparison).  Returns (run, excused lines)."""
    key = run.key()
    excused = [l for l in run.lines
               if any(d.excuses(key, side, l) for d in divergences)]
    if not excused:
        return run, []
    lines = list(run.lines)
    m = DONE_RE.fullmatch(lines[-1]) if lines else None
    status = run.status
    if m and int(m.group(2)) >= len(excused):
        left = int(m.group(2)) - len(excused)
        lines[-1] = f'done {m.group(1)} checks, {left} failed'
        if left == 0 and status == 'exited 1':
            status = 'exited 0'
    return Run(run.argv, lines, status), excused


def self_check(run, side='linux', divergences=()):
    """Why a run's own checks say it failed ([] when it passed), after the
    divergences' excuses for side."""
    run, excused = normalize(run, side, divergences)
    why = [l for l in run.lines if l.startswith('FAIL ') and l not in excused]
    done = [DONE_RE.fullmatch(l) for l in run.lines]
    done = [m for m in done if m]
    if run.status is None:
        why.append('timed out')
    elif run.status != 'exited 0':
        why.append(f'status {run.status}, want exited 0')
    if not done:
        why.append('no "done N checks" line')
    elif run.lines[-1:] != [done[-1].group(0)]:
        why.append('output after the "done" line')
    elif int(done[-1].group(2)) != len([l for l in run.lines if l.startswith('FAIL ')]) - len(excused):
        why.append('the "done" line does not count the FAIL lines')
    return why


def ktap_suite(name, cases):
    """A KTAP document with one suite; cases are (name, ok, diagnostics)."""
    out = ['KTAP version 1', '1..1', '  KTAP version 1', f'  # Subtest: {name}',
           f'  1..{len(cases)}']
    for i, (case, ok, diags) in enumerate(cases, 1):
        out += [f'  # {case}: {d}' for d in diags]
        out.append(f"  {'ok' if ok else 'not ok'} {i} {case}")
    failed = sum(1 for _, ok, _ in cases if not ok)
    out.append(f'  # {name}: pass:{len(cases) - failed} fail:{failed} skip:0 total:{len(cases)}')
    out.append(f"{'ok' if not failed else 'not ok'} 1 {name}")
    return out


def load_divergences(path):
    with open(path) as f:
        return read_divergences(f.read(), os.path.relpath(path, ROOT))


def cmd_linux(args):
    divergences = load_divergences(args.divergences)
    cases_by_arch = []
    for arch in args.arch:
        cases = []
        for argv in read_runs(args.runs):
            run = run_linux(arch, argv)
            if args.ktap:
                why = self_check(run, 'linux', divergences)
                cases.append((run.case_name(), not why, why))
            else:
                print(f'# {arch}: {run.key()}')
                print('\n'.join(run.all_lines()))
        cases_by_arch.append((arch, cases))
    if args.ktap:
        docs = [ktap_suite(f'user_linux_{arch}', cases) for arch, cases in cases_by_arch]
        # One document, one suite per arch.
        print('KTAP version 1')
        print(f'1..{len(docs)}')
        for i, doc in enumerate(docs, 1):
            print('\n'.join(doc[2:-1]))
            print(doc[-1].replace(' 1 ', f' {i} ', 1))
    return 0


def cmd_diff(args):
    with open(args.log, 'rb') as f:
        kruns, errors = parse_kernel_log(f.read().decode('utf-8', 'replace'))
    divergences = load_divergences(args.divergences)
    by_key = {}
    for r in kruns:
        by_key.setdefault(r.key(), r)
    cases = []
    for argv in read_runs(args.runs):
        run_key = ' '.join(argv)
        case = Run(argv).case_name()
        arbor = by_key.get(run_key)
        if arbor is None:
            cases.append((case, False, ['no such run in the kernel log']))
            continue
        linux = run_linux(args.arch, argv)
        diags = [f'linux: {w}' for w in self_check(linux, 'linux', divergences)]
        linux, _ = normalize(linux, 'linux', divergences)
        arbor, _ = normalize(arbor, 'arbor', divergences)
        mism, accepted = compare(run_key, linux.all_lines(), arbor.all_lines(), divergences)
        for n, l, a in mism[:8]:
            diags.append(f'line {n}: linux {l!r} arbor {a!r}')
        if len(mism) > 8:
            diags.append(f'... {len(mism) - 8} more differing lines')
        diags += [f'divergence ({d.where}): {d.reason}' for d in accepted]
        cases.append((case, not mism and not any(d.startswith('linux:') for d in diags), diags))
    doc = ktap_suite(f'user_diff_{args.label or args.arch}', cases)
    for e in errors:
        doc.insert(-1, f'  # log: {e}')
    if errors:   # a malformed log fails the suite through one more case
        doc = ktap_suite(f'user_diff_{args.label or args.arch}',
                         cases + [('user_log_well_formed', False, errors)])
    print('\n'.join(doc))
    return 0


def cmd_fuzz(args):
    divergences = load_divergences(args.divergences)
    end, runs, bad = time.monotonic() + args.time, 0, 0
    rng = random.SystemRandom()
    while time.monotonic() < end:
        seed = rng.randrange(1, 1 << 31)
        for arch in args.arch:
            run = run_linux(arch, ['sysfuzz', str(seed), str(args.steps)])
            runs += 1
            why = self_check(run, 'linux', divergences)
            if why:
                bad += 1
                print(f'FAIL sysfuzz {arch} seed {seed} steps {args.steps}: {"; ".join(why[:5])}')
    print(f'fuzz-user: {runs} runs, {bad} failed')
    return 1 if bad else 0


# ----------------------------------------------------------------- ELF files

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
PF_X, PF_W = 1, 2


def elf_problems(data):
    """What is wrong with a user program's ELF headers ([] when nothing)."""
    if data[:4] != b'\x7fELF' or data[4] != 2 or data[5] != 1:
        return ['not a little-endian ELF64 file']
    e_type, = struct.unpack_from('<H', data, 16)
    e_entry, e_phoff = struct.unpack_from('<QQ', data, 24)
    e_phentsize, e_phnum = struct.unpack_from('<HH', data, 54)
    bad = [] if e_type == 2 else [f'e_type {e_type}, want ET_EXEC (2)']
    entry_ok = False
    for i in range(e_phnum):
        p_type, p_flags, p_offset, p_vaddr, _, p_filesz, p_memsz, _ = \
            struct.unpack_from('<IIQQQQQQ', data, e_phoff + i * e_phentsize)
        if p_type in (PT_INTERP, PT_DYNAMIC):
            bad.append(f'segment {i}: PT_INTERP or PT_DYNAMIC in a static program')
        if p_type != PT_LOAD:
            continue
        if p_vaddr % 4096 or p_offset % 4096:
            bad.append(f'segment {i}: not page aligned (vaddr {p_vaddr:#x}, offset {p_offset:#x})')
        if p_flags & PF_W and p_flags & PF_X:
            bad.append(f'segment {i}: writable and executable')
        if p_flags & PF_X and p_vaddr <= e_entry < p_vaddr + p_memsz:
            entry_ok = True
    if not entry_ok:
        bad.append(f'entry {e_entry:#x} is in no executable segment')
    return bad


def cmd_check_elf(args):
    rc = 0
    for path in args.files:
        with open(path, 'rb') as f:
            for p in elf_problems(f.read()):
                print(f'{path}: {p}', file=sys.stderr)
                rc = 1
    return rc


def embed(elfs, runs):
    """The assembly text embedding elfs (paths) and the runs."""
    out = ['/* Generated by tools/user_diff.py embed: do not edit.',
           ' *   struct user_prog { const char *name; const void *start, *end; };',
           ' *   extern const struct user_prog user_prog_table[];',
           ' *   extern const unsigned long user_prog_count;',
           ' *   extern const char *const user_run_table[];  ("name arg ...")',
           ' *   extern const unsigned long user_run_count;',
           ' * Each image starts on a page boundary (its segments\' file offsets',
           ' * are page multiples, so text can be mapped from the image). */',
           '\t.section .rodata.user_progs, "a"']
    names = [os.path.basename(p)[:-len('.elf')] for p in elfs]
    for i, path in enumerate(elfs):
        out += ['\t.balign 4096', f'.Lprog_{i}:',
                f'\t.incbin "{os.path.relpath(path, ROOT) if os.path.isabs(path) else path}"',
                f'.Lprog_end_{i}:']
    for i, name in enumerate(names):
        out += [f'.Lname_{i}:', f'\t.asciz "{name}"']
    for i, argv in enumerate(runs):
        out += [f'.Lrun_{i}:', f'\t.asciz "{" ".join(argv)}"']
    out += ['\t.balign 8', '\t.globl user_prog_table', '\t.type user_prog_table, %object',
            'user_prog_table:']
    out += [f'\t.8byte .Lname_{i}, .Lprog_{i}, .Lprog_end_{i}' for i in range(len(names))]
    out += ['\t.size user_prog_table, . - user_prog_table',
            '\t.globl user_prog_count', '\t.type user_prog_count, %object',
            'user_prog_count:', f'\t.8byte {len(names)}', '\t.size user_prog_count, 8',
            '\t.globl user_run_table', '\t.type user_run_table, %object', 'user_run_table:']
    out += [f'\t.8byte .Lrun_{i}' for i in range(len(runs))]
    out += ['\t.size user_run_table, . - user_run_table',
            '\t.globl user_run_count', '\t.type user_run_count, %object',
            'user_run_count:', f'\t.8byte {len(runs)}', '\t.size user_run_count, 8']
    return '\n'.join(out) + '\n'


def cmd_embed(args):
    known = {os.path.basename(p)[:-len('.elf')] for p in args.files}
    runs = read_runs(args.runs)
    for argv in runs:
        if argv[0] not in known:
            print(f'embed: run {" ".join(argv)!r}: no program {argv[0]}', file=sys.stderr)
            return 1
    sys.stdout.write(embed(args.files, runs))
    return 0


# ---------------------------------------------------------------------- main

class Args:
    pass


def parse_args(argv):
    if not argv or argv[0] in ('-h', '--help'):
        print(__doc__.strip())
        sys.exit(0 if argv else 2)
    a = Args()
    a.cmd, a.runs, a.arch, a.ktap, a.log = argv[0], RUNS, [], False, None
    a.divergences, a.label, a.time, a.steps, a.files = DIVERGENCES, None, 60.0, 400, []
    it = iter(argv[1:])
    for x in it:
        if x == '--ktap':
            a.ktap = True
        elif x in ('--runs', '--arch', '--log', '--divergences', '--label', '--time', '--steps'):
            v = next(it, None)
            if v is None:
                sys.exit(f'user_diff.py: {x} needs a value')
            if x == '--arch':
                if v not in ARCHES:
                    sys.exit(f'user_diff.py: unknown arch {v!r}')
                a.arch.append(v)
            elif x in ('--time', '--steps'):
                setattr(a, x[2:], float(v) if x == '--time' else int(v))
            else:
                setattr(a, x[2:], v)
        elif x.startswith('-'):
            sys.exit(f'user_diff.py: unknown option {x}')
        else:
            a.files.append(x)
    if not a.arch:
        a.arch = list(ARCHES)
    if a.cmd == 'diff':
        if len(a.arch) != 1 or not a.log:
            sys.exit('user_diff.py diff: needs one --arch and --log')
        a.arch = a.arch[0]
    return a


def main(argv):
    a = parse_args(argv)
    cmds = {'linux': cmd_linux, 'diff': cmd_diff, 'fuzz': cmd_fuzz, 'embed': cmd_embed,
            'check-elf': cmd_check_elf}
    if a.cmd not in cmds:
        sys.exit(f'user_diff.py: unknown command {a.cmd!r} (see --help)')
    return cmds[a.cmd](a)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
