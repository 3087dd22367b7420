"""Comparing two git refs (or a ref and the work tree) and judging the change.

The library behind `qm diff` and `qm check --base`: load both states with the loader (a ref
is read without touching the work tree), diff them, and run the policy gate on the head
with the diff at `input.change`, using the head's own policy pack.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from quantmatrix.diff.document import change_document
from quantmatrix.diff.model import StateDiff
from quantmatrix.diff.policy import diff_policies
from quantmatrix.diff.state import diff_states
from quantmatrix.repo.loader import load_reported
from quantmatrix.repo.source import Source, open_source
from quantmatrix.state import DesiredState

if TYPE_CHECKING:
    from quantmatrix.policy.findings import CheckResult


@dataclass(frozen=True)
class Comparison:
    diff: StateDiff
    base: DesiredState
    head: DesiredState
    head_source: Source  # where the head's policy pack is read from
    base_source: Source  # where the base's policy pack is read from (`--base-pack`)


def _load(source: Source, ref: str | None, reuse: DesiredState | None = None) -> DesiredState:
    """Load `source`; problems in a ref are named git-style (`main:environments/live.yaml:12:3`)
    so that nobody looks for them in the work tree, and from the git root."""
    return load_reported(source, ref, reuse)


def compare(path: str | Path, base_ref: str, head_ref: str | None = None) -> Comparison:
    """Diff `base_ref` against `head_ref` (default: the work tree at `path`). The base costs
    only what differs: the files it shares with the head, byte for byte, are taken from the
    head's load (`load_source(..., reuse=head)`)."""
    head_source = open_source(path, head_ref)
    head = _load(head_source, head_ref)
    base_source = open_source(path, base_ref)
    base = _load(base_source, base_ref, reuse=head)
    diff = replace(diff_states(base, head), policies=diff_policies(base_source, head_source))
    return Comparison(diff, base, head, head_source, base_source)


def check_change(
    comparison: Comparison,
    *,
    engine: str = "embedded",
    opa_url: str | None = None,
    waivers: str | Path | None = None,
    today: dt.date | None = None,
    fail_on_warn: bool = False,
    base_pack: bool = False,
    base_label: str | None = None,
) -> CheckResult:
    """The policy gate on the head, with the change so the delta rules apply; with
    `base_pack`, judged by the base's pack too (quantmatrix/policy/basepack.py)."""
    from quantmatrix.policy.gate import run_check

    change = change_document(comparison.diff)
    result = run_check(
        comparison.head,
        source=comparison.head_source,
        engine=engine,
        opa_url=opa_url,
        waivers=waivers,
        change=change,
        today=today,
        fail_on_warn=fail_on_warn,
    )
    if not base_pack:
        return result
    from quantmatrix.policy.basepack import union_results
    from quantmatrix.policy.builtin import builtin_at

    judged = run_check(
        comparison.head,
        source=comparison.base_source,
        engine=engine,
        opa_url=opa_url,
        change=change,
        today=today,
        fail_on_warn=fail_on_warn,
        builtin=builtin_at(comparison.base_source),
    )
    return union_results(result, judged, comparison.diff.base if base_label is None else base_label)
