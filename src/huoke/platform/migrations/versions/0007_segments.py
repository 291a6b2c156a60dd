"""segments: saved segment definitions with versions, current members, refresh records

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huoke.platform.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = huoke.platform.db.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("schedule", sa.String(length=120), nullable=True),
        sa.Column("realtime", sa.Boolean(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.Column("refreshed_at", _AT, nullable=True),
        sa.Column("refreshed_as_of", _AT, nullable=True),
        sa.Column("next_refresh_at", _AT, nullable=True),
        sa.Column("member_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("name", name=op.f("uq_segments_name")),
    )
    op.create_table(
        "segment_versions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("schedule", sa.String(length=120), nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"], ["segments.id"], name=op.f("fk_segment_versions_segment_id_segments"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_versions")),
        sa.UniqueConstraint("segment_id", "version", name=op.f("uq_segment_versions_segment_id_version")),
    )
    op.create_table(
        "segment_members",
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("one_id", sa.String(length=32), nullable=False),
        sa.Column("entered_at", _AT, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"], ["segments.id"], name=op.f("fk_segment_members_segment_id_segments"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("segment_id", "one_id", name=op.f("pk_segment_members")),
    )
    op.create_table(
        "segment_refreshes",
        sa.Column("id", _ID, nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("as_of", _AT, nullable=False),
        sa.Column("started_at", _AT, nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("members", sa.BigInteger(), nullable=False),
        sa.Column("entered", sa.BigInteger(), nullable=False),
        sa.Column("exited", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"], ["segments.id"], name=op.f("fk_segment_refreshes_segment_id_segments"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_refreshes")),
    )
    with op.batch_alter_table("segment_refreshes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_segment_refreshes_segment_id"), ["segment_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("segment_refreshes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_segment_refreshes_segment_id"))
    op.drop_table("segment_refreshes")
    op.drop_table("segment_members")
    op.drop_table("segment_versions")
    op.drop_table("segments")
