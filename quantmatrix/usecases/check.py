"""`qm check`: the policy gate over the desired state at a path or ref, alone or judged as a
change against a base (`--base`, `--base-pack`)."""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quantmatrix.policy.findings import CheckResult


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
    the result are relative to the git root (`from_root`).

    `freeze_loaded` is for a process that exits after one check (the CLI): the loaded state
    (about a million dicts, tuples and strings, no cycles) lives until the process exits, so
    out of the cyclic collector's sight the collections the gate's own allocations trigger
    stay small instead of walking all of it (−0.15 s on 1,000 environments). A long-lived
    caller leaves it off."""
    if base_pack and not base_ref:
        raise ValueError("base_pack needs base_ref")
    from quantmatrix.policy.gate import from_root, run_check

    if base_ref:  # the change against the base goes to input.change (quantmatrix/diff/document.py)
        from quantmatrix.diff.refs import check_change, compare

        # the base costs only what changed (reusing the head's load)
        comparison = compare(path, base_ref, ref)
        if freeze_loaded:
            gc.freeze()
        result = check_change(
            comparison,
            engine=engine,
            opa_url=opa_url,
            waivers=waivers,
            today=today,
            fail_on_warn=fail_on_warn,
            base_pack=base_pack,
            base_label=base_ref,
        )
        return from_root(result, comparison.head_source)
    from quantmatrix.usecases.load import load_state

    loaded = load_state(path, ref)
    if freeze_loaded:
        gc.freeze()
    return from_root(
        run_check(
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
