"""Tests for tools/bench_table.py (benchmark table and determinism check)."""
import io
import sys
import tempfile
import unittest
from contextlib import redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'tools'))
import bench_table  # noqa: E402

RUN = """\
arbor: riscv64 on qemu-virt-riscv64
bench: riscv64, instructions per operation (median of 11, ...)
bench: arch=riscv64 op=clear_page insns=587 bound=none bound_insns=0
bench: arch=riscv64 op=zero_fill_fault insns=2265 bound=clear_page bound_insns=587
"""


class BenchTableTest(unittest.TestCase):
    def write(self, text):
        f = tempfile.NamedTemporaryFile('w', suffix='.log', delete=False)
        f.write(text)
        f.close()
        self.addCleanup(Path(f.name).unlink)
        return f.name

    def run_main(self, *args):
        out = io.StringIO()
        with redirect_stdout(out):
            rc = bench_table.main(list(args))
        return rc, out.getvalue().splitlines()

    def test_parse_reads_only_figure_lines(self):
        rows = bench_table.parse(self.write(RUN))
        self.assertEqual(rows, [('riscv64', 'clear_page', 587, 'none', 0),
                                ('riscv64', 'zero_fill_fault', 2265, 'clear_page', 587)])

    def test_table_has_ratio_and_goal(self):
        rc, lines = self.run_main('table', self.write(RUN))
        self.assertEqual(rc, 0)
        row = [l for l in lines if l.startswith('| zero_fill_fault')][0]
        self.assertIn('clear_page 587', row)
        self.assertIn('3.86', row)
        self.assertIn('+1678', row)   # over its bound
        self.assertIn('<= clear_page + 300', row)

    def test_same_runs_are_deterministic(self):
        rc, lines = self.run_main('same', 'rv', self.write(RUN), self.write(RUN))
        self.assertEqual(rc, 0)
        self.assertEqual(lines[-1], 'ok 1 rv_bench_deterministic')

    def test_different_counts_fail_with_the_figure(self):
        other = RUN.replace('insns=2265', 'insns=2266')
        rc, lines = self.run_main('same', 'rv', self.write(RUN), self.write(other))
        self.assertEqual(rc, 1)
        self.assertIn('# rv: zero_fill_fault: 2265 vs 2266 instructions', lines)
        self.assertEqual(lines[-1], 'not ok 1 rv_bench_deterministic')

    def test_no_figures_is_a_failure(self):
        rc, lines = self.run_main('same', 'rv', self.write('nothing\n'), self.write(RUN))
        self.assertEqual(rc, 1)
        self.assertEqual(lines[-1], 'not ok 1 rv_bench_deterministic')

    def test_same_compares_the_growth_figures_too(self):
        run = RUN + GROW
        other = run.replace('insns=114032', 'insns=114033')
        rc, lines = self.run_main('same', 'a', self.write(run), self.write(other))
        self.assertEqual(rc, 1)
        self.assertIn('# a: ubench fork 100: 114032 vs 114033 instructions', lines)
        rc, lines = self.run_main('same', 'a', self.write(run), self.write(run))
        self.assertEqual(rc, 0)

    def test_parse_ubench_reads_its_lines(self):
        rows = bench_table.parse_ubench(self.write(GROW + LINUX), 'grow')
        self.assertEqual(rows[0], ('grow', 'aarch64', 'fork', 1, 87934, 11, 'insn'))
        self.assertEqual(len(rows), 3)
        self.assertEqual(bench_table.parse_ubench(self.write(LINUX), 'ops'),
                         [('ops', 'aarch64', 'fork', 1, 40604, 31, 'vct')])

    def test_goals_with_linux(self):
        rc, lines = self.run_main('table', self.write(AARCH64 + GROW), '--linux',
                                  self.write(LINUX), '--vct', self.write(VCT))
        self.assertEqual(rc, 0)
        row = [l for l in lines if l.startswith('| ubench fork 1 |')][0]
        # arbor exact, goal, not met by 88135 / 3020; arbor and Linux with CNTVCT, ratio
        self.assertIn('| 88,135 | <= 3,000 + 20 / page = 3,020 | no, x29.2 |', row)
        self.assertIn('| 87,934 | 40,604 | 0.46 |', row)
        met = [l for l in lines if l.startswith('| ubench null_syscall |')][0]
        self.assertIn('| 90 | <= 100 | yes |', met)
        self.assertTrue(any('no riscv64 Linux kernel' in l for l in lines))
        grow = [l for l in lines if l.startswith('| fork | 100 |')][0]
        self.assertIn('114,032 (1,140 / page)', grow)
        self.assertIn('56,780 (568 / page)', grow)


GROW = """\
ubench-grow arch=aarch64 op=fork size=1 insns=87934 reps=11 clock=insn
ubench-grow arch=aarch64 op=fork size=100 insns=114032 reps=11 clock=insn
"""
AARCH64 = """\
bench: arch=aarch64 op=user_null_syscall insns=90 bound=none bound_insns=0
bench: arch=aarch64 op=user_fork_1 insns=88135 bound=none bound_insns=0
"""
LINUX = """\
ubench-ops arch=aarch64 op=fork size=1 insns=40604 reps=31 clock=vct
ubench-grow arch=aarch64 op=fork size=100 insns=56780 reps=11 clock=vct
"""
VCT = "ubench-ops arch=aarch64 op=fork size=1 insns=87934 reps=31 clock=vct\n"


if __name__ == '__main__':
    unittest.main()
