#!/usr/bin/env python3
"""Strict KTAP version 1 checker and test-result summarizer.

usage: ktap.py [--indent N] [--label NAME] LOGFILE [[--label NAME] LOGFILE ...]

  LOGFILE       a console or test-binary log; "-" reads standard input
  --label NAME  name the next LOGFILE in the output (default: its path)
  --indent N    spaces per nesting level (default 2, as the KTAP v1
                document says and ktest emits)

Each log is searched for its first line that is exactly "KTAP version 1"
(CRLF allowed); everything before it is boot noise and ignored.  From there
every line must be a valid KTAP line at the right indentation until the
top-level plan is complete, optionally followed by one
"# Totals: pass:P fail:F skip:S total:T" line; the rest is ignored.  Only
leaf results (test cases) are counted; SKIP makes a case skipped, any other
directive falls back to ok / not ok.

Output: "FAIL <label>: <suite>.<case>" plus the case's diagnostics for every
failed case, "ERROR <label>: <message>" for every structure error, one
"<label>: N passed, N failed, N skipped" line per log, and finally
"N passed, N failed[, N skipped]" over all logs.  Each ERROR counts as one
failure, so a log that crashed or hung can never look green.
Exit status: 0 when nothing failed, 1 otherwise, 2 on a usage error.
"""
import re
import sys

VERSION = 'KTAP version 1'
PLAN_RE = re.compile(r'1\.\.([0-9]+)')
RESULT_RE = re.compile(r'(ok|not ok) ([0-9]+)(?: (.*))?')
COUNTS_RE = re.compile(r'(\S+): pass:([0-9]+) fail:([0-9]+) skip:([0-9]+) total:([0-9]+)')
CASE_DIAG_RE = re.compile(r'(\w+): ')  # "# case_name: ..." names the running case


class KtapError(Exception):
    """A structure error after which the rest of the log cannot be trusted."""


class Result:
    def __init__(self, lineno, ok, number, name, directive, data):
        self.lineno, self.ok, self.number, self.name = lineno, ok, number, name
        self.directive, self.data = directive, data
        self.diags = []     # diagnostic lines printed before this result
        self.block = None   # the nested Block when this result is a suite's

    @property
    def status(self):
        # The spec lets SKIP go with either ok or not ok; it is a skip both ways.
        if self.directive == 'SKIP':
            return 'skip'
        return 'pass' if self.ok else 'fail'


class Block:
    """One KTAP document: the top level or a nested (indented) suite."""

    def __init__(self, depth, parent):
        self.depth, self.parent = depth, parent
        self.name = None        # from "# Subtest:", then from the suite result
        self.plan = None
        self.results = []
        self.pending = []       # diagnostics not yet attached to a result
        self.child = None       # finished nested block awaiting its result line

    def path(self):
        names, b = [], self
        while b.parent is not None:
            names.append(b.name or '?')
            b = b.parent
        return '.'.join(reversed(names))

    def leaves(self):
        for r in self.results:
            if r.block:
                yield from r.block.leaves()
            else:
                yield r


def counts(results):
    st = [r.status for r in results]
    return st.count('pass'), st.count('fail'), st.count('skip')


def classify(content):
    """Return (kind, value) for the text after the indentation, or (None, None)."""
    if content == VERSION:
        return 'version', None
    m = PLAN_RE.fullmatch(content)
    if m:
        return 'plan', int(m.group(1))
    if content == '#' or content.startswith('# '):
        return 'diag', content[2:]
    m = RESULT_RE.fullmatch(content)
    if m:
        return 'result', m
    return None, None


class Parser:
    def __init__(self, lines, unit):
        self.lines, self.unit = lines, unit   # lines: (lineno, text) pairs
        self.pos = 0
        self.cases = []     # (Block, Result) for every leaf, in log order
        self.errors = []    # non-fatal errors: parsing went on after them

    def peek(self):
        if self.pos >= len(self.lines):
            return None
        lineno, text = self.lines[self.pos]
        content = text.lstrip(' ')
        kind, val = classify(content)
        return lineno, len(text) - len(content), kind, val, text

    def take(self, block):
        item = self.peek()
        if item is None:
            raise KtapError(self.incomplete(block))
        self.pos += 1
        return item

    def incomplete(self, block):
        """Describe where the log stopped: the suite and case that were running."""
        where = 'at top level' if block.parent is None else f"inside suite '{block.path()}'"
        plan = '?' if block.plan is None else block.plan
        msg = f'incomplete: log ends {where} after {len(block.results)} of {plan} results'
        if block.child is not None:
            msg += f"; suite '{block.child.path()}' finished but has no result line"
        elif block.plan is not None and block.parent is not None:
            # No line announces a case's start; its diagnostics name it, if any.
            started = [m.group(1) for m in map(CASE_DIAG_RE.match, block.pending) if m]
            msg += f'; running case #{len(block.results) + 1}'
            if started:
                msg += f" ('{started[-1]}')"
        return msg

    def unexpected(self, block, item):
        lineno, indent, kind, _, text = item
        want = block.depth * self.unit
        if kind is None:
            return KtapError(f'line {lineno}: not a KTAP line: {text!r}')
        if indent < want and indent % self.unit == 0 and block.plan is not None:
            return KtapError(f"line {lineno}: suite '{block.path()}' has plan "
                             f'1..{block.plan} but only {len(block.results)} results')
        if indent != want and not (indent == want + self.unit and kind == 'version'):
            return KtapError(f'line {lineno}: wrong indentation ({indent} spaces, '
                             f'expected {want}): {text!r}')
        return KtapError(f'line {lineno}: unexpected {kind} line: {text!r}')

    def parse_block(self, block):
        """Parse one document whose version line has been consumed."""
        want = block.depth * self.unit
        # Header: diagnostics (ktest puts "# Subtest: name" here), then the plan.
        while block.plan is None:
            item = self.take(block)
            lineno, indent, kind, val, _ = item
            if indent == want and kind == 'diag':
                if val.startswith('Subtest: ') and block.name is None:
                    block.name = val[len('Subtest: '):].strip()
            elif indent == want and kind == 'plan':
                block.plan = val
            elif indent == want and kind == 'result':
                raise KtapError(f'line {lineno}: missing plan: result before any "1..N" line')
            else:
                raise self.unexpected(block, item)
        while len(block.results) < block.plan:
            item = self.take(block)
            lineno, indent, kind, val, _ = item
            if indent == want and kind == 'diag':
                block.pending.append(val)
            elif indent == want and kind == 'result':
                self.add_result(block, lineno, val)
            elif indent == want + self.unit and kind == 'version':
                if block.child is not None:
                    raise KtapError(f"line {lineno}: suite '{block.child.path()}' has no result line")
                block.child = Block(block.depth + 1, block)
                self.parse_block(block.child)
            elif indent == want + self.unit and kind == 'result' and block.child is not None:
                raise KtapError(f"line {lineno}: suite '{block.child.path()}' has more "
                                f'results than its plan 1..{block.child.plan}')
            else:
                raise self.unexpected(block, item)
        # A nested suite may still print diagnostics after its last case.
        while block.parent is not None:
            item = self.peek()
            if not item or item[1] != want or item[2] != 'diag':
                break
            self.pos += 1

    def add_result(self, block, lineno, m):
        desc, hashed, tail = (m.group(3) or '').partition('#')
        if hashed and desc and not desc.endswith(' '):
            self.errors.append(f"line {lineno}: '#' inside a test name")
        desc = desc.strip()
        if desc.startswith('- '):          # TAP's optional "ok 1 - name" form
            desc = desc[2:].strip()
        word = tail.split(None, 1)
        directive = word[0].upper() if word and word[0].upper() in (
            'SKIP', 'TODO', 'XFAIL', 'TIMEOUT', 'ERROR') else None
        r = Result(lineno, m.group(1) == 'ok', int(m.group(2)), desc, directive, tail.strip())
        r.diags, block.pending = block.pending, []
        expected = len(block.results) + 1
        if r.number != expected:
            self.errors.append(f'line {lineno}: result number {r.number}, expected {expected}')
        if not desc:
            self.errors.append(f'line {lineno}: result {r.number} has no test name')
        if r.ok and directive in ('TIMEOUT', 'ERROR'):
            self.errors.append(f'line {lineno}: "ok" with the {directive} directive')
        block.results.append(r)
        if block.child is None:
            self.cases.append((block, r))   # path later: names come last
            return
        # A suite's own result line must agree with its subtests'.
        child, block.child = block.child, None
        r.block = child
        if child.name is not None and desc and child.name != desc:
            self.errors.append(f"line {lineno}: suite result '{desc}' does not match "
                               f"'# Subtest: {child.name}'")
        child.name = desc or child.name
        failed = any(c.status == 'fail' for c in child.results)
        if r.ok == failed or (failed and directive == 'SKIP'):
            said = ('ok' if r.ok else 'not ok') + (' # SKIP' if directive == 'SKIP' else '')
            self.errors.append(f"line {lineno}: suite '{child.path()}' is {said} but "
                               f"{'a subtest failed' if failed else 'no subtest failed'}")
        # ktest's per-suite "# name: pass:P fail:F skip:S total:T" line, if any.
        for d in r.diags:
            c = COUNTS_RE.fullmatch(d)
            if c and c.group(1) == desc:
                self.check_counts(lineno, d, c, list(child.leaves()))

    def check_counts(self, lineno, line, m, leaves):
        p, f, s = counts(leaves)
        if tuple(int(x) for x in m.groups()[1:]) != (p, f, s, len(leaves)):
            self.errors.append(f'line {lineno}: "# {line}" but parsed pass:{p} fail:{f} '
                               f'skip:{s} total:{len(leaves)}')

    def parse(self):
        top = Block(0, None)
        self.parse_block(top)
        item = self.peek()
        if item and item[1] == 0 and item[2] == 'diag' and item[3].startswith('Totals:'):
            self.pos += 1
            m = COUNTS_RE.fullmatch(item[3])
            if not m or m.group(1) != 'Totals':
                raise KtapError(f'line {item[0]}: malformed Totals line: {item[4]!r}')
            self.check_counts(item[0], item[3], m, list(top.leaves()))
            item = self.peek()
        # Lines after the document are ignored, unless they continue it.
        if item and ((item[1] == 0 and item[2] == 'result') or
                     (item[1] == self.unit and item[2] == 'version')):
            raise KtapError(f'line {item[0]}: more results than the top-level plan 1..{top.plan}')


def parse_log(text, unit=2):
    """Parse a whole log; return (cases, errors): cases are (suite, Result)."""
    raw = text.split('\n')
    if raw[-1] == '':       # the final newline ends a line, it does not start one
        raw.pop()
    lines = [(n, l[:-1] if l.endswith('\r') else l) for n, l in enumerate(raw, 1)]
    start = next((i for i, (_, l) in enumerate(lines) if l == VERSION), None)
    if start is None:
        return [], ['no KTAP output']
    p = Parser(lines[start + 1:], unit)
    try:
        p.parse()
    except KtapError as e:
        p.errors.append(str(e))
    return [(b.path(), r) for b, r in p.cases], p.errors


def usage(msg):
    sys.stderr.write(f'ktap.py: {msg}\n(see ktap.py --help)\n')
    sys.exit(2)


def parse_args(argv):
    logs, label, unit, args = [], None, 2, iter(argv)
    for a in args:
        if a in ('-h', '--help'):
            print(__doc__.strip())
            sys.exit(0)
        elif a in ('--label', '--indent') or a.startswith(('--label=', '--indent=')):
            opt, _, val = a.partition('=')
            val = val or next(args, None)
            if not val:
                usage(f'{opt} needs a value')
            if opt == '--label':
                label = val
            elif val.isdigit() and int(val) > 0:
                unit = int(val)
            else:
                usage(f'bad --indent value {val!r}')
        elif a.startswith('-') and a != '-':
            usage(f'unknown option {a}')
        else:
            logs.append((label or ('stdin' if a == '-' else a), a))
            label = None
    if label is not None or not logs:
        usage('no LOGFILE given' if not logs else '--label without a LOGFILE after it')
    return logs, unit


def main(argv):
    logs, unit = parse_args(argv)
    tp = tf = ts = 0
    for label, path in logs:
        try:
            if path == '-':
                data = sys.stdin.buffer.read()
            else:
                with open(path, 'rb') as f:
                    data = f.read()
            # Serial logs may hold garbage bytes before the kernel starts.
            cases, errors = parse_log(data.decode('utf-8', 'replace'), unit)
        except OSError as e:
            cases, errors = [], [f'cannot read {path}: {e.strerror}']
        for suite, r in cases:
            if r.status == 'fail':
                print(f"FAIL {label}: {suite + '.' if suite else ''}{r.name}")
                for d in r.diags + ([r.data] if r.data else []):
                    print(f'    {d}')
        for e in errors:
            print(f'ERROR {label}: {e}')
        p, f, s = counts(r for _, r in cases)
        f += len(errors)
        print(f'{label}: {p} passed, {f} failed, {s} skipped')
        tp, tf, ts = tp + p, tf + f, ts + s
    print(f'{tp} passed, {tf} failed' + (f', {ts} skipped' if ts else ''))
    return 0 if tf == 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
