"""incidents: the state of every alert of an Alertmanager group (incident_alert)

Revision ID: incidents_0002
Revises: incidents_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "incidents_0002"
down_revision = "incidents_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_alert",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("hash", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "key"),
    )


def downgrade() -> None:
    op.drop_table("incident_alert")
