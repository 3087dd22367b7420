"""Named failpoints in the apply path (etcd's gofail, TiKV's fail-rs), for crash tests.

`QM_FAILPOINTS="step.before_migrations=crash,step.after_deploy.api=error"` turns those points
into a crash (`os._exit`, as `kill -9` would leave things: no cleanup, no finally) or an
error (the step fails, exercising failure handling). Every step has `step.before_<id>` and
`step.after_<id>` (after its action, before the journal records it finished). Unset, a
failpoint costs one dictionary lookup.
"""

from __future__ import annotations

import os

ENV = "QM_FAILPOINTS"
CRASH_EXIT = 137  # what a shell reports for a process killed by SIGKILL


class FailpointError(RuntimeError):
    """An injected failure (`=error`)."""


def _active() -> dict[str, str]:
    spec = os.environ.get(ENV, "")
    points: dict[str, str] = {}
    for item in spec.split(","):
        name, _, action = item.strip().partition("=")
        if name:
            points[name] = action or "crash"
    return points


def failpoint(name: str) -> None:
    action = _active().get(name)
    if action is None:
        return
    if action == "crash":
        os._exit(CRASH_EXIT)
    if action == "error":
        raise FailpointError(f"failpoint {name}: injected failure")
    raise ValueError(f"{ENV}: unknown action {action!r} for {name} (crash | error)")
