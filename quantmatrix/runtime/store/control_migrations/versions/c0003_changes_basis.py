"""Deployment record, third revision (guide §16): what the recorded changes are based on — the
desired-state diff from the commit deployed before, or, when that state is unknown (a first
deployment, a store outside git, a commit gone), the release manifest's declared changes.

Revision ID: c0003_changes_basis
Revises: c0002_deployment_record
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

SCHEMA = "qm_control"


def _schema() -> str | None:
    """ALTER TABLE is not rewritten by the engine's schema_translate_map: SQLite has no schema."""
    return SCHEMA if op.get_bind().dialect.name == "postgresql" else None


revision = "c0003_changes_basis"
down_revision: str | None = "c0002_deployment_record"
branch_labels = None
depends_on = None


def upgrade() -> None:  # nullable: records written before this revision say nothing about it
    op.add_column("qm_deployments", sa.Column("changes_basis", sa.Text(), nullable=True), schema=_schema())


def downgrade() -> None:
    with op.batch_alter_table("qm_deployments", schema=_schema()) as batch:  # SQLite drops columns by copy
        batch.drop_column("changes_basis")
