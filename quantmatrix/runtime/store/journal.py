"""The step journal: a write-ahead log of each deployment's steps.

`journal_start` is written *before* a step acts and `journal_finish`/`journal_fail` after, so
a crash leaves exactly the in-flight step marked `started`; resume reads this, not memory.
A step runs at most once per deployment (unique deployment_id, step); restarting a step
that failed or was interrupted moves its row back to `started`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, func, insert, select, update

from quantmatrix.runtime.store.control_state import utc
from quantmatrix.runtime.store.engine import Store
from quantmatrix.runtime.store.tables import JournalStep, table

StepState = Literal["started", "finished", "failed"]


class StepRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    seq: int
    step: str
    state: StepState
    started_at: datetime
    finished_at: datetime | None
    duration_seconds: float | None
    detail: str


def _now(now: datetime | None) -> datetime:
    return utc(now) if now is not None else datetime.now(UTC)


def journal_start(
    store: Store, deployment_id: str, step: str, *, detail: str = "", now: datetime | None = None
) -> None:
    """Refuses to restart a finished step: it ran, and must not run twice."""
    with store.begin() as conn:
        row = conn.execute(
            select(JournalStep.state).where(JournalStep.deployment_id == deployment_id, JournalStep.step == step)
        ).first()
        if row is not None and row.state == "finished":
            raise ValueError(f"step {step} of {deployment_id} already finished")
        if row is not None:
            conn.execute(
                update(table(JournalStep))
                .where(JournalStep.deployment_id == deployment_id, JournalStep.step == step)
                .values(state="started", started_at=_now(now), finished_at=None, duration_seconds=None, detail=detail)
            )
            return
        seq = conn.execute(
            select(func.count()).select_from(table(JournalStep)).where(JournalStep.deployment_id == deployment_id)
        ).scalar_one()
        conn.execute(
            insert(table(JournalStep)).values(
                deployment_id=deployment_id,
                seq=seq + 1,
                step=step,
                state="started",
                started_at=_now(now),
                detail=detail,
            )
        )


def _end(
    store: Store, deployment_id: str, step: str, state: StepState, detail: str | None, now: datetime | None
) -> None:
    end = _now(now)
    with store.begin() as conn:
        row = conn.execute(
            select(JournalStep.state, JournalStep.started_at).where(
                JournalStep.deployment_id == deployment_id, JournalStep.step == step
            )
        ).first()
        if row is None or row.state != "started":
            raise ValueError(f"step {step} of {deployment_id} is not in progress")
        values: dict[str, object] = {
            "state": state,
            "finished_at": end,
            "duration_seconds": (end - utc(row.started_at)).total_seconds(),
        }
        if detail is not None:
            values["detail"] = detail
        conn.execute(
            update(table(JournalStep))
            .where(JournalStep.deployment_id == deployment_id, JournalStep.step == step)
            .values(**values)
        )


def journal_finish(
    store: Store, deployment_id: str, step: str, *, detail: str | None = None, now: datetime | None = None
) -> None:
    _end(store, deployment_id, step, "finished", detail, now)


def journal_fail(store: Store, deployment_id: str, step: str, *, detail: str, now: datetime | None = None) -> None:
    _end(store, deployment_id, step, "failed", detail, now)


def journal_steps(store: Store, deployment_id: str) -> list[StepRecord]:
    with store.begin(readonly=True) as conn:
        return journal_steps_in(conn, deployment_id)


def journal_steps_in(conn: Connection, deployment_id: str) -> list[StepRecord]:
    """`journal_steps` inside a caller's transaction."""
    query = select(
        JournalStep.seq,
        JournalStep.step,
        JournalStep.state,
        JournalStep.started_at,
        JournalStep.finished_at,
        JournalStep.duration_seconds,
        JournalStep.detail,
    ).where(JournalStep.deployment_id == deployment_id)
    rows = conn.execute(query.order_by(JournalStep.seq))
    return [
        StepRecord.model_validate(
            {
                **row._mapping,
                "started_at": utc(row.started_at),
                "finished_at": utc(row.finished_at) if row.finished_at else None,
            }
        )
        for row in rows
    ]
