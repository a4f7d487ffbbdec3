"""incidents: which open incident owns each alert, across sources (incident_claim)

Revision ID: incidents_0004
Revises: incidents_0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "incidents_0004"
down_revision = "incidents_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_claim",
        sa.Column("identity", sa.String(32), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("identity"),
    )
    op.create_index("ix_incident_claim_incident_id", "incident_claim", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_incident_claim_incident_id", table_name="incident_claim")
    op.drop_table("incident_claim")
