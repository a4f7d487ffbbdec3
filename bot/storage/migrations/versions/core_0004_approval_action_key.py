"""core: one pending approval per action and arguments (approval.action_key, unique while pending)

Existing rows get their key (the tool and its canonical arguments, as
`core.approvals.action_key` computes it, copied here so this migration never changes). Of
identical approvals already pending, the oldest keeps the key and the others stay NULL: they
can still be decided or expire, and no new identical one can be asked for while the oldest
is pending.

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-12-02
"""

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "core_0004"
down_revision = "core_0003"
branch_labels = None
depends_on = None

PENDING_ONLY = sa.text("status = 'pending'")


def _key(tool: str, args: Any) -> str:
    if isinstance(args, str):  # a JSON column read without its type
        args = json.loads(args)
    canonical = json.dumps(args or {}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{tool}\x00{canonical}".encode()).hexdigest()


def upgrade() -> None:
    op.add_column("approval", sa.Column("action_key", sa.String(64), nullable=True))
    approval = sa.table(
        "approval",
        sa.column("id", sa.String),
        sa.column("tool", sa.String),
        sa.column("args", sa.JSON),
        sa.column("status", sa.String),
        sa.column("created_at", sa.DateTime),
        sa.column("action_key", sa.String),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(approval.c.id, approval.c.tool, approval.c.args, approval.c.status).order_by(
            approval.c.created_at, approval.c.id
        )
    ).all()
    pending: set[str] = set()
    for row in rows:
        key = _key(row.tool, row.args)
        if row.status == "pending":
            if key in pending:
                continue  # a younger twin of a pending approval: no key
            pending.add(key)
        conn.execute(approval.update().where(approval.c.id == row.id).values(action_key=key))
    op.create_index(
        "ux_approval_pending_action",
        "approval",
        ["action_key"],
        unique=True,
        sqlite_where=PENDING_ONLY,
        postgresql_where=PENDING_ONLY,
    )


def downgrade() -> None:
    op.drop_index("ux_approval_pending_action", table_name="approval")
    op.drop_column("approval", "action_key")
