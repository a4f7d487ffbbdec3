"""modelperf: the model prediction table

Revision ID: modelperf_0001
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "modelperf_0001"
down_revision = None
branch_labels = ("modelperf",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_prediction",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("record_id", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prediction", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("features", sa.Text(), nullable=False),
        sa.Column("actual", sa.Float(), nullable=True),
        sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("model", "record_id", name="uq_model_prediction_id"),
    )
    op.create_index("ix_model_prediction_model_ts", "model_prediction", ["model", "ts"])
    op.create_index("ix_model_prediction_ts", "model_prediction", ["ts"])


def downgrade() -> None:
    op.drop_index("ix_model_prediction_ts", table_name="model_prediction")
    op.drop_index("ix_model_prediction_model_ts", table_name="model_prediction")
    op.drop_table("model_prediction")
