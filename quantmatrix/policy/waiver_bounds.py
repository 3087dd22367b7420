"""The bounds every waiver must stay within, or it waives nothing and is a finding itself.

- **Lifetime**: `expires` at most `waivers.max_days` (policies/settings.yaml, default 90) after
  the gate's today. A waiver "until 2099" is a rule switched off, not an exception.
- **Approver**: on the approvers list kept in the repository, `policies/approvers.yaml`
  (format below). No list, no valid waiver: the gate fails closed.
- **Target**: names exactly one environment or one release that exists — `environment/<name>`,
  `release/<version>`, its file (`environments/<name>.yaml`), or a dotted path into it
  (`environments.<name>.spec.risk`). No wildcard, no base layer, no whole section.

`policies/approvers.yaml`:

    apiVersion: quantmatrix.io/v1
    kind: Approvers
    approvers:
      - name: sam.cto               # as written in a waiver's `approver`
        role: CTO                   # why this person may accept a policy exception
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from quantmatrix.errors import ConfigError
from quantmatrix.model.common import API_VERSION, ApiVersion
from quantmatrix.policy.findings import RuleMeta
from quantmatrix.repo.source import Source

APPROVERS_FILE = "approvers.yaml"
DEFAULT_MAX_DAYS = 90
_GUIDE = "§5 release approvals (policy gate waivers)"
_WILDCARDS = set("*?[]{}")

TOO_LONG = RuleMeta("QM-WAIVER-004", "Waiver lasts longer than the maximum lifetime", "deny", _GUIDE)
NOT_AN_APPROVER = RuleMeta("QM-WAIVER-005", "Waiver approver is not on the approvers list", "deny", _GUIDE)
BAD_TARGET = RuleMeta(
    "QM-WAIVER-006", "Waiver target is not exactly one existing environment or release", "deny", _GUIDE
)
BOUND_RULES = (TOO_LONG, NOT_AN_APPROVER, BAD_TARGET)


class Approver(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="The approver, as a waiver's `approver` names them.")
    role: str = Field(min_length=1, description="Why they may accept a policy exception.")


class ApproversDocument(BaseModel):
    """`policies/approvers.yaml`."""

    model_config = ConfigDict(extra="forbid")

    apiVersion: ApiVersion = API_VERSION
    kind: Literal["Approvers"] = "Approvers"
    approvers: list[Approver] = Field(default_factory=list)


@dataclass(frozen=True)
class Bounds:
    """What the waivers of one gate run are checked against."""

    today: dt.date
    max_days: int
    approvers: frozenset[str] | None  # None: no usable approvers list
    approvers_problem: str  # why there is none
    subjects: frozenset[str]  # "environment/<name>" and "release/<version>" that exist


def max_days(settings: Mapping[str, Any]) -> int:
    value = (settings.get("waivers") or {}).get("max_days") if isinstance(settings.get("waivers"), Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else DEFAULT_MAX_DAYS


def load_approvers(source: Source, policy_dir: str) -> tuple[frozenset[str] | None, str]:
    """(names, "") or (None, why): a missing or malformed list leaves no approver."""
    from quantmatrix.repo.validate import validate_model
    from quantmatrix.repo.yamlfile import parse_yaml

    path = f"{policy_dir}/{APPROVERS_FILE}"
    if not source.exists(path):
        return None, f"there is no approvers list ({path})"
    try:
        doc = parse_yaml(path, source.read(path))
    except ConfigError as error:
        return None, f"the approvers list is unreadable: {error.problems[0]}"
    model, problems = validate_model(ApproversDocument, doc.data, lambda p: (path, *doc.position(p)))
    if model is None or problems:
        return None, f"the approvers list is invalid: {problems[0] if problems else path}"
    return frozenset(a.name for a in model.approvers), ""


def subject_of(target: str, subjects: frozenset[str]) -> str | None:
    """The one environment or release `target` names, or None."""
    if target in subjects:
        return target
    for subject in subjects:
        kind, name = subject.split("/", 1)
        folder = "environments" if kind == "environment" else "releases"
        if target in (f"{folder}/{name}.yaml", f"{folder}/{name}.yml"):
            return subject
        for section in (folder, "declared") if kind == "environment" else (folder,):
            if target == f"{section}.{name}" or target.startswith(f"{section}.{name}."):
                return subject
    return None


def violations(expires: dt.date, approver: str, target: str, bounds: Bounds) -> list[tuple[RuleMeta, str]]:
    """Every bound the waiver breaks, as (rule, message); empty when it stays within them."""
    found: list[tuple[RuleMeta, str]] = []
    days = (expires - bounds.today).days
    if days > bounds.max_days:
        found.append(
            (
                TOO_LONG,
                f"expires {expires.isoformat()}, {days} days from {bounds.today.isoformat()}: a waiver lasts at most {bounds.max_days} days (policies/settings.yaml waivers.max_days)",
            )
        )
    if bounds.approvers is None:
        found.append((NOT_AN_APPROVER, f"cannot be approved: {bounds.approvers_problem}"))
    elif approver not in bounds.approvers:
        found.append((NOT_AN_APPROVER, f"its approver is not on the approvers list (policies/{APPROVERS_FILE})"))
    if _WILDCARDS & set(target):
        found.append((BAD_TARGET, "its target holds a wildcard: name one environment or release exactly"))
    elif subject_of(target, bounds.subjects) is None:
        found.append(
            (
                BAD_TARGET,
                "its target does not name exactly one existing environment or release (environment/<name>, release/<version>, its file, or a dotted path into it)",
            )
        )
    return found
