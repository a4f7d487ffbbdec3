"""core: who executes an approved action (host, pid, that process's start, started at)

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0003"
down_revision = "core_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("approval", sa.Column("executor_host", sa.String(255), nullable=True))
    op.add_column("approval", sa.Column("executor_pid", sa.Integer(), nullable=True))
    op.add_column("approval", sa.Column("executor_started", sa.Float(), nullable=True))
    op.add_column(
        "approval", sa.Column("execution_started_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("approval", "execution_started_at")
    op.drop_column("approval", "executor_started")
    op.drop_column("approval", "executor_pid")
    op.drop_column("approval", "executor_host")
