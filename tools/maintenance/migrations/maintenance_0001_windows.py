"""maintenance: windows and suppressed findings

Revision ID: maintenance_0001
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "maintenance_0001"
down_revision = None
branch_labels = ("maintenance",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maintenance_window",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("matchers", sa.Text(), nullable=False),
        sa.Column("match_all", sa.Boolean(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(200), nullable=True),
    )
    op.create_index("ix_maintenance_window_ends_at", "maintenance_window", ["ends_at"])
    op.create_table(
        "maintenance_suppressed",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "window_id", sa.Integer(), sa.ForeignKey("maintenance_window.id"), nullable=False
        ),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.UniqueConstraint("window_id", "fingerprint", name="uq_maintenance_suppressed"),
    )


def downgrade() -> None:
    op.drop_table("maintenance_suppressed")
    op.drop_index("ix_maintenance_window_ends_at", table_name="maintenance_window")
    op.drop_table("maintenance_window")
