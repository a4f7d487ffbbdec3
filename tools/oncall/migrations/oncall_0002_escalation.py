"""oncall: escalation pages, handoff posts and shift swap requests

Revision ID: oncall_0002
Revises: oncall_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "oncall_0002"
down_revision = "oncall_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oncall_page",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("targets", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ux_oncall_page_step", "oncall_page", ["incident_id", "episode", "step"], unique=True
    )
    op.create_table(
        "oncall_handoff",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("schedule", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ux_oncall_handoff_at", "oncall_handoff", ["schedule", "at"], unique=True)
    op.create_table(
        "oncall_swap",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("schedule_id", sa.Integer(), sa.ForeignKey("oncall_schedule.id"), nullable=False),
        sa.Column("requester", sa.String(100), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("taken_by", sa.String(100), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("override_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(100), nullable=True),
        sa.Column("ts", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("oncall_swap")
    op.drop_index("ux_oncall_handoff_at", table_name="oncall_handoff")
    op.drop_table("oncall_handoff")
    op.drop_index("ux_oncall_page_step", table_name="oncall_page")
    op.drop_table("oncall_page")
