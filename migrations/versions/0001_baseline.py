"""Baseline trading schema: accounts, orders, fills, positions, reconciliation runs.

Release 2026.10.0. Not reversible: the release's rollback plan restores backup snapshot
qm-2026-10-01 instead (guide §13: do not roll back blindly).

Revision ID: 0001_baseline
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

QUANTITY = sa.Numeric(24, 8)  # shares, contracts, fractional crypto
PRICE = sa.Numeric(24, 8)
MONEY = sa.Numeric(20, 4)
NOW = sa.func.now()


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("broker", sa.String(64), nullable=False),
        sa.Column("account_ref", sa.String(128), nullable=False),
        sa.Column("account_type", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("cash_balance", MONEY, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.UniqueConstraint("broker", "account_ref", name="uq_accounts_broker_account_ref"),
        sa.CheckConstraint(
            "account_type IN ('dry_run', 'simulated', 'paper', 'live')", name="ck_accounts_account_type"
        ),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column(
            "account_id", sa.Integer, sa.ForeignKey("accounts.id", name="fk_orders_account_id_accounts"), nullable=False
        ),
        # the idempotency key: one order per client id, so a retried submit cannot duplicate it
        sa.Column("client_order_id", sa.String(64), nullable=False, unique=True),
        sa.Column("broker_order_id", sa.String(128), unique=True),
        sa.Column("strategy", sa.String(64)),
        sa.Column("symbol", sa.String(20), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.Column("limit_price", PRICE),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.CheckConstraint("side IN ('buy', 'sell')", name="ck_orders_side"),
        sa.CheckConstraint("quantity > 0", name="ck_orders_quantity_positive"),
        sa.CheckConstraint("limit_price IS NULL OR limit_price > 0", name="ck_orders_limit_price_positive"),
        sa.CheckConstraint(
            "status IN ('new', 'accepted', 'partially_filled', 'filled', 'cancelled', 'rejected')",
            name="ck_orders_status",
        ),
    )
    op.create_index("ix_orders_account_id_status", "orders", ["account_id", "status"])
    op.create_index("ix_orders_symbol", "orders", ["symbol"])
    op.create_table(
        "fills",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column(
            "order_id", sa.BigInteger, sa.ForeignKey("orders.id", name="fk_fills_order_id_orders"), nullable=False
        ),
        sa.Column("broker_fill_id", sa.String(128), nullable=False, unique=True),
        sa.Column("quantity", QUANTITY, nullable=False),
        sa.Column("price", PRICE, nullable=False),
        sa.Column("fee", MONEY, nullable=False, server_default="0"),
        sa.Column("exec_time", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_fills_quantity_positive"),
        sa.CheckConstraint("price > 0", name="ck_fills_price_positive"),
    )
    op.create_index("ix_fills_order_id", "fills", ["order_id"])
    op.create_table(
        "positions",
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("accounts.id", name="fk_positions_account_id_accounts"),
            primary_key=True,
        ),
        sa.Column("symbol", sa.String(20), primary_key=True),
        sa.Column("quantity", QUANTITY, nullable=False),  # negative = short
        sa.Column("avg_price", PRICE, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    op.create_table(
        "reconciliation_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("accounts.id", name="fk_reconciliation_runs_account_id_accounts"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("positions_checked", sa.Integer, nullable=False, server_default="0"),
        sa.Column("orders_checked", sa.Integer, nullable=False, server_default="0"),
        sa.Column("mismatches", sa.Integer, nullable=False, server_default="0"),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.CheckConstraint("kind IN ('intraday', 'end_of_day', 'post_deploy')", name="ck_reconciliation_runs_kind"),
        sa.CheckConstraint(
            "status IN ('running', 'matched', 'mismatched', 'failed')", name="ck_reconciliation_runs_status"
        ),
        sa.CheckConstraint("mismatches >= 0", name="ck_reconciliation_runs_mismatches"),
    )
    op.create_index("ix_reconciliation_runs_account_id_started_at", "reconciliation_runs", ["account_id", "started_at"])


def downgrade() -> None:
    raise NotImplementedError(
        "0001_baseline is not reversible (release 2026.10.0 declares reversible: false): "
        "restore the backup snapshot named in the release's rollback plan instead"
    )
