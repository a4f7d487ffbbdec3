"""incidents: the last arrival of each heartbeat alert (heartbeat)

Revision ID: incidents_0003
Revises: incidents_0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "incidents_0003"
down_revision = "incidents_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "heartbeat",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("receiver", sa.String(500), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("heartbeat")
