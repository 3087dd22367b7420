"""Everything a plan reads of the store, on one connection (`Store.reads`).

A reconcile pass over an in-sync environment reads the applied configuration, the last
deployment (and the journal of an interrupted one), the trading schema's revision and the
standing operator halt. Read one transaction each, that was five connection check-outs (each
with its pre-ping), five BEGIN/COMMIT pairs and the whole audit log: most of a no-op pass on
a loaded machine. Here it is one check-out and one small query per item, no BEGIN/COMMIT;
nothing is cached between passes (the schema or a halt may change by hand at any time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, inspect, text

from quantmatrix.runtime.store.deployments import (
    AppliedConfigRecord,
    DeploymentRecord,
    applied_config_in,
    last_deployment_in,
)
from quantmatrix.runtime.store.engine import Store
from quantmatrix.runtime.store.events import last_audit_in
from quantmatrix.runtime.store.journal import journal_steps_in

HALT_ACTION, RESUME_ACTION = "operator.halt", "operator.resume"


@dataclass(frozen=True)
class StoreSnapshot:
    applied: AppliedConfigRecord | None
    last: DeploymentRecord | None  # without its incidents and check results
    finished_steps: tuple[str, ...]  # the journal's finished steps when `last` is still running
    schema_revision: str | None
    halt: dict[str, Any] | None  # the audit entry of the standing `qm halt` (None: none, or resumed)

    @property
    def interrupted(self) -> DeploymentRecord | None:
        return self.last if self.last is not None and self.last.status == "running" else None


def schema_revision_in(conn: Connection) -> str | None:
    """The trading schema's alembic revision, read from alembic's version table without
    loading alembic (None: never migrated; several heads are joined with commas)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    rows = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    return rows[0] if len(rows) == 1 else (",".join(sorted(rows)) or None)


def standing_halt_in(conn: Connection, environment: str) -> dict[str, Any] | None:
    """The last `qm halt` not followed by a `qm resume`: the newest of the two actions decides."""
    entry = last_audit_in(conn, environment, (HALT_ACTION, RESUME_ACTION))
    return entry if entry is not None and entry["action"] == HALT_ACTION else None


def store_snapshot(store: Store, environment: str) -> StoreSnapshot:
    with store.reads() as conn:
        last = last_deployment_in(conn, environment, details=False)
        running = last is not None and last.status == "running"
        steps = journal_steps_in(conn, last.id) if running and last is not None else []
        return StoreSnapshot(
            applied=applied_config_in(conn, environment),
            last=last,
            finished_steps=tuple(s.step for s in steps if s.state == "finished"),
            schema_revision=schema_revision_in(conn),
            halt=standing_halt_in(conn, environment),
        )
