"""The maintenance schema: its tables and its Alembic branch (`maintenance`).

Collected by bot/storage/areas.py with every other area; nothing here imports Alembic.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

BRANCH = "maintenance"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def tables_module() -> ModuleType:
    """The module that defines this area's tables; importing it registers them on
    `SQLModel.metadata`."""
    from tools.maintenance import tables

    return tables
