"""logs: the followed log sources' state

Revision ID: logs_0001
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "logs_0001"
down_revision = None
branch_labels = ("logs",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_source_state",
        sa.Column("source", sa.String(1000), primary_key=True),
        sa.Column("inode", sa.BigInteger(), nullable=False),
        sa.Column("read_offset", sa.BigInteger(), nullable=False),
        sa.Column("head", sa.String(64), nullable=False),
        sa.Column("windows", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("log_source_state")
