"""Tests for tools/ktap.py, the strict KTAP v1 checker.

Run from the top of the tree:
    python3 -m unittest discover -s tests/tools -p 'test_*.py'
"""
import io
import os
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stdout
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[2] / 'tools'
sys.path.insert(0, str(TOOLS))
import ktap  # noqa: E402

# What ktest prints over the serial console: boot noise, the document, more noise.
SAMPLE = """\
OpenSBI v1.3
Platform Name: riscv-virtio,qemu
[kernel] booting
KTAP version 1
1..2
  KTAP version 1
  # Subtest: console
  1..3
  ok 1 test_printf_int
  # test_printf_str: tests/drivers/console.c:42: EXPECT_STREQ(buf, "x") failed: "y" vs "x"
  not ok 2 test_printf_str
  ok 3 test_skip_me # SKIP no uart
# console: pass:1 fail:1 skip:1 total:3
not ok 1 console
  KTAP version 1
  # Subtest: fdt
  1..1
  ok 1 test_x
# fdt: pass:1 fail:0 skip:0 total:1
ok 2 fdt
# Totals: pass:2 fail:1 skip:1 total:4
[kernel] tests done, powering off
"""

PASSING = """\
KTAP version 1
1..2
  KTAP version 1
  # Subtest: mm
  1..2
  # test_alloc: allocating 4 pages
  ok 1 test_alloc
  ok 2 test_free
# mm: pass:2 fail:0 skip:0 total:2
ok 1 mm
  KTAP version 1
  # Subtest: fdt
  1..1
  ok 1 - test_parse
ok 2 fdt
# Totals: pass:3 fail:0 skip:0 total:3
"""


def edit(log, old, new, count=1):
    """Derive a broken log from a good one; the text to change must exist."""
    assert old in log, old
    return log.replace(old, new, count)


class ParseTest(unittest.TestCase):
    def parse(self, text, unit=2):
        return ktap.parse_log(text, unit)

    def assertError(self, text, *fragments, unit=2):
        _, errors = self.parse(text, unit)
        self.assertTrue(errors, 'expected a structure error')
        for frag in fragments:
            self.assertTrue(any(frag in e for e in errors), f'{frag!r} not in {errors}')
        return errors

    def summary(self, text):
        cases, errors = self.parse(text)
        return [(s, r.name, r.status) for s, r in cases], errors

    def test_passing(self):
        cases, errors = self.summary(PASSING)
        self.assertEqual(errors, [])
        self.assertEqual(cases, [('mm', 'test_alloc', 'pass'), ('mm', 'test_free', 'pass'),
                                 ('fdt', 'test_parse', 'pass')])

    def test_failing_case_keeps_its_diagnostics(self):
        cases, errors = self.parse(SAMPLE)
        self.assertEqual(errors, [])
        self.assertEqual([(s, r.name, r.status) for s, r in cases], [
            ('console', 'test_printf_int', 'pass'),
            ('console', 'test_printf_str', 'fail'),
            ('console', 'test_skip_me', 'skip'),
            ('fdt', 'test_x', 'pass')])
        self.assertEqual(cases[1][1].diags, ['test_printf_str: tests/drivers/console.c:42: '
                                             'EXPECT_STREQ(buf, "x") failed: "y" vs "x"'])
        self.assertEqual(cases[2][1].data, 'SKIP no uart')

    def test_skips(self):
        log = ('KTAP version 1\n1..1\n  KTAP version 1\n  # Subtest: s\n  1..2\n'
               '  ok 1 a # SKIP no disk\n  not ok 2 b # skip also a skip\nok 1 s # SKIP\n')
        cases, errors = self.summary(log)
        self.assertEqual(errors, [])
        self.assertEqual(cases, [('s', 'a', 'skip'), ('s', 'b', 'skip')])

    def test_other_directives_fall_back_to_ok_not_ok(self):
        log = ('KTAP version 1\n1..3\nnot ok 1 a # TODO later\nok 2 b # XFAIL\n'
               'not ok 3 c # TIMEOUT 30 seconds\n')
        cases, errors = self.summary(log)
        self.assertEqual(errors, [])
        self.assertEqual(cases, [('', 'a', 'fail'), ('', 'b', 'pass'), ('', 'c', 'fail')])
        self.assertError('KTAP version 1\n1..1\nok 1 a # TIMEOUT\n', '"ok" with the TIMEOUT')

    def test_crlf(self):
        self.assertEqual(self.summary(SAMPLE.replace('\n', '\r\n')),
                         self.summary(SAMPLE))

    def test_noise_before_and_after_is_ignored(self):
        log = ('garbage \x00\xff\n  KTAP version 1\nKTAP version 12\n' + PASSING +
               'reboot: Power down\nok 7 not part of the document\n')
        cases, errors = self.summary(log)
        self.assertEqual(errors, [])
        self.assertEqual(len(cases), 3)

    def test_no_ktap(self):
        self.assertEqual(self.parse('OpenSBI\nboot\npanic\n'), ([], ['no KTAP output']))
        self.assertEqual(self.parse(''), ([], ['no KTAP output']))

    def test_missing_plan(self):
        self.assertError(edit(PASSING, '  1..1\n', ''), 'line 13: missing plan')
        self.assertError('KTAP version 1\nok 1 a\n', 'line 2: missing plan')

    def test_plan_count_too_big(self):
        self.assertError(edit(PASSING, '  1..2\n', '  1..3\n'),
                         "line 9: suite 'mm' has plan 1..3 but only 2 results")

    def test_plan_count_too_small(self):
        self.assertError(edit(PASSING, '  1..2\n', '  1..1\n'),
                         "line 8: suite 'mm' has more results than its plan 1..1")
        self.assertError(edit(PASSING, '1..2\n', '1..1\n'),
                         'line 11: more results than the top-level plan 1..1')

    def test_out_of_order_number(self):
        cases, errors = self.summary(edit(PASSING, 'ok 2 test_free', 'ok 3 test_free'))
        self.assertEqual(errors, ['line 8: result number 3, expected 2'])
        self.assertEqual(len(cases), 3)   # still parsed to the end

    def test_suite_result_disagrees_with_children(self):
        self.assertError(edit(SAMPLE, 'not ok 1 console', 'ok 1 console'),
                         "line 14: suite 'console' is ok but a subtest failed")
        self.assertError(edit(PASSING, 'ok 2 fdt', 'not ok 2 fdt'),
                         "line 15: suite 'fdt' is not ok but no subtest failed")
        self.assertError(edit(SAMPLE, 'not ok 1 console', 'not ok 1 console # SKIP'),
                         "suite 'console' is not ok # SKIP but a subtest failed")

    def test_suite_name_and_counts(self):
        self.assertError(edit(PASSING, 'ok 2 fdt', 'ok 2 fdtx'),
                         "suite result 'fdtx' does not match '# Subtest: fdt'")
        self.assertError(edit(SAMPLE, '# console: pass:1 fail:1', '# console: pass:2 fail:1'),
                         'parsed pass:1 fail:1 skip:1 total:3')

    def test_wrong_totals(self):
        self.assertError(edit(SAMPLE, 'total:4', 'total:5'),
                         'line 21: "# Totals: pass:2 fail:1 skip:1 total:5" but parsed '
                         'pass:2 fail:1 skip:1 total:4')
        self.assertError(edit(SAMPLE, 'skip:1 total:4', 'total:4'), 'malformed Totals line')

    def test_stray_line_inside_document(self):
        log = edit(SAMPLE, '  not ok 2 test_printf_str\n',
                   'Oops - Store/AMO access fault\n  not ok 2 test_printf_str\n')
        errors = self.assertError(log, "line 11: not a KTAP line: 'Oops - Store/AMO access fault'")
        self.assertEqual(len(errors), 1)
        self.assertError(edit(PASSING, 'ok 1 mm\n', 'ok 1 mm\n\n'), "line 11: not a KTAP line: ''")
        self.assertError(edit(PASSING, '  ok 1 test_alloc', '  #test_alloc'), 'not a KTAP line')

    def test_truncated_mid_suite(self):
        log = SAMPLE.split('  not ok 2')[0]   # crashed during test_printf_str
        cases, errors = self.summary(log)
        self.assertEqual(cases, [('console', 'test_printf_int', 'pass')])
        self.assertEqual(errors, ["incomplete: log ends inside suite 'console' after 1 of 3 "
                                  "results; running case #2 ('test_printf_str')"])

    def test_truncated_elsewhere(self):
        self.assertError(SAMPLE.split('not ok 1 console')[0],
                         "at top level after 0 of 2 results; suite 'console' finished but "
                         "has no result line")
        self.assertError(SAMPLE.split('  ok 1 test_x')[0],
                         "inside suite 'fdt' after 0 of 1 results; running case #1")
        self.assertError('KTAP version 1\n', 'incomplete: log ends at top level after 0 of ?')

    def test_wrong_indentation(self):
        self.assertError(edit(PASSING, '  ok 2 test_free', ' ok 2 test_free'),
                         "line 8: wrong indentation (1 spaces, expected 2): ' ok 2 test_free'")
        self.assertError(edit(PASSING, '  KTAP version 1\n  # Subtest: fdt',
                              '    KTAP version 1\n  # Subtest: fdt'),
                         'line 11: wrong indentation (4 spaces, expected 0)')
        self.assertError(edit(PASSING, 'ok 1 mm', ' ok 1 mm'), 'line 10: wrong indentation')
        self.assertError(edit(PASSING, '  ok 1 test_alloc', '\tok 1 test_alloc'),
                         'line 7: not a KTAP line')

    def test_names_must_be_present(self):
        self.assertError(edit(PASSING, 'ok 2 test_free', 'ok 2'), 'line 8: result 2 has no test name')
        self.assertError(edit(PASSING, 'ok 2 test_free', 'ok 2 test#free'), "'#' inside a test name")

    def test_deeper_nesting_and_spec_indent(self):
        # The example from the KTAP v1 document, which indents by two spaces.
        log = ('KTAP version 1\n1..2\n  KTAP version 1\n  1..2\n    KTAP version 1\n    1..2\n'
               '    not ok 1 test_1\n    ok 2 test_2\n  not ok 1 test_3\n  ok 2 test_4 # SKIP\n'
               'not ok 1 example_test_1\nok 2 example_test_2\n')
        cases, errors = self.parse(log, unit=2)
        self.assertEqual(errors, [])
        self.assertEqual([(s, r.name, r.status) for s, r in cases], [
            ('example_test_1.test_3', 'test_1', 'fail'), ('example_test_1.test_3', 'test_2', 'pass'),
            ('example_test_1', 'test_4', 'skip'), ('', 'example_test_2', 'pass')])
        summary = [(s, r.name, r.status) for s, r in cases]
        cases2, errors2 = ktap.parse_log(log)    # two spaces is the default
        self.assertEqual(errors2, [])
        self.assertEqual([(s, r.name, r.status) for s, r in cases2], summary)
        # The same log indented by four spaces per level: rejected by the
        # default, accepted with --indent 4.
        log4 = '\n'.join(l[:len(l) - len(l.lstrip(' '))] * 2 + l.lstrip(' ')
                          for l in log.split('\n'))
        self.assertIn('\n        not ok 1 test_1\n', log4)
        _, errors4 = ktap.parse_log(log4)
        self.assertTrue(any('line 3: wrong indentation (4 spaces, expected 0)' in e
                            for e in errors4), errors4)
        cases4, errors4 = self.parse(log4, unit=4)
        self.assertEqual(errors4, [])
        self.assertEqual([(s, r.name, r.status) for s, r in cases4], summary)


class CliTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)

    def write(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, 'w', newline='') as f:
            f.write(text)
        return path

    def run_main(self, *args):
        out = io.StringIO()
        with redirect_stdout(out):
            rc = ktap.main(list(args))
        return rc, out.getvalue().splitlines()

    def test_passing_log(self):
        rc, lines = self.run_main('--label', 'host', self.write('a.log', PASSING))
        self.assertEqual(rc, 0)
        self.assertEqual(lines, ['host: 3 passed, 0 failed, 0 skipped', '3 passed, 0 failed'])

    def test_failure_report(self):
        rc, lines = self.run_main('--label=kernel', self.write('k.log', SAMPLE))
        self.assertEqual(rc, 1)
        self.assertEqual(lines, [
            'FAIL kernel: console.test_printf_str',
            '    test_printf_str: tests/drivers/console.c:42: EXPECT_STREQ(buf, "x") '
            'failed: "y" vs "x"',
            'kernel: 2 passed, 1 failed, 1 skipped',
            '2 passed, 1 failed, 1 skipped'])

    def test_errors_count_as_failures(self):
        crashed = self.write('crash.log', SAMPLE.split('  not ok 2')[0])
        none = self.write('none.log', 'OpenSBI\n')
        ok = self.write('ok.log', PASSING)
        rc, lines = self.run_main('--label', 'qemu', crashed, none, '--label', 'h', ok)
        self.assertEqual(rc, 1)
        self.assertIn("ERROR qemu: incomplete: log ends inside suite 'console' after 1 of 3 "
                      "results; running case #2 ('test_printf_str')", lines)
        self.assertIn(f'ERROR {none}: no KTAP output', lines)
        self.assertIn('qemu: 1 passed, 1 failed, 0 skipped', lines)
        self.assertEqual(lines[-1], '4 passed, 2 failed')

    def test_missing_file(self):
        rc, lines = self.run_main('--label', 'x', os.path.join(self.dir.name, 'nope.log'))
        self.assertEqual(rc, 1)
        self.assertTrue(lines[0].startswith('ERROR x: cannot read '))
        self.assertEqual(lines[-1], '0 passed, 1 failed')

    def test_command_line(self):
        tool = str(TOOLS / 'ktap.py')
        res = subprocess.run([sys.executable, tool, '--label', 'stdin', '-'],
                             input=SAMPLE.replace('\n', '\r\n').encode(), capture_output=True)
        self.assertEqual(res.returncode, 1)
        self.assertEqual(res.stdout.decode().splitlines()[-1], '2 passed, 1 failed, 1 skipped')
        for bad in ([], ['--label', 'x'], ['--bogus', 'f'], ['--indent', '0', 'f']):
            res = subprocess.run([sys.executable, tool] + bad, capture_output=True)
            self.assertEqual(res.returncode, 2, bad)
        res = subprocess.run([sys.executable, tool, '--help'], capture_output=True, text=True)
        self.assertEqual(res.returncode, 0)
        self.assertIn('--label NAME', res.stdout)
        self.assertIn('(default 2', res.stdout)


if __name__ == '__main__':
    unittest.main()
