"""tools/user_diff.py: the kernel-log parser, the divergence file, the
line comparison with its excuses, the ELF checks and the embed file."""
import os
import pathlib
import struct
import sys
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tools'))
import user_diff as ud  # noqa: E402


class KernelLog(unittest.TestCase):
    def test_runs_with_any_prefix_of_spaces_and_hashes(self):
        log = ('OpenSBI noise\n'
               '# user: run start one two\r\n'
               '    # # user| ok argc: 3\n'
               '  # user|   indented output\n'
               '# user|\n'
               '# user: exit start status=exited 0\n'
               'kernel: unrelated line with # user| inside\n'
               '  # user: run faults\n'
               '  # user| ok read NULL: signal 11\n'
               '  # user: exit faults status=signal 11\n')
        runs, errors = ud.parse_kernel_log(log)
        self.assertEqual(errors, [])
        self.assertEqual([r.argv for r in runs], [['start', 'one', 'two'], ['faults']])
        self.assertEqual(runs[0].lines, ['ok argc: 3', '  indented output', ''])
        self.assertEqual(runs[0].status, 'exited 0')
        self.assertEqual(runs[1].status, 'signal 11')
        self.assertEqual(runs[1].all_lines()[-1], 'status signal 11')

    def test_a_run_cut_short_has_no_status_and_is_an_error(self):
        runs, errors = ud.parse_kernel_log('# user: run mmap\n# user| ok x: 0\n')
        self.assertIsNone(runs[0].status)
        self.assertEqual(runs[0].all_lines(), ['ok x: 0', 'status <none>'])
        self.assertTrue(any('no exit line' in e for e in errors))

    def test_a_new_run_before_the_exit_line_is_an_error(self):
        runs, errors = ud.parse_kernel_log('# user: run a\n# user: run b\n# user: exit b status=exited 0\n')
        self.assertEqual(len(runs), 2)
        self.assertIsNone(runs[0].status)
        self.assertEqual(len(errors), 1)

    def test_stray_and_malformed_lines_are_errors(self):
        _, errors = ud.parse_kernel_log('# user| orphan\n# user: exit a status=exited 0\n'
                                        '# user: bogus\n# user: run a\n'
                                        '# user: exit b status=exited 0\n'
                                        '# user: exit a status=died\n')
        self.assertEqual(len(errors), 6, errors)

    def test_case_names_are_words(self):
        self.assertEqual(ud.Run(['sysfuzz', '1', '300']).case_name(), 'user_sysfuzz_1_300')


DIVS = '''# comment
program: wx
linux: wx: mmap: mapped
arbor: wx: mmap: EACCES
reason: W^X
  on purpose

program: mm*
kind: qemu
linux: FAIL zero: got ENOMEM want 0
arbor: ok zero: 0
reason: qemu
'''


class Divergences(unittest.TestCase):
    def test_records_parse(self):
        ds = ud.read_divergences(DIVS)
        self.assertEqual(len(ds), 2)
        self.assertEqual(ds[0].reason, 'W^X on purpose')
        self.assertEqual((ds[0].kind, ds[1].kind), ('arbor', 'qemu'))

    def test_malformed_records_are_refused(self):
        for text in ('program: a\nlinux: x\nreason: r\n',          # no arbor
                     'program: a\nlinux: (\narbor: x\nreason: r\n',  # bad regex
                     'program: a\nkind: other\nlinux: x\narbor: x\nreason: r\n',
                     'program: a\nprogram: b\n',
                     'nonsense\n'):
            with self.subTest(text=text), self.assertRaises(ValueError):
                ud.read_divergences(text)

    def test_the_project_file_parses(self):
        ds = ud.read_divergences((ROOT / 'tests/user/divergences.txt').read_text())
        self.assertTrue(any(d.program == 'wx' for d in ds))

    def test_compare_accepts_only_listed_pairs(self):
        ds = ud.read_divergences(DIVS)
        linux = ['ok a: 0', 'wx: mmap: mapped', 'status exited 0']
        self.assertEqual(ud.compare('wx', linux, ['ok a: 0', 'wx: mmap: EACCES', 'status exited 0'], ds),
                         ([], [ds[0]]))
        mism, _ = ud.compare('wx', linux, ['ok a: 1', 'wx: mmap: EPERM'], ds)
        self.assertEqual([n for n, _, _ in mism], [1, 2, 3])
        self.assertEqual(mism[2], (3, 'status exited 0', ud.NONE))
        mism, _ = ud.compare('other', linux, ['ok a: 0', 'wx: mmap: EACCES', 'status exited 0'], ds)
        self.assertEqual(len(mism), 1)   # the record is wx's only

    def test_qemu_failures_are_excused_on_the_linux_side(self):
        ds = ud.read_divergences(DIVS)
        linux = ud.Run(['mmap'], ['ok a: 0', 'FAIL zero: got ENOMEM want 0', 'done 2 checks, 1 failed'],
                       'exited 1')
        self.assertEqual(ud.self_check(linux, 'linux', ds), [])
        self.assertNotEqual(ud.self_check(linux, 'linux', []), [])
        norm, excused = ud.normalize(linux, 'linux', ds)
        self.assertEqual(excused, ['FAIL zero: got ENOMEM want 0'])
        self.assertEqual(norm.lines[-1], 'done 2 checks, 0 failed')
        self.assertEqual(norm.status, 'exited 0')
        arbor = ud.Run(['mmap'], ['ok a: 0', 'ok zero: 0', 'done 2 checks, 0 failed'], 'exited 0')
        mism, _ = ud.compare('mmap', norm.all_lines(), arbor.all_lines(), ds)
        self.assertEqual(mism, [])
        # arbor repeating qemu's mistake is not excused
        bad = ud.Run(['mmap'], linux.lines, 'exited 1')
        bad, _ = ud.normalize(bad, 'arbor', ds)
        mism, _ = ud.compare('mmap', norm.all_lines(), bad.all_lines(), ds)
        self.assertEqual([n for n, _, _ in mism], [3, 4])  # its done line and status

    def test_self_check_wants_a_consistent_done_line(self):
        cases = {
            'passes': (['ok a: 0', 'done 1 checks, 0 failed'], 'exited 0', True),
            'fail line': (['FAIL a: got 1 want 0', 'done 1 checks, 1 failed'], 'exited 1', False),
            'no done': (['ok a: 0'], 'exited 0', False),
            'after done': (['done 1 checks, 0 failed', 'ok a: 0'], 'exited 0', False),
            'miscounted': (['ok a: 0', 'done 1 checks, 1 failed'], 'exited 0', False),
            'killed': (['ok a: 0', 'done 1 checks, 0 failed'], 'signal 11', False),
            'timed out': (['ok a: 0', 'done 1 checks, 0 failed'], None, False),
        }
        for name, (lines, status, good) in cases.items():
            with self.subTest(name):
                self.assertEqual(ud.self_check(ud.Run(['p'], lines, status)) == [], good)


def elf(phdrs, e_type=2, entry=0x400100):
    """A minimal ELF64 header plus program headers (type, flags, offset, vaddr, memsz)."""
    hdr = bytearray(64)
    hdr[:6] = b'\x7fELF\x02\x01'
    struct.pack_into('<H', hdr, 16, e_type)
    struct.pack_into('<QQ', hdr, 24, entry, 64)
    struct.pack_into('<HH', hdr, 54, 56, len(phdrs))
    for t, f, off, va, mem in phdrs:
        hdr += struct.pack('<IIQQQQQQ', t, f, off, va, va, mem, mem, 4096)
    return bytes(hdr)


class ElfChecks(unittest.TestCase):
    GOOD = [(1, 5, 0, 0x400000, 0x1000), (1, 4, 0x1000, 0x401000, 0x100), (1, 6, 0x2000, 0x402000, 0x10)]

    def test_a_good_layout_passes(self):
        self.assertEqual(ud.elf_problems(elf(self.GOOD)), [])

    def test_each_problem_is_named(self):
        cases = {
            'writable and executable': self.GOOD + [(1, 7, 0x3000, 0x403000, 0x10)],
            'PT_INTERP': self.GOOD + [(3, 4, 0, 0, 0)],
            'not page aligned': self.GOOD + [(1, 6, 0x3000, 0x403010, 0x10)],
            'no executable segment': self.GOOD[1:],
        }
        for what, phdrs in cases.items():
            with self.subTest(what):
                self.assertTrue(any(what in p for p in ud.elf_problems(elf(phdrs))))
        self.assertTrue(ud.elf_problems(elf(self.GOOD, e_type=3)))
        self.assertTrue(ud.elf_problems(b'not an elf' + bytes(64)))


class Embed(unittest.TestCase):
    def test_table_layout(self):
        text = ud.embed(['build/user/riscv64/a.elf', 'build/user/riscv64/b.elf'], [['a', '1'], ['b']])
        self.assertIn('\t.incbin "build/user/riscv64/a.elf"', text)
        self.assertEqual(text.count('.balign 4096'), 2)
        self.assertIn('\t.8byte .Lname_1, .Lprog_1, .Lprog_end_1', text)
        self.assertIn('user_prog_count:\n\t.8byte 2', text)
        self.assertIn('.Lrun_0:\n\t.asciz "a 1"', text)
        self.assertIn('user_run_count:\n\t.8byte 2', text)

    def test_runs_file_names_only_programs(self):
        progs = {p.stem for p in (ROOT / 'tests/user/progs').glob('*.c')}
        runs = ud.read_runs(ud.RUNS)
        self.assertGreater(len(runs), 10)
        for argv in runs:
            self.assertIn(argv[0], progs)


if __name__ == '__main__':
    unittest.main()
