"""The plan's vocabulary: steps in the guide's §11 order, each saying what it changes.

A `Plan` is plain frozen data: `qm plan` prints it (text, JSON, markdown) and `qm apply`
runs the very same object. Step ids are stable names; the journal and the failpoints use
them (`step.before_migrations`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from quantmatrix.model.common import Mode

StepKind = Literal[
    "readiness",  # policy gate on the exact commit, live preconditions, paper record, deploy window
    "pause_trading",  # live/paper stop taking new risk before the first service changes
    "configuration",  # control keys + configuration version
    "migrations",  # alembic to the release's revision
    "deploy",  # one component through the driver, verified for version and health
    "checks",  # health, smoke and trading-safety checks (guide §12)
    "reconciliation",  # positions and orders reconcile (§11: before trading is enabled)
    "enable_trading",  # ACTIVE, only now, never over an operator halt
    "monitoring",  # the monitoring window of §14, recorded with its end
]

ACTOR = "qm apply"  # who the records name for what an apply does on its own

# The order of guide §11; `plan` emits steps in this order only.
ORDER: tuple[str, ...] = (
    "readiness",
    "pause_trading",
    "configuration",
    "migrations",
    "deploy.api",
    "deploy.workers",
    "deploy.ui",
    "checks",
    "reconciliation",
    "enable_trading",
    "monitoring",
)


class Change(BaseModel):
    """One thing that moves: `subject` from `before` (None: nothing there) to `after`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str
    before: str | None
    after: str

    def describe(self) -> str:
        return f"{self.subject}: {self.before if self.before is not None else '(none)'} → {self.after}"


class Step(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str  # one of ORDER
    kind: StepKind
    title: str
    changes: tuple[Change, ...] = ()  # empty: the step verifies or records, it changes nothing running
    detail: str = ""

    @property
    def changes_system(self) -> bool:
        return bool(self.changes)


class Plan(BaseModel):
    """What an apply of `environment` would do, in order. No steps: in sync, a no-op."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    environment: str
    mode: Mode
    release: str
    previous_release: str | None
    config_version: str
    commit: str | None = None
    steps: tuple[Step, ...] = ()
    drift: tuple[Change, ...] = ()  # desired vs running, whatever the steps
    resume_of: str | None = None  # the interrupted deployment this apply continues
    operator_halt: str | None = None  # reason of an operator halt the apply will keep
    blockers: tuple[str, ...] = ()  # why this plan cannot be applied as is (apply refuses, exit 1)

    @property
    def in_sync(self) -> bool:
        return not self.steps

    @property
    def change_count(self) -> int:
        return sum(1 for step in self.steps if step.changes_system)

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)
