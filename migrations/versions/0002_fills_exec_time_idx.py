"""Index fills by execution time (release 2026.11.0). No data change; reversible.

Revision ID: 0002_fills_exec_time_idx
Revises: 0001_baseline
"""

from __future__ import annotations

from alembic import op

revision = "0002_fills_exec_time_idx"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_fills_exec_time", "fills", ["exec_time"])


def downgrade() -> None:
    op.drop_index("ix_fills_exec_time", table_name="fills")
