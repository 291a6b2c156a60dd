"""events and transactions: live events, live transactions, custom event types, activity figures

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huoke.platform.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = huoke.platform.db.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", _ID, nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", _AT, nullable=False),
        sa.Column("received_at", _AT, nullable=False),
        sa.Column("one_id", sa.String(length=32), nullable=False),
        sa.Column("customer_no", sa.String(length=32), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_events_event_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_type"), ["type"], unique=False)
        batch_op.create_index("ix_events_one_id_occurred_at", ["one_id", "occurred_at"], unique=False)

    op.create_table(
        "transactions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("txn_id", sa.String(length=128), nullable=False),
        sa.Column("one_id", sa.String(length=32), nullable=False),
        sa.Column("customer_no", sa.String(length=32), nullable=True),
        sa.Column("account_bidx", sa.String(length=64), nullable=True),
        sa.Column("account_masked", sa.String(length=32), nullable=True),
        sa.Column("occurred_at", _AT, nullable=False),
        sa.Column("received_at", _AT, nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("txn_type", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=128), nullable=True),
        sa.Column("mcc", sa.String(length=4), nullable=True),
        sa.Column("merchant", sa.String(length=128), nullable=True),
        sa.Column("product_code", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
        sa.UniqueConstraint("txn_id", name=op.f("uq_transactions_txn_id")),
    )
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transactions_txn_type"), ["txn_type"], unique=False)
        batch_op.create_index("ix_transactions_one_id_occurred_at", ["one_id", "occurred_at"], unique=False)

    op.create_table(
        "event_types",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("schema", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=512), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_event_types")),
    )
    op.create_table(
        "customer_activity",
        sa.Column("one_id", sa.String(length=32), nullable=False),
        sa.Column("first_seen_at", _AT, nullable=False),
        sa.Column("last_seen_at", _AT, nullable=False),
        sa.Column("last_login_at", _AT, nullable=True),
        sa.Column("last_txn_at", _AT, nullable=True),
        sa.Column("events_total", sa.BigInteger(), nullable=False),
        sa.Column("txns_total", sa.BigInteger(), nullable=False),
        sa.Column("debit_fen_total", sa.BigInteger(), nullable=False),
        sa.Column("credit_fen_total", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("one_id", name=op.f("pk_customer_activity")),
    )


def downgrade() -> None:
    op.drop_table("customer_activity")
    op.drop_table("event_types")
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_one_id_occurred_at")
        batch_op.drop_index(batch_op.f("ix_transactions_txn_type"))
    op.drop_table("transactions")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_one_id_occurred_at")
        batch_op.drop_index(batch_op.f("ix_events_type"))
    op.drop_table("events")
