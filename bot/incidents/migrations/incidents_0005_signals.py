"""incidents: findings folded into a related open incident (incident_signal)

Revision ID: incidents_0005
Revises: incidents_0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "incidents_0005"
down_revision = "incidents_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_signal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("open_key", sa.String(64), nullable=True),
        sa.Column("monitor", sa.String(64), nullable=True),
        sa.Column("alertname", sa.String(200), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("entity", sa.String(300), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clear_checks", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_incident_signal_incident_id", "incident_signal", ["incident_id"])
    op.create_index("ux_incident_signal_open_key", "incident_signal", ["open_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_incident_signal_open_key", table_name="incident_signal")
    op.drop_index("ix_incident_signal_incident_id", table_name="incident_signal")
    op.drop_table("incident_signal")
