"""llmops: the LLM span table

Revision ID: llmops_0001
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "llmops_0001"
down_revision = None
branch_labels = ("llmops",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "llm_span",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.Column("span_id", sa.String(16), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("error", sa.Boolean(), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("operation", sa.String(64), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("service", sa.String(200), nullable=False),
        sa.Column("prompt_name", sa.String(200), nullable=False),
        sa.Column("prompt_version", sa.Integer(), nullable=True),
        sa.Column("prompt_label", sa.String(100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("trace_id", "span_id", name="uq_llm_span_ids"),
    )
    op.create_index("ix_llm_span_start", "llm_span", ["start"])
    op.create_index("ix_llm_span_prompt_start", "llm_span", ["prompt_name", "start"])
    op.create_index("ix_llm_span_model_start", "llm_span", ["model", "start"])


def downgrade() -> None:
    op.drop_index("ix_llm_span_model_start", table_name="llm_span")
    op.drop_index("ix_llm_span_prompt_start", table_name="llm_span")
    op.drop_index("ix_llm_span_start", table_name="llm_span")
    op.drop_table("llm_span")
