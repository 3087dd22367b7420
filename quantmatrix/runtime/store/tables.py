"""The engine's control tables (SQLAlchemy 2, typed). Created by the control migration chain.

No column ever holds a secret value: connections, credentials and params are stored as
names or not at all. Times are UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from quantmatrix.runtime.store.engine import CONTROL_SCHEMA

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = String(64)
Name = String(200)
When = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(schema=CONTROL_SCHEMA, naming_convention=NAMING)


class ControlRow(Base):
    """The control state of an environment: the source of truth the Redis keys mirror."""

    __tablename__ = "qm_control_state"
    environment: Mapped[str] = mapped_column(Name, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16))
    trading: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(Name)
    changed_at: Mapped[datetime] = mapped_column(When)
    risk_limits: Mapped[dict[str, Any]] = mapped_column(JSON)
    blocked_symbols: Mapped[list[str]] = mapped_column(JSON)
    strategies: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    config_version: Mapped[str] = mapped_column(String(128))


class Deployment(Base):
    """One deployment (guide §16): what, when, who, changes, incidents, rollback, validation, commit."""

    __tablename__ = "qm_deployments"
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    environment: Mapped[str] = mapped_column(Name, index=True)
    release: Mapped[str] = mapped_column(Name)
    previous_release: Mapped[str | None] = mapped_column(Name)
    status: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(When, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(When)
    operator: Mapped[str | None] = mapped_column(Name)
    engineer: Mapped[str | None] = mapped_column(Name)
    commit: Mapped[str | None] = mapped_column(String(64))
    config_version: Mapped[str | None] = mapped_column(String(128))
    config_changes: Mapped[list[str]] = mapped_column(JSON)
    migration_changes: Mapped[list[str]] = mapped_column(JSON)
    strategy_changes: Mapped[list[str]] = mapped_column(JSON)
    rollback_used: Mapped[bool] = mapped_column(Boolean, default=False)
    rollback_of: Mapped[str | None] = mapped_column(Id)
    break_glass_reason: Mapped[str | None] = mapped_column(Text)
    monitoring_until: Mapped[datetime | None] = mapped_column(When)
    summary: Mapped[str] = mapped_column(Text, default="")
    # c0002: the environment's mode when deployed, and the monitoring window (guide §14)
    mode: Mapped[str | None] = mapped_column(String(16))
    monitoring_intensity: Mapped[str | None] = mapped_column(String(16))
    monitoring_basis: Mapped[str | None] = mapped_column(Text)
    # c0003: what the changes above are based on (the diff from a commit, or declared changes)
    changes_basis: Mapped[str | None] = mapped_column(Text)


class JournalStep(Base):
    """Write-ahead journal: a row when a step starts, updated when it finishes or fails."""

    __tablename__ = "qm_journal"
    __table_args__ = (UniqueConstraint("deployment_id", "step"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deployment_id: Mapped[str] = mapped_column(ForeignKey(f"{CONTROL_SCHEMA}.qm_deployments.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(Name)
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(When)
    finished_at: Mapped[datetime | None] = mapped_column(When)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[str] = mapped_column(Text, default="")


class Incident(Base):
    __tablename__ = "qm_incidents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    environment: Mapped[str] = mapped_column(Name, index=True)
    deployment_id: Mapped[str | None] = mapped_column(ForeignKey(f"{CONTROL_SCHEMA}.qm_deployments.id"), index=True)
    at: Mapped[datetime] = mapped_column(When)
    severity: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(Name)
    summary: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(Name)


class TradingStateChange(Base):
    __tablename__ = "qm_trading_state_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    environment: Mapped[str] = mapped_column(Name, index=True)
    at: Mapped[datetime] = mapped_column(When)
    previous: Mapped[str | None] = mapped_column(String(16))
    trading: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(Name)
    control_version: Mapped[int] = mapped_column(Integer)


class AppliedConfig(Base):
    """Each configuration version applied to an environment, newest last."""

    __tablename__ = "qm_config_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    environment: Mapped[str] = mapped_column(Name, index=True)
    config_version: Mapped[str] = mapped_column(String(128))
    release: Mapped[str] = mapped_column(Name)
    commit: Mapped[str | None] = mapped_column(String(64))
    deployment_id: Mapped[str | None] = mapped_column(ForeignKey(f"{CONTROL_SCHEMA}.qm_deployments.id"))
    applied_at: Mapped[datetime] = mapped_column(When)


class DriftEvent(Base):
    __tablename__ = "qm_drift_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    environment: Mapped[str] = mapped_column(Name, index=True)
    at: Mapped[datetime] = mapped_column(When)
    subject: Mapped[str] = mapped_column(Name)
    desired: Mapped[str] = mapped_column(Text)
    observed: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")


class CheckResultRow(Base):
    __tablename__ = "qm_check_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    environment: Mapped[str] = mapped_column(Name, index=True)
    deployment_id: Mapped[str | None] = mapped_column(ForeignKey(f"{CONTROL_SCHEMA}.qm_deployments.id"), index=True)
    at: Mapped[datetime] = mapped_column(When)
    name: Mapped[str] = mapped_column(Name)
    category: Mapped[str] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(16))
    passed: Mapped[bool] = mapped_column(Boolean)
    duration_seconds: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    """Who did what, when, from where (host, user and pid of the process)."""

    __tablename__ = "qm_audit_log"
    __table_args__ = (Index(None, "environment", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(When)
    environment: Mapped[str | None] = mapped_column(Name)
    actor: Mapped[str] = mapped_column(Name)
    action: Mapped[str] = mapped_column(Name)
    origin: Mapped[str] = mapped_column(Name)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


def table(model: type[Base]) -> Table:
    """The Core table of a mapped class (the store works with Core statements on connections)."""
    assert isinstance(model.__table__, Table)
    return model.__table__
