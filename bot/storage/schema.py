"""The application core's schema: its tables (processed chat events, and the approvals'
tables of `bot/approvals/tables.py`: audit log, approvals, their change feed) and its Alembic
branch (`core`).

Unlike the other areas, the core keeps its revision files in the migration environment's
own `versions/` folder. Collected with every other area's in `areas.py`.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

BRANCH = "core"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations" / "versions"


def tables_module() -> ModuleType:
    """The module that defines the core tables; importing it registers them on
    `SQLModel.metadata`, with the approvals' tables, whose revisions are in this branch."""
    from bot.approvals import tables as approval_tables  # noqa: F401  (registers them)
    from bot.storage import tables

    return tables
