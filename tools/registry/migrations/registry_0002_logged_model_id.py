"""registry: a built-in version keeps the MLflow 3 logged model it was registered from

Revision ID: registry_0002
Revises: registry_0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "registry_0002"
down_revision = "registry_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_version") as batch:
        batch.add_column(sa.Column("logged_model_id", sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("model_version") as batch:
        batch.drop_column("logged_model_id")
