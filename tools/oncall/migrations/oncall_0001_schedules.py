"""oncall: schedules and overrides

Revision ID: oncall_0001
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "oncall_0001"
down_revision = None
branch_labels = ("oncall",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oncall_schedule",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("people", sa.Text(), nullable=False),
        sa.Column("every", sa.String(16), nullable=False),
        sa.Column("handoff", sa.String(5), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("start", sa.String(10), nullable=False),
        sa.Column("secondary", sa.String(100), nullable=False),
        sa.Column("ics", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "oncall_override",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("schedule_id", sa.Integer(), sa.ForeignKey("oncall_schedule.id"), nullable=False),
        sa.Column("user", sa.String(100), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_oncall_override_schedule_end", "oncall_override", ["schedule_id", "end"])


def downgrade() -> None:
    op.drop_index("ix_oncall_override_schedule_end", table_name="oncall_override")
    op.drop_table("oncall_override")
    op.drop_table("oncall_schedule")
