"""channel addresses: encrypted WeChat openids, WeCom user ids and push tokens per customer and channel

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huoke.platform.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = huoke.platform.db.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "channel_addresses",
        sa.Column("id", _ID, nullable=False),
        sa.Column("one_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("address_enc", sa.String(length=512), nullable=False),
        sa.Column("address_masked", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_addresses")),
        sa.UniqueConstraint("one_id", "channel", name=op.f("uq_channel_addresses_one_id_channel")),
    )


def downgrade() -> None:
    op.drop_table("channel_addresses")
