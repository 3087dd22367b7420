"""Run the policy pack's Rego unit tests (`test_*` rules) and measure their coverage.

A test passes iff its rule evaluates to `true`; undefined, any other value or an evaluation
error fails it (with the cleaned interpreter message). Tests are discovered as OPA does, by
the `test_` prefix of rule names, per package. Coverage comes from regorus: per policy file
the lines the tests exercised and those they did not (test files themselves are left out).

The built-in pack's tests and the repository's own (`policies/*_test.rego`) run together, in
one interpreter (a repository's tests may use the built-in fixtures, `data.qm.fixtures`), and
each result and file says which pack it belongs to, so they are reported separately.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from quantmatrix.errors import PolicyError, Problem
from quantmatrix.policy.engines.embedded import new_interpreter
from quantmatrix.policy.engines.regorus_errors import rego_problem
from quantmatrix.policy.pack import PACKAGE_LINE, POLICY_DIR, TEST_SUFFIX, Builtin, load_pack
from quantmatrix.repo.source import Source

_TEST_RULE = re.compile(r"^(test_\w+)\b", re.MULTILINE)
_UNDEFINED = "<undefined>"


@dataclass(frozen=True)
class TestResult:
    name: str  # data.qm.rules.separation.test_live_secret_in_paper_denied
    file: str
    line: int
    passed: bool
    message: str = ""  # why it failed: "undefined", "evaluated to false", an error
    builtin: bool = False  # a test of the built-in pack (else of the repository's policies/)


@dataclass(frozen=True)
class FileCoverage:
    file: str
    covered: tuple[int, ...]
    not_covered: tuple[int, ...]
    evaluated: bool = True  # False: no test reached any rule of the file
    builtin: bool = False

    @property
    def percent(self) -> float:
        total = len(self.covered) + len(self.not_covered)
        if not self.evaluated:
            return 0.0
        return 100.0 * len(self.covered) / total if total else 100.0


@dataclass(frozen=True)
class TestReport:
    results: tuple[TestResult, ...]
    coverage: tuple[FileCoverage, ...] = ()

    @property
    def failed(self) -> tuple[TestResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def passed(self) -> bool:
        return not self.failed


def discover_tests(modules: tuple[tuple[str, str], ...]) -> list[tuple[str, str, int]]:
    """(full rule name, file, line) of every `test_*` rule, once per name, in file order."""
    found: dict[str, tuple[str, str, int]] = {}
    for file, text in modules:
        package = PACKAGE_LINE.search(text)
        if package is None:
            continue
        for match in _TEST_RULE.finditer(text):
            name = f"data.{package.group(1)}.{match.group(1)}"
            found.setdefault(name, (name, file, text.count("\n", 0, match.start()) + 1))
    return list(found.values())


def _outcome(interpreter: Any, name: str) -> tuple[bool, str]:
    """Run test rule `name` on `interpreter` (a `regorus.Engine`, untyped: see `new_interpreter`)."""
    try:
        value = json.loads(interpreter.eval_rule_as_json(name))
    except RuntimeError as error:
        problem = rego_problem(error)
        return False, str(problem) if problem.line else problem.message
    if value is True:
        return True, ""
    return False, "undefined" if value == _UNDEFINED else f"evaluated to {json.dumps(value)[:80]}"


def _coverage(report_json: str, policy_files: list[str], builtin: frozenset[str]) -> tuple[FileCoverage, ...]:
    """Per policy file; regorus leaves out files no test reached, which are the worst case."""
    reported = {f["path"]: f for f in json.loads(report_json).get("files", [])}
    return tuple(
        FileCoverage(
            file,
            tuple(sorted(reported[file].get("covered", []))),
            tuple(sorted(reported[file].get("not_covered", []))),
            builtin=file in builtin,
        )
        if file in reported
        else FileCoverage(file, (), (), evaluated=False, builtin=file in builtin)
        for file in sorted(policy_files)
    )


def run_tests(
    source: Source,
    pattern: str | None = None,
    coverage: bool = False,
    policy_dir: str = POLICY_DIR,
    builtin: Builtin = "installed",
) -> TestReport:
    """Run every `test_*` rule of the built-in pack and of the repository's pack in `source`
    (those matching `pattern`, a regex)."""
    pack = load_pack(source, policy_dir, with_tests=True, builtin=builtin)
    try:
        selector = re.compile(pattern) if pattern else None
    except re.error as error:
        raise PolicyError(Problem(subject="--run", message=f"not a valid regular expression: {error}")) from None
    interpreter = new_interpreter(pack)
    if coverage:
        interpreter.set_enable_coverage(True)
    results = []
    for name, file, line in discover_tests(pack.modules):
        if selector and not selector.search(name):
            continue
        passed, message = _outcome(interpreter, name)
        results.append(TestResult(name, file, line, passed, message, builtin=file in pack.builtin_files))
    policy_files = [path for path, _ in pack.modules if not path.endswith(TEST_SUFFIX)]
    report = _coverage(interpreter.get_coverage_report_as_json(), policy_files, pack.builtin_files) if coverage else ()
    return TestReport(tuple(results), report)
