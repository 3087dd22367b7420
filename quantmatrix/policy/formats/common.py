"""What every output format agrees on: finding order, target order, the summary line.

Kept in one place so that text, JSON, JUnit, SARIF and GitHub annotations list the same
findings in the same order and print the same verdict — two engines (or two formats) that
disagree must be visibly different, never accidentally so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from quantmatrix.model.common import Mode, mode_rank
from quantmatrix.policy.findings import CheckResult, Finding, RuleMeta, finding_order, target_of
from quantmatrix.render.words import plural

# Group order of the text report: environments (in `Mode.rank` order: live, paper, local,
# backtest, then any of unknown mode), then releases, the secret catalog, the bases, anything
# else, and findings with no target.
_KIND_RANK = {"environment": 0, "release": 1, "secret": 2, "base": 3}
_MODES = frozenset(mode.value for mode in Mode)
NO_TARGET = "(repository)"


def target(finding: Finding) -> str:
    """The finding's target, derived from its path when the engine left it empty."""
    return finding.target or target_of(finding.path) or NO_TARGET


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=finding_order)


def mode_of(name: str, modes: Mapping[str, str]) -> str:
    """An environment's mode: from the result when the gate supplied it, else its name when
    the name is itself a mode (the convention of the sample repository)."""
    return modes.get(name) or (name if name in _MODES else "")


def target_key(name: str, modes: Mapping[str, str]) -> tuple[object, ...]:
    """Sort key of a target: environments first, live first; releases; secrets; bases; rest."""
    if name == NO_TARGET:
        return (9, "", 0, name)
    kind, _, rest = name.partition("/")
    if kind == "environment":
        return (0, "", mode_rank(mode_of(rest, modes)), rest)
    return (_KIND_RANK.get(kind, 4), kind, 0, rest)


def by_target(findings: Iterable[Finding], modes: Mapping[str, str]) -> list[tuple[str, list[Finding]]]:
    """Findings grouped by target, groups in report order, findings ordered within."""
    groups: dict[str, list[Finding]] = {}
    for finding in ordered(findings):
        groups.setdefault(target(finding), []).append(finding)
    return sorted(groups.items(), key=lambda item: target_key(item[0], modes))


def all_rules(result: CheckResult) -> list[RuleMeta]:
    """Every rule of the pack, plus any rule a finding names that the pack list lacks (e.g. a
    waiver-file rule), so that every finding has a rule to point at."""
    rules = {rule.id: rule for rule in result.rules}
    for finding in (*result.findings, *result.waived):
        rules.setdefault(finding.rule.id, finding.rule)
    return sorted(rules.values(), key=lambda rule: rule.id)


def verdict(result: CheckResult) -> str:
    return "PASSED" if result.passed else "FAILED"


def summary_line(result: CheckResult) -> str:
    """`2 denied, 1 warning, 1 waived — FAILED`: the same words in every format."""
    return (
        f"{len(result.denials)} denied, {plural(len(result.warnings), 'warning')}, "
        f"{len(result.waived)} waived — {verdict(result)}"
    )


def fails(finding: Finding, result: CheckResult) -> bool:
    """Does this active finding fail the gate? Denials always; warnings with --fail-on-warn."""
    return finding.severity == "deny" or result.fail_on_warn
