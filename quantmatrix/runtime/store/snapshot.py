"""Everything a plan reads of the store, in one statement (two with a migrated schema).

A reconcile pass over an in-sync environment reads the applied configuration, the last
deployment (and the journal of an interrupted one), the trading schema's revision and the
standing operator halt. Read one transaction each, that was five connection check-outs (each
with its pre-ping), five BEGIN/COMMIT pairs, nine statements and the whole audit log; on a
loaded machine every round trip waits its turn for a CPU, and they were most of a no-op
pass. Here the newest row of each table comes from one SELECT (each a LIMIT 1 subquery,
outer-joined to a one-row table so that a missing one reads as NULLs) that also says whether
alembic's version table exists; then its revision, and the journal only when the last
deployment is still running. Nothing is cached between passes: the schema or a halt may
change by hand at any time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Subquery, inspect, literal, literal_column, select, text, true

from quantmatrix.runtime.controlstate import HALT_ACTION, RESUME_ACTION
from quantmatrix.runtime.store.deployments import (
    AppliedConfigRecord,
    DeploymentRecord,
    applied_config_query,
    applied_record_of,
    last_deployment_query,
    record_of,
)
from quantmatrix.runtime.store.engine import Store
from quantmatrix.runtime.store.events import audit_entry_of, last_audit_in, last_audit_query
from quantmatrix.runtime.store.journal import journal_steps_in

# whether alembic's version table exists, as a column (what `inspect(conn).has_table` asks, in the same statement)
_HAS_ALEMBIC = {
    "postgresql": "to_regclass('alembic_version') IS NOT NULL",
    "sqlite": "EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version')",
}


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
    return _revision(conn)


def _revision(conn: Connection) -> str | None:
    rows = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    return rows[0] if len(rows) == 1 else (",".join(sorted(rows)) or None)


def standing_halt_in(conn: Connection, environment: str) -> dict[str, Any] | None:
    """The last `qm halt` not followed by a `qm resume`: the newest of the two actions decides."""
    return _standing(last_audit_in(conn, environment, (HALT_ACTION, RESUME_ACTION)))


def _standing(entry: dict[str, Any] | None) -> dict[str, Any] | None:
    return entry if entry is not None and entry["action"] == HALT_ACTION else None


def _columns(row: Any, sub: Subquery, key: str) -> dict[str, Any] | None:
    """The subquery's columns of the joined row; None when its table had no row (key NULL)."""
    data = {column.name: row._mapping[column] for column in sub.c}
    return None if data[key] is None else data


def store_snapshot(store: Store, environment: str) -> StoreSnapshot:
    applied = applied_config_query(environment).subquery("applied")
    last = last_deployment_query(environment).subquery("last")
    halt = last_audit_query(environment, (HALT_ACTION, RESUME_ACTION)).subquery("halt")
    one = select(literal(1).label("one")).subquery("one")
    query = select(one, applied, last, halt, literal_column(_HAS_ALEMBIC[store.dialect]).label("has_alembic"))
    query = query.select_from(one.outerjoin(applied, true()).outerjoin(last, true()).outerjoin(halt, true()))
    with store.reads() as conn:
        row = conn.execute(query).one()
        applied_row, last_row, halt_row = (
            _columns(row, applied, "config_version"),
            _columns(row, last, "id"),
            _columns(row, halt, "action"),
        )
        deployment = None if last_row is None else record_of(last_row, (), ())
        running = deployment is not None and deployment.status == "running"
        steps = journal_steps_in(conn, deployment.id) if running and deployment is not None else []
        return StoreSnapshot(
            applied=None if applied_row is None else applied_record_of(applied_row),
            last=deployment,
            finished_steps=tuple(s.step for s in steps if s.state == "finished"),
            schema_revision=_revision(conn) if row.has_alembic else None,
            halt=_standing(None if halt_row is None else audit_entry_of(halt_row)),
        )
