"""What happened to an environment: incidents, drift, check results, trading-state history,
and the audit log of who did what, when, from where. Append-only."""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Select, insert, select

from quantmatrix.runtime.store.control_state import utc
from quantmatrix.runtime.store.engine import Store
from quantmatrix.runtime.store.tables import AuditEntry, CheckResultRow, DriftEvent, Incident, TradingStateChange, table

Severity = Literal["info", "warning", "critical"]


def _now(now: datetime | None) -> datetime:
    return utc(now) if now is not None else datetime.now(UTC)


def _text(value: object, what: str) -> str:
    """Only plain strings (or string enums) reach a column: any other object — a secret holder,
    say — is refused, never str()-ed into the store."""
    if isinstance(value, Enum) and isinstance(value.value, str):
        return value.value
    if type(value) is not str:
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    return value


class CheckResultLike(Protocol):
    """What the checks registry returns (quantmatrix.runtime.checks.CheckResult fits)."""

    @property
    def name(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def passed(self) -> bool: ...
    @property
    def duration_seconds(self) -> float: ...
    @property
    def message(self) -> str: ...


class IncidentRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    environment: str
    deployment_id: str | None
    at: datetime
    severity: str
    kind: str
    summary: str
    detail: str
    recorded_by: str


class CheckRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    environment: str
    deployment_id: str | None
    at: datetime
    name: str
    category: str
    status: str | None
    passed: bool
    duration_seconds: float
    message: str


def record_incident(
    store: Store,
    environment: str,
    kind: str,
    summary: str,
    *,
    severity: Severity = "critical",
    detail: str = "",
    deployment_id: str | None = None,
    recorded_by: str = "qm",
    now: datetime | None = None,
) -> int:
    with store.begin() as conn:
        result = conn.execute(
            insert(table(Incident))
            .values(
                environment=environment,
                deployment_id=deployment_id,
                at=_now(now),
                severity=severity,
                kind=_text(kind, "kind"),
                summary=_text(summary, "summary"),
                detail=_text(detail, "detail"),
                recorded_by=_text(recorded_by, "recorded_by"),
            )
            .returning(Incident.id)
        )
        return int(result.scalar_one())


def incidents(
    conn: Connection,
    *,
    environment: str | None = None,
    deployment_id: str | None = None,
    deployment_ids: Sequence[str] | None = None,
) -> list[IncidentRecord]:
    query = select(table(Incident)).order_by(Incident.id)
    if environment is not None:
        query = query.where(Incident.environment == environment)
    if deployment_id is not None:
        query = query.where(Incident.deployment_id == deployment_id)
    if deployment_ids is not None:
        query = query.where(Incident.deployment_id.in_(deployment_ids))
    return [IncidentRecord.model_validate({**row._mapping, "at": utc(row.at)}) for row in conn.execute(query)]


def list_incidents(store: Store, environment: str | None = None) -> list[IncidentRecord]:
    with store.begin(readonly=True) as conn:
        return incidents(conn, environment=environment)


def record_check_results(
    store: Store,
    environment: str,
    results: Iterable[CheckResultLike],
    deployment_id: str | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """Store every result (name, category, health status if any, passed, duration, message)."""
    at = _now(now)
    rows = [
        {
            "environment": environment,
            "deployment_id": deployment_id,
            "at": at,
            "name": _text(result.name, "check name"),
            "category": _text(result.category, "check category"),
            "status": None if (status := getattr(result, "status", None)) is None else _text(status, "check status"),
            "passed": bool(result.passed),
            "duration_seconds": float(result.duration_seconds),
            "message": _text(result.message, "check message"),
        }
        for result in results
    ]
    if rows:
        with store.begin() as conn:
            conn.execute(insert(table(CheckResultRow)), rows)
    return len(rows)


def check_results(
    conn: Connection,
    *,
    environment: str | None = None,
    deployment_id: str | None = None,
    deployment_ids: Sequence[str] | None = None,
) -> list[CheckRecord]:
    query = select(table(CheckResultRow)).order_by(CheckResultRow.id)
    if environment is not None:
        query = query.where(CheckResultRow.environment == environment)
    if deployment_id is not None:
        query = query.where(CheckResultRow.deployment_id == deployment_id)
    if deployment_ids is not None:
        query = query.where(CheckResultRow.deployment_id.in_(deployment_ids))
    return [CheckRecord.model_validate({**row._mapping, "at": utc(row.at)}) for row in conn.execute(query)]


def list_check_results(store: Store, environment: str, deployment_id: str | None = None) -> list[CheckRecord]:
    with store.begin(readonly=True) as conn:
        return check_results(conn, environment=environment, deployment_id=deployment_id)


def record_drift(
    store: Store,
    environment: str,
    subject: str,
    desired: str,
    observed: str,
    *,
    detail: str = "",
    now: datetime | None = None,
) -> None:
    """`desired`/`observed` are display strings (versions, hashes, secret *names*), never values."""
    with store.begin() as conn:
        conn.execute(
            insert(table(DriftEvent)).values(
                environment=environment,
                at=_now(now),
                subject=_text(subject, "subject"),
                desired=_text(desired, "desired"),
                observed=_text(observed, "observed"),
                detail=_text(detail, "detail"),
            )
        )


def drift_events(store: Store, environment: str) -> list[dict[str, Any]]:
    query = select(DriftEvent.at, DriftEvent.subject, DriftEvent.desired, DriftEvent.observed, DriftEvent.detail)
    with store.begin(readonly=True) as conn:
        rows = conn.execute(query.where(DriftEvent.environment == environment).order_by(DriftEvent.id))
        return [{**row._mapping, "at": utc(row.at)} for row in rows]


def trading_history(store: Store, environment: str) -> list[dict[str, Any]]:
    """Every trading-state change (written with the control state, see control_state.py)."""
    query = select(
        TradingStateChange.at,
        TradingStateChange.previous,
        TradingStateChange.trading,
        TradingStateChange.reason,
        TradingStateChange.changed_by,
        TradingStateChange.control_version,
    )
    with store.begin(readonly=True) as conn:
        rows = conn.execute(query.where(TradingStateChange.environment == environment).order_by(TradingStateChange.id))
        return [{**row._mapping, "at": utc(row.at)} for row in rows]


def origin() -> str:
    """Where an action came from: user@host pid N."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def append_audit(
    store: Store,
    actor: str,
    action: str,
    *,
    environment: str | None = None,
    detail: Mapping[str, str | int | float | bool | None] | None = None,
    source: str | None = None,
    now: datetime | None = None,
) -> None:
    """`detail` holds flat, plain values (names, versions, ids) — never a secret value."""
    clean = {_text(k, "detail key"): v for k, v in (detail or {}).items()}
    for key, value in clean.items():
        if value is not None and type(value) not in (str, int, float, bool):
            raise TypeError(f"audit detail {key} must be a plain value, not {type(value).__name__}")
    with store.begin() as conn:
        conn.execute(
            insert(table(AuditEntry)).values(
                at=_now(now),
                environment=environment,
                actor=_text(actor, "actor"),
                action=_text(action, "action"),
                origin=source if source is not None else origin(),
                detail=clean,
            )
        )


def last_audit_in(conn: Connection, environment: str, actions: Sequence[str]) -> dict[str, Any] | None:
    """The newest audit entry of `environment` whose action is one of `actions` (the log's
    order: by id), inside a caller's transaction; one row read, not the whole log."""
    row = conn.execute(last_audit_query(environment, actions)).first()
    return None if row is None else audit_entry_of(dict(row._mapping))


def last_audit_query(environment: str, actions: Sequence[str]) -> Select[Any]:
    return (
        select(
            AuditEntry.at,
            AuditEntry.environment,
            AuditEntry.actor,
            AuditEntry.action,
            AuditEntry.origin,
            AuditEntry.detail,
        )
        .where(AuditEntry.environment == environment, AuditEntry.action.in_(list(actions)))
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )


def audit_entry_of(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "at": utc(data["at"])}


def audit_log(store: Store, environment: str | None = None) -> list[dict[str, Any]]:
    query = select(
        AuditEntry.at, AuditEntry.environment, AuditEntry.actor, AuditEntry.action, AuditEntry.origin, AuditEntry.detail
    )
    if environment is not None:
        query = query.where(AuditEntry.environment == environment)
    with store.begin(readonly=True) as conn:
        return [{**row._mapping, "at": utc(row.at)} for row in conn.execute(query.order_by(AuditEntry.id))]
