"""`qm diff`: compare the desired state of two refs (or a ref and the work tree) and, for the
pull-request summary, judge the change with the policy gate. What it shows is named from the
git root, as `qm check` names it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from quantmatrix.errors import PolicyError, QMError, RuntimeUnavailable

if TYPE_CHECKING:
    from quantmatrix.diff.model import StateDiff
    from quantmatrix.diff.refs import Comparison
    from quantmatrix.policy.findings import CheckResult


@dataclass(frozen=True)
class Judged:
    """The summary's gate: its result, or why it could not run (`failure`, kept so that the
    command still fails with the right exit code after printing the summary)."""

    result: CheckResult | None
    failure: QMError | None = None

    @property
    def note(self) -> str:
        if self.failure is None:
            return ""
        return "The policy gate could not run: " + "; ".join(str(p) for p in self.failure.problems)


@dataclass(frozen=True)
class Reviewed:
    """What `qm diff` shows: the diff, its locations named from the git root (a base-only one
    as `BASE:file:line`), and the gate's verdict on it when asked for (`judged`)."""

    diff: StateDiff
    judged: Judged | None = None


def review(
    path: str | Path,
    base_ref: str,
    head_ref: str | None = None,
    *,
    judge: bool = False,
    engine: str = "embedded",
    opa_url: str | None = None,
    today: dt.date | None = None,
) -> Reviewed:
    """Diff `base_ref` against `head_ref` (default: the work tree at `path`); with `judge`, the
    pull-request summary's gate too (`judge_change`)."""
    from quantmatrix.diff.locations import rooted

    comparison = compare(path, base_ref, head_ref)
    judged = judge_change(comparison, engine=engine, opa_url=opa_url, today=today) if judge else None
    shown = rooted(comparison.diff, comparison.head_source, comparison.base_source, base_ref)
    return Reviewed(shown, judged)


def compare(path: str | Path, base_ref: str, head_ref: str | None = None) -> Comparison:
    from quantmatrix.diff.refs import compare as compare_refs

    return compare_refs(path, base_ref, head_ref)


def judge_change(
    comparison: Comparison, *, engine: str = "embedded", opa_url: str | None = None, today: dt.date | None = None
) -> Judged:
    """The gate of the PR summary: the head judged by its own pack and by the base's (`qm check
    --base --base-pack`), findings named from the git root. A broken pack or an unreachable
    engine is reported, not raised: the summary says why there is no verdict."""
    from quantmatrix.diff.refs import check_change
    from quantmatrix.usecases.check import gate_from_root

    def run() -> CheckResult:
        return check_change(comparison, engine=engine, opa_url=opa_url, today=today, base_pack=True)

    try:
        return Judged(gate_from_root(run, comparison.head_source))
    except (PolicyError, RuntimeUnavailable) as error:
        return Judged(None, error)
