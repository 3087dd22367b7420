"""`qm check`: the policy gate over the desired state at a path or ref, alone or judged as a
change against a base (`--base`, `--base-pack`)."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from quantmatrix.errors import PolicyError

if TYPE_CHECKING:
    from quantmatrix.policy.findings import CheckResult
    from quantmatrix.repo.source import Source


def gate_from_root(run: Callable[[], CheckResult], source: Source) -> CheckResult:
    """Run the gate over `source` with every file it names from the git root: its findings,
    and the problems of a broken pack (`deploy/policies/x.rego:3:1` when the state lives in
    `deploy/`), as SARIF, annotations and people in the repository root expect."""
    from quantmatrix.policy.gate import from_root as findings_from_root
    from quantmatrix.repo.source import problems_from_root

    try:
        return findings_from_root(run(), source)
    except PolicyError as error:
        raise PolicyError(problems_from_root(error.problems, source)) from None


def check(
    path: str | Path,
    ref: str | None = None,
    *,
    engine: str = "embedded",
    opa_url: str | None = None,
    waivers: str | Path | None = None,
    today: dt.date | None = None,
    fail_on_warn: bool = False,
    base_ref: str | None = None,
    base_pack: bool = False,
    freeze_loaded: bool = False,
) -> CheckResult:
    """Validate and judge the desired state at `path` (or `ref`). With `base_ref`, the change
    against it goes to `input.change` and the base is loaded as `qm diff` loads it (its
    problems named `REF:file:line:col`); `base_pack` also judges with the base's pack. Paths in
    the result are relative to the git root (`gate_from_root`: findings and a broken pack's problems).

    `freeze_loaded` is for a process that exits after one check (the CLI): the loaded state
    (about a million dicts, tuples and strings, no cycles) lives until the process exits, so
    out of the cyclic collector's sight the collections the gate's own allocations trigger
    stay small instead of walking all of it (−0.15 s on 1,000 environments). A long-lived
    caller leaves it off."""
    if base_pack and not base_ref:
        raise ValueError("base_pack needs base_ref")
    from quantmatrix.policy.gate import run_check

    if base_ref:  # the change against the base goes to input.change (quantmatrix/diff/document.py)
        from quantmatrix.diff.refs import check_change, compare

        # the base costs only what changed (reusing the head's load)
        comparison = compare(path, base_ref, ref)
        if freeze_loaded:
            gc.freeze()
        return gate_from_root(
            lambda: check_change(
                comparison,
                engine=engine,
                opa_url=opa_url,
                waivers=waivers,
                today=today,
                fail_on_warn=fail_on_warn,
                base_pack=base_pack,
                base_label=base_ref,
            ),
            comparison.head_source,
        )
    from quantmatrix.usecases.load import load_state

    loaded = load_state(path, ref)
    if freeze_loaded:
        gc.freeze()
    return gate_from_root(
        lambda: run_check(
            loaded.state,
            source=loaded.source,
            engine=engine,
            opa_url=opa_url,
            waivers=waivers,
            today=today,
            fail_on_warn=fail_on_warn,
        ),
        loaded.source,
    )
