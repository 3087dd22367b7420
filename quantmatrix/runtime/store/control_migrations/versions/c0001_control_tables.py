"""Control tables, first revision: control state, deployments, journal, incidents, trading-state
history, applied configuration versions, drift events, check results, audit log.

Revision ID: c0001_control_tables
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

SCHEMA = "qm_control"  # mapped to no schema on SQLite (schema_translate_map)

revision = "c0001_control_tables"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qm_audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("environment", sa.String(length=200), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qm_audit_log")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_qm_audit_log_environment_at"), "qm_audit_log", ["environment", "at"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "qm_control_state",
        sa.Column("environment", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("trading", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("risk_limits", sa.JSON(), nullable=False),
        sa.Column("blocked_symbols", sa.JSON(), nullable=False),
        sa.Column("strategies", sa.JSON(), nullable=False),
        sa.Column("config_version", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("environment", name=op.f("pk_qm_control_state")),
        schema=SCHEMA,
    )
    op.create_table(
        "qm_deployments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("environment", sa.String(length=200), nullable=False),
        sa.Column("release", sa.String(length=200), nullable=False),
        sa.Column("previous_release", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("operator", sa.String(length=200), nullable=True),
        sa.Column("engineer", sa.String(length=200), nullable=True),
        sa.Column("commit", sa.String(length=64), nullable=True),
        sa.Column("config_version", sa.String(length=128), nullable=True),
        sa.Column("config_changes", sa.JSON(), nullable=False),
        sa.Column("migration_changes", sa.JSON(), nullable=False),
        sa.Column("strategy_changes", sa.JSON(), nullable=False),
        sa.Column("rollback_used", sa.Boolean(), nullable=False),
        sa.Column("rollback_of", sa.String(length=64), nullable=True),
        sa.Column("break_glass_reason", sa.Text(), nullable=True),
        sa.Column("monitoring_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qm_deployments")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_qm_deployments_environment"), "qm_deployments", ["environment"], unique=False, schema=SCHEMA
    )
    op.create_index(op.f("ix_qm_deployments_started_at"), "qm_deployments", ["started_at"], unique=False, schema=SCHEMA)
    op.create_table(
        "qm_drift_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("environment", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("desired", sa.Text(), nullable=False),
        sa.Column("observed", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qm_drift_events")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_qm_drift_events_environment"), "qm_drift_events", ["environment"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "qm_trading_state_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("environment", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous", sa.String(length=16), nullable=True),
        sa.Column("trading", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("control_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qm_trading_state_history")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_qm_trading_state_history_environment"),
        "qm_trading_state_history",
        ["environment"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_table(
        "qm_check_results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("environment", sa.String(length=200), nullable=False),
        sa.Column("deployment_id", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["qm_control.qm_deployments.id"],
            name=op.f("fk_qm_check_results_deployment_id_qm_deployments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qm_check_results")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_qm_check_results_deployment_id"), "qm_check_results", ["deployment_id"], unique=False, schema=SCHEMA
    )
    op.create_index(
        op.f("ix_qm_check_results_environment"), "qm_check_results", ["environment"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "qm_config_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("environment", sa.String(length=200), nullable=False),
        sa.Column("config_version", sa.String(length=128), nullable=False),
        sa.Column("release", sa.String(length=200), nullable=False),
        sa.Column("commit", sa.String(length=64), nullable=True),
        sa.Column("deployment_id", sa.String(length=64), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["qm_control.qm_deployments.id"],
            name=op.f("fk_qm_config_versions_deployment_id_qm_deployments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qm_config_versions")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_qm_config_versions_environment"), "qm_config_versions", ["environment"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "qm_incidents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("environment", sa.String(length=200), nullable=False),
        sa.Column("deployment_id", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["qm_control.qm_deployments.id"],
            name=op.f("fk_qm_incidents_deployment_id_qm_deployments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qm_incidents")),
        schema=SCHEMA,
    )
    op.create_index(
        op.f("ix_qm_incidents_deployment_id"), "qm_incidents", ["deployment_id"], unique=False, schema=SCHEMA
    )
    op.create_index(op.f("ix_qm_incidents_environment"), "qm_incidents", ["environment"], unique=False, schema=SCHEMA)
    op.create_table(
        "qm_journal",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deployment_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"], ["qm_control.qm_deployments.id"], name=op.f("fk_qm_journal_deployment_id_qm_deployments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qm_journal")),
        sa.UniqueConstraint("deployment_id", "step", name=op.f("uq_qm_journal_deployment_id_step")),
        schema=SCHEMA,
    )
    op.create_index(op.f("ix_qm_journal_deployment_id"), "qm_journal", ["deployment_id"], unique=False, schema=SCHEMA)


def downgrade() -> None:
    for table in (
        "qm_audit_log",
        "qm_check_results",
        "qm_drift_events",
        "qm_config_versions",
        "qm_trading_state_history",
        "qm_incidents",
        "qm_journal",
        "qm_deployments",
        "qm_control_state",
    ):
        op.drop_table(table, schema=SCHEMA)
