"""tags: rule and manual tag definitions, customers' tags with assignment and removal history

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huoke.platform.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = huoke.platform.db.UtcDateTime(timezone=True)
_OPEN = sa.text("removed_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "tag_definitions",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_tag_definitions")),
    )
    op.create_table(
        "customer_tags",
        sa.Column("id", _ID, nullable=False),
        sa.Column("one_id", sa.String(length=32), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("assigned_at", _AT, nullable=False),
        sa.Column("assigned_by", sa.String(length=160), nullable=False),
        sa.Column("removed_at", _AT, nullable=True),
        sa.Column("removed_by", sa.String(length=160), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_tags")),
    )
    with op.batch_alter_table("customer_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_tags_one_id"), ["one_id"], unique=False)
        batch_op.create_index("ix_customer_tags_tag_removed_at", ["tag", "removed_at"], unique=False)
        batch_op.create_index(
            "uq_customer_tags_open",
            ["one_id", "tag"],
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_tags", schema=None) as batch_op:
        batch_op.drop_index("uq_customer_tags_open", sqlite_where=_OPEN, postgresql_where=_OPEN)
        batch_op.drop_index("ix_customer_tags_tag_removed_at")
        batch_op.drop_index(batch_op.f("ix_customer_tags_one_id"))
    op.drop_table("customer_tags")
    op.drop_table("tag_definitions")
