"""The control state in the store: the source of truth that Redis mirrors (or, for an
environment without Redis, the only copy). Every write bumps `version` in one transaction
and records a trading-state change in the history when the trading state moves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from quantmatrix.runtime.controlstate import ControlConflict, ControlState, ControlUnavailable
from quantmatrix.runtime.store.engine import Store
from quantmatrix.runtime.store.tables import ControlRow, TradingStateChange, table

MAX_ATTEMPTS = 20


def utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes: they were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _row_to_state(row: ControlRow | Any) -> ControlState:
    try:
        return ControlState(
            environment=row.environment,
            mode=row.mode,
            trading=row.trading,
            reason=row.reason,
            changed_by=row.changed_by,
            changed_at=utc(row.changed_at),
            risk_limits=row.risk_limits,
            blocked_symbols=tuple(row.blocked_symbols),
            strategies=tuple(row.strategies),
            config_version=row.config_version,
            version=row.version,
        )
    except (ValidationError, TypeError) as error:
        raise ControlUnavailable(
            f"control state of {row.environment} in the store is malformed: {error.error_count() if isinstance(error, ValidationError) else 1} problem(s)"
        ) from None


def read_control(conn: Connection, environment: str, *, for_update: bool = False) -> ControlState | None:
    """`for_update` locks the row until the transaction ends (PostgreSQL; SQLite's
    BEGIN IMMEDIATE already serializes writers)."""
    query = select(table(ControlRow)).where(ControlRow.environment == environment)
    row = conn.execute(query.with_for_update() if for_update else query).first()
    return None if row is None else _row_to_state(row)


def load_control(store: Store, environment: str) -> ControlState | None:
    with store.reads() as conn:  # one statement: no transaction needed
        return read_control(conn, environment)


def _values(state: ControlState, version: int) -> dict[str, Any]:
    data = state.model_dump(mode="json")
    return {
        "version": version,
        "mode": data["mode"],
        "trading": data["trading"],
        "reason": state.reason,
        "changed_by": state.changed_by,
        "changed_at": utc(state.changed_at),
        "risk_limits": data["risk_limits"],
        "blocked_symbols": data["blocked_symbols"],
        "strategies": data["strategies"],
        "config_version": state.config_version,
    }


def save_control(store: Store, state: ControlState, expected_version: int | None = None) -> ControlState:
    """Write `state` as the next version. With `expected_version`, compare-and-set: raise
    `ControlConflict` unless the stored version is exactly that (0 = no state yet)."""
    for _ in range(MAX_ATTEMPTS):
        try:
            saved = _save_once(store, state, expected_version)
        except IntegrityError:
            continue
        if saved is not None:
            return saved
    raise ControlConflict(f"control state of {state.environment}: too many concurrent writers")


def _save_once(store: Store, state: ControlState, expected_version: int | None) -> ControlState | None:
    """None: a concurrent writer moved the version between our read and our update."""
    with store.begin() as conn:
        current = read_control(conn, state.environment, for_update=True)
        version = current.version if current else 0
        if expected_version is not None and expected_version != version:
            raise ControlConflict(
                f"control state of {state.environment} is at version {version}, not {expected_version}"
            )
        values = _values(state, version + 1)
        if current is None:
            # a concurrent first write makes this insert fail on the primary key: retried
            conn.execute(insert(table(ControlRow)).values(environment=state.environment, **values))
        else:
            done = conn.execute(
                update(table(ControlRow))
                .where(ControlRow.environment == state.environment, ControlRow.version == version)
                .values(**values)
            )
            if done.rowcount != 1:
                return None
        if current is None or current.trading != state.trading or current.reason != state.reason:
            conn.execute(
                insert(table(TradingStateChange)).values(
                    environment=state.environment,
                    at=utc(state.changed_at),
                    previous=current.trading.value if current else None,
                    trading=state.trading.value,
                    reason=state.reason,
                    changed_by=state.changed_by,
                    control_version=version + 1,
                )
            )
        return state.model_copy(update={"version": version + 1})
