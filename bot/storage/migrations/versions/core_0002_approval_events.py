"""core: approval change feed for the chat front ends; who decided through which front end

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("approval", sa.Column("decided_via", sa.String(32), nullable=True))
    op.create_table(
        "approval_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("approval_id", sa.String(64), nullable=False),
        sa.Column("thread_id", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
    )
    op.create_index("ix_approval_event_approval_id", "approval_event", ["approval_id"])
    op.create_index("ix_approval_event_delivered_at", "approval_event", ["delivered_at"])


def downgrade() -> None:
    op.drop_table("approval_event")
    op.drop_column("approval", "decided_via")
