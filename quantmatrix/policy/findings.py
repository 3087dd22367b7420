"""Findings: what a policy rule reports, located in the YAML it is about.

Rules emit `{"id", "msg", "path"}`; `path` points into the policy input document
(`DesiredState.document()`), e.g. ["environments", "live", "spec", "risk", "max_daily_loss"].
The gate joins each with its rule's METADATA (title, severity, guide section) and maps the
path to file:line:col through the loader's positions. Output formats render `Finding`s only.

Every text a finding carries (message, path, target, waiver reason and approver) is redacted
when the finding is made (quantmatrix/redaction.py): a rule that echoes a value — QM-CHG-009's
old → new endpoint, a waiver's reason — cannot put a secret into any format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Literal

from quantmatrix.redaction import redact_text

Severity = Literal["deny", "warn"]


def _redact_fields(obj: object) -> None:
    """Redact every str field (and the str parts of tuple fields) of a frozen dataclass."""
    for f in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if isinstance(value, str):
            object.__setattr__(obj, f.name, redact_text(value))
        elif isinstance(value, tuple):
            object.__setattr__(obj, f.name, tuple(redact_text(v) if isinstance(v, str) else v for v in value))


@dataclass(frozen=True)
class RuleMeta:
    """A rule's METADATA block: `title` and `custom.{id, severity, guide}`."""

    id: str
    title: str
    severity: Severity
    guide: str
    description: str = ""
    file: str = ""  # policy file that defines it
    line: int = 0

    def __post_init__(self) -> None:
        _redact_fields(self)


@dataclass(frozen=True)
class Finding:
    rule: RuleMeta
    message: str
    path: tuple[str | int, ...]
    file: str
    line: int
    col: int
    target: str = ""  # "environment/live", "release/2026.11.0", "secret/QM_X", ...
    waiver: WaiverRef | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        _redact_fields(self)

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.col}" if self.line else self.file


@dataclass(frozen=True)
class WaiverRef:
    """The waiver that accepted a finding (reported separately, never silently dropped)."""

    reason: str
    approver: str
    expires: str
    file: str = ""
    line: int = 0

    def __post_init__(self) -> None:
        _redact_fields(self)


def target_of(path: tuple[str | int, ...]) -> str:
    """`("environments", "live", ...)` → `environment/live`."""
    if len(path) < 2:
        return str(path[0]) if path else ""
    kind = {
        "environments": "environment",
        "declared": "environment",
        "releases": "release",
        "secrets": "secret",
        "bases": "base",
    }
    return f"{kind.get(str(path[0]), str(path[0]))}/{path[1]}"


_SEVERITY_RANK = {"deny": 0, "warn": 1}


def finding_order(finding: Finding) -> tuple[object, ...]:
    """The one deterministic order of findings (the gate's result and every report): deny
    before warn, then location, rule, target, message."""
    return (
        _SEVERITY_RANK.get(finding.severity, 9),
        finding.file,
        finding.line,
        finding.col,
        finding.rule.id,
        finding.target or target_of(finding.path),
        finding.message,
        tuple(str(p) for p in finding.path),
    )


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one `qm check`: what every output format renders."""

    source: str  # what was checked, e.g. "." or "main@3f2a…"
    engine: str  # "embedded" | "opa"
    rules: tuple[RuleMeta, ...]  # every rule in the pack (SARIF lists them all)
    findings: tuple[Finding, ...]  # active findings, deny and warn
    waived: tuple[Finding, ...] = ()  # findings a valid waiver accepted
    fail_on_warn: bool = False
    # environment name → mode, so that reports put live first even when names do not say it
    modes: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def denials(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "deny")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warn")

    @property
    def passed(self) -> bool:
        return not self.denials and not (self.fail_on_warn and self.warnings)
