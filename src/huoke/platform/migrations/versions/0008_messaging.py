"""messaging: templates, the outbox with policy decisions and attempts, tracked links, inbox, RM tasks,
contact suppressions

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import huoke.platform.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = huoke.platform.db.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contact_suppressions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("one_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("until", _AT, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_suppressions")),
        sa.UniqueConstraint("one_id", "kind", name=op.f("uq_contact_suppressions_one_id_kind")),
    )
    op.create_table(
        "message_templates",
        sa.Column("id", _ID, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_message_templates_name_version")),
    )
    op.create_table(
        "messages",
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=160), nullable=False),
        sa.Column("one_id", sa.String(length=32), nullable=False),
        sa.Column("customer_no", sa.String(length=32), nullable=True),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("campaign", sa.String(length=64), nullable=True),
        sa.Column("journey", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("quiet_hours", sa.String(length=8), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=48), nullable=False),
        sa.Column("enqueued_at", _AT, nullable=False),
        sa.Column("due_at", _AT, nullable=True),
        sa.Column("expires_at", _AT, nullable=True),
        sa.Column("lease_until", _AT, nullable=True),
        sa.Column("lease_token", sa.String(length=32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", _AT, nullable=True),
        sa.Column("delivered_at", _AT, nullable=True),
        sa.Column("failed_at", _AT, nullable=True),
        sa.Column("provider", sa.String(length=32), nullable=True),
        sa.Column("provider_id", sa.String(length=128), nullable=True),
        sa.Column("recipient_masked", sa.String(length=128), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_messages_idempotency_key")),
    )
    op.create_index("ix_messages_due", "messages", ["status", "due_at"], unique=False)
    op.create_index("ix_messages_one_id_enqueued", "messages", ["one_id", "enqueued_at"], unique=False)
    op.create_index(op.f("ix_messages_lease_token"), "messages", ["lease_token"], unique=False)
    op.create_index(op.f("ix_messages_provider_id"), "messages", ["provider_id"], unique=False)
    op.create_table(
        "inbox_items",
        sa.Column("id", _ID, nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("one_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("deep_link", sa.Text(), nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("read_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.message_id"], name=op.f("fk_inbox_items_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_items")),
        sa.UniqueConstraint("message_id", name=op.f("uq_inbox_items_message_id")),
    )
    op.create_index(op.f("ix_inbox_items_one_id"), "inbox_items", ["one_id"], unique=False)
    op.create_table(
        "message_attempts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=48), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("provider_id", sa.String(length=128), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.message_id"], name=op.f("fk_message_attempts_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_attempts")),
        sa.UniqueConstraint("message_id", "attempt", name=op.f("uq_message_attempts_message_id_attempt")),
    )
    op.create_table(
        "message_decisions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=48), nullable=False),
        sa.Column("deliver_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.message_id"], name=op.f("fk_message_decisions_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_decisions")),
    )
    op.create_index(op.f("ix_message_decisions_message_id"), "message_decisions", ["message_id"], unique=False)
    op.create_table(
        "rm_tasks",
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=True),
        sa.Column("one_id", sa.String(length=32), nullable=False),
        sa.Column("customer_no", sa.String(length=32), nullable=True),
        sa.Column("staff_no", sa.String(length=32), nullable=True),
        sa.Column("queue", sa.String(length=32), nullable=True),
        sa.Column("journey", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_at", _AT, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("closed_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["messages.message_id"], name=op.f("fk_rm_tasks_message_id_messages")),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_rm_tasks")),
        sa.UniqueConstraint("message_id", name=op.f("uq_rm_tasks_message_id")),
    )
    op.create_index(op.f("ix_rm_tasks_one_id"), "rm_tasks", ["one_id"], unique=False)
    op.create_index(op.f("ix_rm_tasks_staff_no"), "rm_tasks", ["staff_no"], unique=False)
    op.create_table(
        "tracked_links",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("first_clicked_at", _AT, nullable=True),
        sa.Column("last_clicked_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.message_id"], name=op.f("fk_tracked_links_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_tracked_links")),
    )
    op.create_index(op.f("ix_tracked_links_message_id"), "tracked_links", ["message_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_tracked_links_message_id"), table_name="tracked_links")
    op.drop_index(op.f("ix_rm_tasks_staff_no"), table_name="rm_tasks")
    op.drop_index(op.f("ix_rm_tasks_one_id"), table_name="rm_tasks")
    op.drop_index(op.f("ix_message_decisions_message_id"), table_name="message_decisions")
    op.drop_index(op.f("ix_inbox_items_one_id"), table_name="inbox_items")
    op.drop_index(op.f("ix_messages_provider_id"), table_name="messages")
    op.drop_index(op.f("ix_messages_lease_token"), table_name="messages")
    op.drop_index("ix_messages_one_id_enqueued", table_name="messages")
    op.drop_index("ix_messages_due", table_name="messages")
    op.drop_table("tracked_links")
    op.drop_table("rm_tasks")
    op.drop_table("message_decisions")
    op.drop_table("message_attempts")
    op.drop_table("inbox_items")
    op.drop_table("messages")
    op.drop_table("message_templates")
    op.drop_table("contact_suppressions")
