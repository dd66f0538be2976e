#!/usr/bin/env python3
"""End-to-end boot checks of one board, reported as KTAP.

usage: boot_checks.py IMAGE TEXT-OFFSET MMU-LEVELS QEMU-COMMAND...

With BOOT_CHECKS=real in the environment (a real board's model, whose RAM
and CPUs are fixed: sifive_u, raspi3b) only the checks that do not change
-m or -smp run, and BOOT_CPUS says how many CPUs the kernel can use.

Boots the kernel image several times under QEMU, as a person at the serial
console would, and checks what it prints: the RAM size for different -m
values and NUMA layouts, that every CPU of -smp comes online, that unknown command-line options and "mmu=" values
it cannot honour are reported, that a long command line is read to its end
and empty names in a ktest= list are skipped, and that without
`ktest=... poweroff` the kernel reaches the shell, answers commands typed on
the serial line (swallowing arrow keys, refusing over-long lines and
arguments to commands that take none) and powers off on request.
"""
import os
import re
import select
import subprocess
import sys
import time

TIMEOUT = 60
REAL = os.environ.get('BOOT_CHECKS') == 'real'
# The memory of the shell boots: the board's own on a real board.
MEM_ARGS = [] if REAL else ['-m', '256M']


def boot(qemu, append, mem='256M', extra=()):
    """Boot once; return (exit status or 'timeout', console output)."""
    cmd = list(qemu) + ([] if REAL else ['-m', mem]) + ['-append', append] + list(extra)
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=TIMEOUT)
        return p.returncode, p.stdout.decode('utf-8', 'replace')
    except subprocess.TimeoutExpired as e:
        return 'timeout', (e.stdout or b'').decode('utf-8', 'replace')


def banner(out):
    m = re.search(r'^arbor: .*RAM (\d+) MiB in (\d+) ranges?', out, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else None


def check_ram(qemu, mem, mib, ranges=1, extra=()):
    rc, out = boot(qemu, 'poweroff', mem, extra)
    got = banner(out)
    if rc != 0 or got != (mib, ranges):
        return [f'-m {mem} {" ".join(extra)}: exit {rc}, banner {got}, '
                f'expected RAM {mib} MiB in {ranges} range(s)'] + out.splitlines()[-5:]
    return []


def check_cpus_online(qemu, n):
    """-smp n (on a real board, its own CPUs): every CPU the kernel can use
    comes online, the boot CPU among them, and no other is tried."""
    rc, out = boot(qemu, 'poweroff', extra=[] if REAL else ['-smp', str(n)])
    want = f'smp: {n} CPU{"" if n == 1 else "s"} online'
    if rc != 0 or want not in out or 'did not come up' in out or 'cannot start' in out:
        return [f'-smp {n}: exit {rc}; expected "{want}"'] + \
            [l for l in out.splitlines() if l.startswith('smp:')] + out.splitlines()[-3:]
    return []


def check_unstartable_cpu_reported(qemu):
    """A device tree naming a CPU that never starts, and one the kernel
    cannot use: both are reported, and the others come up anyway."""
    import tempfile
    riscv = 'riscv64' in ' '.join(qemu)
    extra = ('cpu@7 { device_type = "cpu"; reg = <0x07>; status = "okay"; '
             'compatible = "riscv"; mmu-type = "riscv,sv48"; };\n'
             'cpu@9 { device_type = "cpu"; reg = <0x09>; status = "okay"; '
             'compatible = "riscv"; mmu-type = "riscv,none"; };\n') if riscv else \
            ('cpu@7 { device_type = "cpu"; reg = <0x07>; compatible = "arm,cortex-a57"; '
             'enable-method = "psci"; };\n'
             'cpu@9 { device_type = "cpu"; reg = <0x09>; compatible = "arm,cortex-a57"; };\n')
    with tempfile.TemporaryDirectory() as d:
        dtb, dtb2 = os.path.join(d, 'm.dtb'), os.path.join(d, 'm2.dtb')
        subprocess.run(list(qemu) + ['-m', '256M', '-smp', '4', '-machine', f'dumpdtb={dtb}'],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
        dts = subprocess.run(['dtc', '-q', '-I', 'dtb', '-O', 'dts', dtb],
                             capture_output=True, text=True).stdout
        dts += '&{/cpus} {\n' + extra + '};\n'
        p = subprocess.run(['dtc', '-q', '-I', 'dts', '-O', 'dtb', '-o', dtb2],
                           input=dts, capture_output=True, text=True)
        if p.returncode:
            return ['could not build the device tree: ' + p.stderr.strip()]
        rc, out = boot(qemu, 'poweroff', extra=['-smp', '4', '-dtb', dtb2])
    lines = [l for l in out.splitlines() if l.startswith('smp:')]
    errors = []
    if rc != 0:
        errors.append(f'exit {rc}')
    if not any(('0x7' in l) and ('cannot start' in l or 'did not come up' in l) for l in lines):
        errors.append('the CPU that cannot start (id 7) is not reported')
    if not any(l.startswith('smp: cpu@9: left alone') for l in lines):
        errors.append('the CPU the kernel cannot use (cpu@9) is not reported')
    if 'smp: 4 CPUs online' not in out:
        errors.append('the four real CPUs did not all come up')
    return errors + (lines if errors else [])


def check_unknown_option(qemu):
    rc, out = boot(qemu, 'bogus=1 poweroff')
    if rc != 0 or "cmdline: unknown option 'bogus=1' ignored" not in out:
        return [f'exit {rc}; no report of the unknown option'] + out.splitlines()[-5:]
    return []


def converse(cmd, script):
    """Run @cmd; for each (prompt, line) wait for @prompt in the output,
    then type @line.  Returns (exit status or 'timeout', output)."""
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out, deadline = b'', time.monotonic() + TIMEOUT
    seen = 0
    steps = list(script)

    def read_some():
        nonlocal out
        r, _, _ = select.select([p.stdout], [], [], 0.2)
        if r:
            chunk = os.read(p.stdout.fileno(), 4096)
            out += chunk
            return bool(chunk)
        return True

    while time.monotonic() < deadline:
        if steps and steps[0][0].encode() in out[seen:]:
            prompt, line = steps.pop(0)
            seen = out.index(prompt.encode(), seen) + len(prompt)
            p.stdin.write(line.encode())
            p.stdin.flush()
        if not read_some() or p.poll() is not None:
            break
    try:
        rc = p.wait(timeout=max(1, deadline - time.monotonic()))
        out += p.stdout.read()
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        rc = 'timeout'
    return rc, out.decode('utf-8', 'replace')


def check_failed_run_exits_nonzero(qemu):
    rc, out = boot(qemu, 'ktest=no_such_suite poweroff')
    errors = []
    if rc in (0, 'timeout'):
        errors.append(f'QEMU exit status {rc} after a failed self-test run')
    if "no suite named 'no_such_suite'" not in out:
        errors.append('the unknown suite was not reported')
    return errors + (out.splitlines()[-5:] if errors else [])


def check_image_header(image, text_offset):
    """The Linux boot image header of riscv64 (boot-image-header.rst) or
    arm64 (booting.rst): magic, text offset, and an image size that covers
    the file."""
    data = open(image, 'rb').read()
    if len(data) < 64:
        return [f'{image}: {len(data)} bytes, too short for a header']
    toff, isize = (int.from_bytes(data[o:o + 8], 'little') for o in (8, 16))
    errors = []
    if data[0x38:0x3c] not in (b'RSC\x05', b'ARM\x64'):
        errors.append(f'no RISC-V or arm64 magic at 0x38: {data[0x38:0x3c]!r}')
    if data[0x38:0x3c] == b'RSC\x05' and data[0x30:0x38] != b'RISCV\0\0\0':
        errors.append('riscv64: no "RISCV" magic at 0x30')
    if data[0x38:0x3c] == b'ARM\x64' and int.from_bytes(data[24:32], 'little') & 6 != 2:
        errors.append('arm64: flags do not say 4 KiB pages')
    if toff != text_offset:
        errors.append(f'text_offset 0x{toff:x}, board says 0x{text_offset:x}')
    if isize < len(data) or isize % 4096:
        errors.append(f'image_size 0x{isize:x} for a 0x{len(data):x}-byte file')
    return errors


def mmu_line(out):
    m = re.search(r'^mmu: (\d)-level tables \((\d+)-bit VA\)', out, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else None


def check_mmu_levels(qemu, append, want):
    """Boot with @append, expect @want (levels, VA bits), and the page-table
    suites passing at that depth."""
    rc, out = boot(qemu, append + ' ktest=mmu,page poweroff')
    got = mmu_line(out)
    totals = re.search(r'^# Totals: pass:(\d+) fail:(\d+)', out, re.M)
    if rc != 0 or got != want or not totals or totals.group(2) != '0' or totals.group(1) == '0':
        return [f'"{append}": exit {rc}, mmu {got}, expected {want}; '
                f'{totals.group(0) if totals else "no totals"}'] + out.splitlines()[-5:]
    return []


def check_mmu_option_reported(qemu, levels):
    """riscv64: a mode it does not know is reported with the mode used
    instead, and the last "mmu=" wins, as for every option; sv48 is taken
    silently.  aarch64: any "mmu=" is reported as not applying."""
    want = (levels, 12 + 9 * levels)
    if 'riscv64' in ' '.join(qemu):
        cases = [('mmu=sv57', "mmu: unknown or unsupported mode 'mmu=sv57' ignored; using sv48"),
                 ('mmu=sv39 mmu=sv57', "mmu: unknown or unsupported mode 'mmu=sv57' ignored"),
                 ('mmu=sv48', None)]
    else:
        cases = [('mmu=sv39', "mmu: option 'mmu=sv39' does not apply on aarch64"),
                 ('mmu=sv57', "mmu: option 'mmu=sv57' does not apply on aarch64")]
    errors = []
    for append, report in cases:
        rc, out = boot(qemu, append + ' poweroff')
        got = mmu_line(out)
        said = re.findall(r"^mmu: .*'mmu=.*$", out, re.M)
        if rc != 0 or got != want:
            errors.append(f'"{append}": exit {rc}, mmu {got}, expected {want}')
        if report and not any(report in line for line in said):
            errors.append(f'"{append}": no report {report!r}; got {said}')
        if not report and said:
            errors.append(f'"{append}": reported although honoured: {said}')
        if errors:
            return errors + out.splitlines()[-5:]
    return []


def check_long_cmdline(qemu):
    """A command line far over the old 511-byte limit: every option takes
    effect, the self-tests first and the poweroff last of all."""
    pads = ' '.join(f'pad{i}=' + 'x' * 100 for i in range(8))
    append = f'ktest=cmdline {pads} poweroff'
    rc, out = boot(qemu, append)
    totals = re.search(r'^# Totals: pass:(\d+) fail:(\d+)', out, re.M)
    errors = []
    if rc != 0 or 'power: off (success)' not in out:
        errors.append(f'{len(append)}-byte command line: exit {rc}, did not power off')
    if not totals or totals.group(1) == '0' or totals.group(2) != '0':
        errors.append(f'ktest=cmdline did not pass: {totals.group(0) if totals else "no totals"}')
    if 'cmdline: longer than' in out or "unknown option 'pad7=" not in out:
        errors.append('not every word of the command line was read')
    return errors + (out.splitlines()[-5:] if errors else [])


def check_empty_ktest_names(qemu):
    """ktest=,,,, is an empty list, ignored as ktest= is; empty names
    inside a list are skipped."""
    errors = []
    rc, out = boot(qemu, 'ktest=,,,, poweroff')
    if rc != 0 or 'no suite named' in out or 'KTAP version' in out:
        errors.append(f'"ktest=,,,,": exit {rc}, expected no run and a clean poweroff')
    if "cmdline: empty value in 'ktest=,,,,' ignored" not in out:
        errors.append('"ktest=,,,,": not reported as an empty value')
    if errors:
        return errors + out.splitlines()[-5:]
    rc, out = boot(qemu, 'ktest=,cmdline,,names, poweroff')
    suites = re.findall(r'^ok \d+ (\w+)\r?$', out, re.M)
    if rc != 0 or suites != ['cmdline', 'names']:
        return [f'"ktest=,cmdline,,names,": exit {rc}, suites passed {suites}'] + out.splitlines()[-5:]
    return []


def check_shell_input(qemu):
    """What a person types that is not a plain command: an arrow key, a
    line longer than the shell's 127 characters, and arguments to commands
    that take none (none of them may run)."""
    long_line = 'meminfo' + ' ' * 130 + 'x'
    script = [('> ', '\x1b[A\x1bOBhelp\r'), ('> ', long_line + '\r'),
              ('> ', 'meminfo extra\r'), ('> ', 'reboot now\r'),
              ('> ', 'poweroff now\r'), ('> ', 'poweroff\r')]
    rc, out = converse(list(qemu) + MEM_ARGS + ['-append', ''], script)
    errors = []
    if rc != 0:
        errors.append(f'QEMU exit status {rc} (poweroff typed at the shell)')
    for want in ('  meminfo ', 'line too long (at most 127 characters); ignored',
                 'usage: meminfo (takes no arguments)', 'usage: reboot (takes no arguments)',
                 'usage: poweroff (takes no arguments)', 'power: off (success)'):
        if want not in out:
            errors.append(f'missing in the console output: {want!r}')
    for unwanted in ('unknown command', 'RAM: ', '[A'):
        if unwanted in out:
            errors.append(f'in the console output: {unwanted!r}')
    if out.count('arbor: ') != 1:
        errors.append(f'{out.count("arbor: ")} boots, expected 1 (no reboot)')
    return errors + (out.splitlines()[-8:] if errors else [])


def check_shell(qemu):
    script = [('> ', 'help\r'), ('> ', 'nosuch\r'), ('> ', 'meminfo\r'),
              ('> ', 'ktest cmdline\r'), ('> ', 'poweroff\r')]
    rc, out = converse(list(qemu) + MEM_ARGS + ['-append', ''], script)
    errors = []
    if rc != 0:
        errors.append(f'QEMU exit status {rc} (poweroff typed at the shell)')
    for want in ('Type `help`', '  meminfo ', 'nosuch: unknown command',
                 'RAM: 1 range', '# Totals: pass:', 'power: off (success)'):
        if want not in out:
            errors.append(f'missing in the console output: {want!r}')
    if re.search(r'# Totals: pass:\d+ fail:[1-9]', out):
        errors.append('`ktest cmdline` from the shell reported failures')
    return errors + (out.splitlines()[-8:] if errors else [])


def check_shell_cpus(qemu, n):
    """`cpus` at the shell lists -smp n CPUs, all online (the smp suite
    checks that they tick)."""
    script = [('> ', 'cpus\r'), ('> ', 'poweroff\r')]
    rc, out = converse(list(qemu) + MEM_ARGS + ([] if REAL else ['-smp', str(n)]) + ['-append', ''], script)
    rows = re.findall(r'^\s*(\d+)\s+0x[0-9a-f]+\s*\*?\s+(\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$',
                      out, re.M)
    errors = []
    if rc != 0:
        errors.append(f'QEMU exit status {rc} (poweroff typed at the shell)')
    if [int(r[0]) for r in rows] != list(range(n)):
        errors.append(f'`cpus` listed {[r[0] for r in rows]}, expected 0..{n - 1}')
    if any(r[1] != 'online' for r in rows):
        errors.append('a CPU is not online')
    return errors + (out.splitlines()[-10:] if errors else [])


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    image, text_offset, levels = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3])
    qemu = sys.argv[4:]
    if REAL:
        ncpus = int(os.environ['BOOT_CPUS'])
        checks = [
            ('image_header_valid', lambda: check_image_header(image, text_offset)),
            ('every_usable_cpu_online', lambda: check_cpus_online(qemu, ncpus)),
            ('unknown_option_reported', lambda: check_unknown_option(qemu)),
            ('failed_run_exits_nonzero', lambda: check_failed_run_exits_nonzero(qemu)),
            ('shell_answers_and_powers_off', lambda: check_shell(qemu)),
            ('shell_cpus_lists_every_cpu', lambda: check_shell_cpus(qemu, ncpus)),
        ]
    else:
        checks = virt_checks(image, text_offset, levels, qemu)
    print('KTAP version 1\n1..1\n  KTAP version 1\n  # Subtest: boot\n'
          f'  1..{len(checks)}')
    failed = 0
    for i, (name, fn) in enumerate(checks, 1):
        errors = fn()
        for e in errors:
            print(f'  # {name}: {e}')
        print(f'  {"not ok" if errors else "ok"} {i} {name}')
        failed += bool(errors)
    print(f'{"not ok" if failed else "ok"} 1 boot')
    return 1 if failed else 0


def virt_checks(image, text_offset, levels, qemu):
    """Every check, for QEMU's virt machine (any -m, -smp, NUMA layout)."""
    checks = [
        ('image_header_valid', lambda: check_image_header(image, text_offset)),
        ('ram_128m_reported', lambda: check_ram(qemu, '128M', 128)),
        ('ram_2g_reported', lambda: check_ram(qemu, '2G', 2048)),
        ('numa_two_memory_nodes', lambda: check_ram(
            qemu, '512M', 512, 2,
            ['-smp', '2', '-object', 'memory-backend-ram,id=m0,size=256M',
             '-object', 'memory-backend-ram,id=m1,size=256M',
             '-numa', 'node,memdev=m0,cpus=0', '-numa', 'node,memdev=m1,cpus=1'])),
        ('one_cpu_online', lambda: check_cpus_online(qemu, 1)),
        ('three_cpus_online', lambda: check_cpus_online(qemu, 3)),
        ('unstartable_cpu_reported', lambda: check_unstartable_cpu_reported(qemu)),
        ('unknown_option_reported', lambda: check_unknown_option(qemu)),
        ('failed_run_exits_nonzero', lambda: check_failed_run_exits_nonzero(qemu)),
        ('mmu_levels_as_built', lambda: check_mmu_levels(
            qemu, '', (levels, 12 + 9 * levels))),
        ('shell_answers_and_powers_off', lambda: check_shell(qemu)),
        ('shell_cpus_lists_every_cpu', lambda: check_shell_cpus(qemu, 4)),
        ('shell_input_escapes_long_lines_arguments', lambda: check_shell_input(qemu)),
        ('mmu_option_reported', lambda: check_mmu_option_reported(qemu, levels)),
        ('long_cmdline_read_whole', lambda: check_long_cmdline(qemu)),
        ('empty_ktest_names_skipped', lambda: check_empty_ktest_names(qemu)),
    ]
    if 'riscv64' in ' '.join(qemu):
        checks.append(('mmu_sv39_forced', lambda: check_mmu_levels(qemu, 'mmu=sv39', (3, 39))))
    return checks


if __name__ == '__main__':
    sys.exit(main())
