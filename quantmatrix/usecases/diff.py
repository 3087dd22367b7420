"""`qm diff`: compare the desired state of two refs (or a ref and the work tree) and, for the
pull-request summary, judge the change with the policy gate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from quantmatrix.errors import PolicyError, QMError, RuntimeUnavailable

if TYPE_CHECKING:
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


def compare(path: str | Path, base_ref: str, head_ref: str | None = None) -> Comparison:
    from quantmatrix.diff.refs import compare as compare_refs

    return compare_refs(path, base_ref, head_ref)


def judge_change(
    comparison: Comparison, *, engine: str = "embedded", opa_url: str | None = None, today: dt.date | None = None
) -> Judged:
    """The gate of the PR summary: the head judged by its own pack and by the base's (`qm check
    --base --base-pack`). A broken pack or an unreachable engine is reported, not raised: the
    summary says why there is no verdict."""
    from quantmatrix.diff.refs import check_change

    try:
        return Judged(check_change(comparison, engine=engine, opa_url=opa_url, today=today, base_pack=True))
    except (PolicyError, RuntimeUnavailable) as error:
        return Judged(None, error)
