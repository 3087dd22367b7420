"""Steps of a deployment, journaled write-ahead in the store (started before the action,
finished or failed with timings after), with a failpoint on each side of the action.

A resumed deployment keeps its journal: rows a dead process left `started` are closed as
failed ("interrupted"), and a step that runs again in the same deployment (the checks of a
resumed apply, a step interrupted before) is journaled under `<id>#<n>`: no row is ever
overwritten, so the journal keeps every attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from quantmatrix.reconcile.failpoints import failpoint
from quantmatrix.runtime.store import Store
from quantmatrix.runtime.store.journal import StepRecord, journal_fail, journal_finish, journal_start, journal_steps


class Journal:
    def __init__(self, store: Store, deployment_id: str, clock: Callable[[], datetime]):
        self.store, self.deployment_id, self.clock = store, deployment_id, clock

    def steps(self) -> list[StepRecord]:
        return journal_steps(self.store, self.deployment_id)

    def close_interrupted(self, by: str) -> list[str]:
        """Mark the steps a dead process left in flight as failed; their names."""
        open_steps = [s.step for s in self.steps() if s.state == "started"]
        for step in open_steps:
            journal_fail(
                self.store,
                self.deployment_id,
                step,
                detail=f"interrupted: the applying process died; resumed by {by}",
                now=self.clock(),
            )
        return open_steps

    def _key(self, step_id: str) -> str:
        taken = {s.step for s in self.steps()}
        if step_id not in taken:
            return step_id
        n = 2
        while f"{step_id}#{n}" in taken:
            n += 1
        return f"{step_id}#{n}"

    def run(self, step_id: str, action: Callable[[], str]) -> str:
        """Journal, run `action` (returns a one-line detail), journal its outcome; re-raise failures."""
        key = self._key(step_id)
        failpoint(f"step.before_{step_id}")
        journal_start(self.store, self.deployment_id, key, now=self.clock())
        try:
            detail = action()
            failpoint(f"step.after_{step_id}")
        except BaseException as error:
            journal_fail(self.store, self.deployment_id, key, detail=_why(error)[:2000], now=self.clock())
            raise
        journal_finish(self.store, self.deployment_id, key, detail=detail[:2000], now=self.clock())
        return detail


def _why(error: BaseException) -> str:
    from quantmatrix.errors import QMError
    from quantmatrix.runtime.secrets import redact

    if isinstance(error, QMError):
        return "; ".join(p.message for p in error.problems)
    return redact(f"{type(error).__name__}: {error}")
