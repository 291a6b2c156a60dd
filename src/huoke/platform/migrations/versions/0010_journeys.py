"""journeys: definitions with every version, instances with their next wake-up, and the step log

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huoke.platform.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = huoke.platform.db.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.Column("activated_at", _AT, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journeys")),
        sa.UniqueConstraint("name", name=op.f("uq_journeys_name")),
    )
    op.create_table(
        "journey_instances",
        sa.Column("instance_id", sa.String(length=32), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("one_id", sa.String(length=32), nullable=False),
        sa.Column("entry_key", sa.String(length=160), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=True),
        sa.Column("wake_at", _AT, nullable=True),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("holdout", sa.Boolean(), nullable=False),
        sa.Column("entered_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.Column("ended_at", _AT, nullable=True),
        sa.Column("end_reason", sa.String(length=48), nullable=True),
        sa.Column("goal_at", _AT, nullable=True),
        sa.Column("lease_until", _AT, nullable=True),
        sa.Column("lease_token", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["journey_id"], ["journeys.id"], name=op.f("fk_journey_instances_journey_id_journeys"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_journey_instances")),
        sa.UniqueConstraint("entry_key", name=op.f("uq_journey_instances_entry_key")),
    )
    op.create_index("ix_journey_instances_customer", "journey_instances", ["journey_id", "one_id"], unique=False)
    op.create_index("ix_journey_instances_due", "journey_instances", ["status", "wake_at"], unique=False)
    op.create_index(op.f("ix_journey_instances_lease_token"), "journey_instances", ["lease_token"], unique=False)
    op.create_index(op.f("ix_journey_instances_one_id"), "journey_instances", ["one_id"], unique=False)
    op.create_table(
        "journey_versions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["journey_id"], ["journeys.id"], name=op.f("fk_journey_versions_journey_id_journeys"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_versions")),
        sa.UniqueConstraint("journey_id", "version", name=op.f("uq_journey_versions_journey_id_version")),
    )
    op.create_table(
        "journey_step_log",
        sa.Column("id", _ID, nullable=False),
        sa.Column("instance_id", sa.String(length=32), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["journey_instances.instance_id"],
            name=op.f("fk_journey_step_log_instance_id_journey_instances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_step_log")),
    )
    op.create_index(op.f("ix_journey_step_log_instance_id"), "journey_step_log", ["instance_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_journey_step_log_instance_id"), table_name="journey_step_log")
    op.drop_index(op.f("ix_journey_instances_one_id"), table_name="journey_instances")
    op.drop_index(op.f("ix_journey_instances_lease_token"), table_name="journey_instances")
    op.drop_index("ix_journey_instances_due", table_name="journey_instances")
    op.drop_index("ix_journey_instances_customer", table_name="journey_instances")
    op.drop_table("journey_step_log")
    op.drop_table("journey_versions")
    op.drop_table("journey_instances")
    op.drop_table("journeys")
