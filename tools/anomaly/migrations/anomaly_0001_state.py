"""anomaly: the detectors' state table

Revision ID: anomaly_0001
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "anomaly_0001"
down_revision = None
branch_labels = ("anomaly",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anomaly_state",
        sa.Column("series", sa.String(300), primary_key=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("anomalous_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("band_low", sa.Float(), nullable=True),
        sa.Column("band_high", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("anomaly_state")
