"""The log monitor's schema: its state table and its Alembic branch (`logs`).

Collected by bot/storage/areas.py with every other area; nothing here imports Alembic.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

BRANCH = "logs"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def tables_module() -> ModuleType:
    """The module that defines this area's table; importing it registers it on
    `SQLModel.metadata`."""
    from tools.logs import tables

    return tables
