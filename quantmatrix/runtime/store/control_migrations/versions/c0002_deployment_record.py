"""Deployment record, second revision (guide §14, §16): the mode the environment ran in when it
was deployed (promotion to live accepts only a paper-mode record as evidence), and the
monitoring window's intensity and why it ends when it does (`monitoring_until` already exists).

Revision ID: c0002_deployment_record
Revises: c0001_control_tables
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

SCHEMA = "qm_control"


def _schema() -> str | None:
    """ALTER TABLE is not rewritten by the engine's schema_translate_map: SQLite has no schema."""
    return SCHEMA if op.get_bind().dialect.name == "postgresql" else None


revision = "c0002_deployment_record"
down_revision: str | None = "c0001_control_tables"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("mode", sa.String(length=16)),
    ("monitoring_intensity", sa.String(length=16)),
    ("monitoring_basis", sa.Text()),
)


def upgrade() -> None:
    for name, type_ in _COLUMNS:  # nullable: records written before this revision have none
        op.add_column("qm_deployments", sa.Column(name, type_, nullable=True), schema=_schema())


def downgrade() -> None:
    with op.batch_alter_table("qm_deployments", schema=_schema()) as batch:  # SQLite drops columns by copy
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
