"""`qm policy`: work on the policy pack itself (`qm policy test`)."""

from __future__ import annotations

import click

from quantmatrix.cli.options import path_argument, ref_option
from quantmatrix.cli.output import echo, style
from quantmatrix.errors import ExitCode


def line_ranges(lines: tuple[int, ...]) -> str:
    """(3, 4, 5, 9) → "3-5, 9"."""
    spans: list[list[int]] = []
    for line in lines:
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in spans)


PACKS = (("built-in pack", True), ("repository pack (policies/)", False))


@click.group()
def policy() -> None:
    """The policy pack: run its unit tests."""


@policy.command("test")
@path_argument
@ref_option
@click.option("--coverage", is_flag=True, help="Report, per policy file, the lines the tests exercised.")
@click.option("--run", "pattern", metavar="PATTERN", help="Only tests whose full name matches this regular expression.")
def test(path: str, ref: str | None, coverage: bool, pattern: str | None) -> None:
    """Run every `test_*` rule of the built-in pack and of PATH/policies (incl. *_test.rego),
    reported per pack.

    Exit 0 when all pass, 1 when any fails, 2 when the pack is broken.
    """
    from quantmatrix.policy.testing import run_tests
    from quantmatrix.repo.source import open_source

    report = run_tests(open_source(path, ref), pattern=pattern, coverage=coverage)
    packs = [
        (
            name,
            [r for r in report.results if r.builtin == builtin],
            [f for f in report.coverage if f.builtin == builtin],
        )
        for name, builtin in PACKS
    ]
    shown = [pack for pack in packs if pack[1] or pack[2]]
    for name, results, _ in shown:
        if len(shown) > 1:
            echo(style(f"{name}:", "blue", bold=True))
        for result in results:
            if result.passed:
                echo(f"{style('PASS', 'green')} {result.name}")
            else:
                echo(f"{style('FAIL', 'red')} {result.name} ({result.file}:{result.line}): {result.message}")
    if len(shown) > 1:
        for name, results, _ in shown:
            failed_here = sum(1 for r in results if not r.passed)
            echo(f"{name}: {len(results)} tests: {len(results) - failed_here} passed, {failed_here} failed")
    failed = len(report.failed)
    summary = f"{len(report.results)} tests: {len(report.results) - failed} passed, {failed} failed"
    if not report.results:
        summary = "no tests found" + (f" matching {pattern!r}" if pattern else "")
    echo(style(summary, "red" if failed or not report.results else "green"))
    if coverage:
        echo("coverage:")
        for name, _, files in shown:
            if len(shown) > 1 and files:
                echo(f" {name}:")
            for file in files:
                missing = f"  not covered: {line_ranges(file.not_covered)}" if file.not_covered else ""
                missing = missing if file.evaluated else "  not reached by any test"
                echo(f"  {file.file}  {file.percent:.1f}%{missing}")
    if failed or not report.results:
        raise click.exceptions.Exit(int(ExitCode.VIOLATIONS))
