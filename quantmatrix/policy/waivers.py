"""Waivers: an approved, expiring exception for exactly one finding.

`policies/waivers.yaml` lists entries of `rule`, `target`, `reason`, `approver`, `expires`.
A waiver never silences anything quietly: the finding it accepts moves to
`CheckResult.waived` with the waiver attached. Waivers that cannot be trusted are findings
themselves (synthetic rules below, at the waiver's line) — malformed, unknown rule, expired,
or matching several findings are denials; matching nothing is a warning. Waiver findings
cannot be waived.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from quantmatrix.errors import ConfigError, Problem
from quantmatrix.model.common import API_VERSION, ApiVersion
from quantmatrix.policy.findings import Finding, RuleMeta, WaiverRef
from quantmatrix.policy.waiver_bounds import BOUND_RULES, Bounds, violations
from quantmatrix.repo.source import Source

WAIVERS_FILE = "waivers.yaml"
_GUIDE = "§5 release approvals (policy gate waivers)"

INVALID = RuleMeta("QM-WAIVER-001", "Waiver is malformed, ambiguous or names an unknown rule", "deny", _GUIDE)
EXPIRED = RuleMeta("QM-WAIVER-002", "Waiver has expired", "deny", _GUIDE)
UNMATCHED = RuleMeta("QM-WAIVER-003", "Waiver matches no finding", "warn", _GUIDE)
WAIVER_RULES = {rule.id: rule for rule in (INVALID, EXPIRED, UNMATCHED, *BOUND_RULES)}

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Waiver(BaseModel):
    """One accepted finding: which rule, where, why, who approved it and until when."""

    model_config = ConfigDict(extra="forbid")

    rule: Text = Field(description="Rule id of the finding, e.g. QM-RISK-002.")
    target: Text = Field(
        description="What the finding is about: `environment/live`, `release/2026.11.0`, a file "
        "(`environments/live.yaml`) or a dotted path prefix into the policy input "
        "(`environments.live.spec.risk`). It must match exactly one finding of the rule."
    )
    reason: Text = Field(description="Why the finding is accepted (a ticket reference helps).")
    approver: Text = Field(description="Who approved the exception.")
    expires: dt.date = Field(description="Last day (inclusive) the waiver applies; ISO date.")


class WaiverDocument(BaseModel):
    """`policies/waivers.yaml`."""

    model_config = ConfigDict(extra="forbid")

    apiVersion: ApiVersion = API_VERSION
    kind: Literal["Waivers"] = "Waivers"
    waivers: list[Any] = Field(default_factory=list, description="Waiver entries (see `Waiver`).")


@dataclass(frozen=True)
class Entry:
    index: int
    waiver: Waiver
    line: int
    col: int


@dataclass(frozen=True)
class WaiverFile:
    file: str
    entries: tuple[Entry, ...] = ()
    problems: tuple[Problem, ...] = ()  # malformed file or entries: each becomes a denial
    data: Any = None  # the parsed file, scanned by the pack for secret-looking strings (QM-CFG-002)
    position: Callable[[tuple[str | int, ...]], tuple[int, int]] | None = field(default=None, compare=False)


def _read(source: Source, policy_dir: str, override: str | Path | None) -> tuple[str, bytes] | None:
    if override is not None:
        path = Path(override)
        try:
            return str(path), path.read_bytes()
        except OSError as exc:
            raise ConfigError(Problem(str(path), message=f"cannot read waivers file: {exc.strerror}")) from None
    default = f"{policy_dir}/{WAIVERS_FILE}"
    return (default, source.read(default)) if source.exists(default) else None


def parse_waivers(file: str, raw: bytes) -> WaiverFile:
    """Validate every entry on its own, so one bad waiver does not hide the others."""
    from quantmatrix.repo.validate import validate_model
    from quantmatrix.repo.yamlfile import parse_yaml

    try:
        doc = parse_yaml(file, raw)
    except ConfigError as exc:
        return WaiverFile(file, problems=tuple(exc.problems))

    def locate(path: tuple[str | int, ...]) -> tuple[str, int, int]:
        return (file, *doc.position(path))

    _, problems = validate_model(WaiverDocument, doc.data, locate)
    entries: list[Entry] = []
    items = doc.data.get("waivers")
    for index, item in enumerate(items if isinstance(items, list) else []):
        prefixed = lambda p, i=index: locate(("waivers", i, *p))  # noqa: E731
        model, found = validate_model(Waiver, item, prefixed)
        problems.extend(
            Problem(p.file, p.line, p.col, f"waivers.{index}.{p.path}".rstrip("."), p.message) for p in found
        )
        if model is not None:
            entries.append(Entry(index, model, *doc.position(("waivers", index))))
    return WaiverFile(file, tuple(entries), tuple(problems), doc.data, doc.position)


def load_waivers(source: Source, policy_dir: str, override: str | Path | None = None) -> WaiverFile | None:
    found = _read(source, policy_dir, override)
    return parse_waivers(*found) if found else None


def matches(waiver: Waiver, finding: Finding) -> bool:
    """Same rule, and the target names the finding's subject, file or a path prefix."""
    if waiver.rule != finding.rule.id:
        return False
    target = waiver.target
    if target in (finding.target, finding.file):
        return True
    dotted = ".".join(str(part) for part in finding.path)
    return dotted == target or dotted.startswith(target + ".")


def _synthetic(rule: RuleMeta, file: str, line: int, col: int, index: int | None, message: str) -> Finding:
    path: tuple[str | int, ...] = ("waivers",) if index is None else ("waivers", index)
    return Finding(rule, message, path, file, line, col, f"waiver/{file}")


def apply_waivers(
    findings: list[Finding],
    waivers: WaiverFile | None,
    rules: Mapping[str, RuleMeta],
    today: dt.date,
    bounds: Bounds | None = None,
) -> tuple[list[Finding], list[Finding], dict[str, RuleMeta]]:
    """(active findings incl. waiver findings, waived findings, the synthetic rules).

    `bounds` (quantmatrix/policy/waiver_bounds.py): a waiver outside them waives nothing."""
    if waivers is None:
        return list(findings), [], dict(WAIVER_RULES)
    active = list(findings)
    waived: list[Finding] = []
    extra: list[Finding] = []
    for problem in waivers.problems:
        index = (
            int(problem.path.split(".")[1])
            if problem.path.startswith("waivers.") and problem.path.split(".")[1].isdigit()
            else None
        )
        extra.append(
            _synthetic(
                INVALID,
                problem.file,
                problem.line,
                problem.col,
                index,
                f"{problem.path}: {problem.message}" if problem.path else problem.message,
            )
        )
    for entry in waivers.entries:
        waiver = entry.waiver

        def report(rule: RuleMeta, message: str, entry: Entry = entry) -> None:
            extra.append(_synthetic(rule, waivers.file, entry.line, entry.col, entry.index, message))

        if waiver.rule in WAIVER_RULES:
            report(INVALID, f"waiver for {waiver.rule}: waiver findings cannot be waived")
            continue
        if waiver.rule not in rules:
            report(INVALID, f"waiver for unknown rule {waiver.rule} (not in the policy pack)")
            continue
        if waiver.expires < today:
            report(EXPIRED, f"waiver for {waiver.rule} expired on {waiver.expires.isoformat()}")
            continue
        broken = violations(waiver.expires, waiver.approver, waiver.target, bounds) if bounds is not None else []
        for rule, message in broken:
            report(rule, f"waiver for {waiver.rule} {message}")
        if broken:
            continue
        hits = [f for f in active if matches(waiver, f)]
        if not hits:
            report(UNMATCHED, f"waiver for {waiver.rule} on {waiver.target} matches no finding: remove it")
        elif len(hits) > 1:
            report(
                INVALID,
                f"waiver for {waiver.rule} on {waiver.target} matches {len(hits)} findings; a waiver accepts one: narrow its target to a path, e.g. {'.'.join(map(str, hits[0].path))}",
            )
        else:
            ref = WaiverRef(waiver.reason, waiver.approver, waiver.expires.isoformat(), waivers.file, entry.line)
            active.remove(hits[0])
            waived.append(replace(hits[0], waiver=ref))
    return active + extra, waived, dict(WAIVER_RULES)
