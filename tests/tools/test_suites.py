"""The test tree's naming rules (docs/testing.md, "Where tests live"):
every suite is named after its file, and no two suites share a name, so
`ktest=<name>` and a KTAP line name one suite in one place."""
import pathlib
import re
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SUITE = re.compile(r"^KTEST_SUITE\((\w+),", re.M)


def suites():
    """(file, suite name) for every KTEST_SUITE under tests/."""
    for path in sorted((ROOT / "tests").glob("*/*.c")):
        for name in SUITE.findall(path.read_text()):
            yield path, name


def expected_name(path):
    stem = path.stem
    return stem[: -len("_both")] if stem.endswith("_both") else stem


class SuiteNames(unittest.TestCase):
    def test_the_tree_has_suites(self):
        self.assertGreater(len(list(suites())), 20)

    def test_each_suite_is_named_after_its_file(self):
        for path, name in suites():
            with self.subTest(file=str(path.relative_to(ROOT))):
                self.assertEqual(name, expected_name(path))

    def test_suite_names_are_unique(self):
        seen = {}
        for path, name in suites():
            with self.subTest(suite=name):
                self.assertNotIn(name, seen, f"also in {seen.get(name)}")
            seen[name] = path.relative_to(ROOT)

    def test_one_suite_per_file(self):
        for path in sorted((ROOT / "tests").glob("*/*.c")):
            n = len(SUITE.findall(path.read_text()))
            with self.subTest(file=str(path.relative_to(ROOT))):
                self.assertLessEqual(n, 1)


if __name__ == "__main__":
    unittest.main()
