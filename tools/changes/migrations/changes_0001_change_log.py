"""changes: the change log table

Revision ID: changes_0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "changes_0001"
down_revision = None
branch_labels = ("changes",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("via", sa.String(64), nullable=False),
        sa.Column("link", sa.String(1000), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
    )
    op.create_index("ix_change_at", "change", ["at"])
    op.create_index("ix_change_target_at", "change", ["target", "at"])


def downgrade() -> None:
    op.drop_index("ix_change_target_at", table_name="change")
    op.drop_index("ix_change_at", table_name="change")
    op.drop_table("change")
