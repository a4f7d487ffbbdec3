"""llmops: scores on traces; the tool name of a tool-call span

Revision ID: llmops_0002
Revises: llmops_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "llmops_0002"
down_revision = "llmops_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "llm_span", sa.Column("tool_name", sa.String(100), nullable=False, server_default="")
    )
    op.create_table(
        "llm_score",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("trace_id", sa.String(32), nullable=False),
        sa.Column("span_id", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("comment", sa.String(2000), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("trace_id", "span_id", "name", "author", name="uq_llm_score_key"),
    )
    op.create_index("ix_llm_score_created", "llm_score", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_llm_score_created", table_name="llm_score")
    op.drop_table("llm_score")
    with op.batch_alter_table("llm_span") as batch:
        batch.drop_column("tool_name")
