"""The incident engine's schema: its tables and its Alembic branch (`incidents`).

The migration environment collects this with every other area's (bot/storage/areas.py);
nothing here imports Alembic, and the tables are imported only when asked for.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

BRANCH = "incidents"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def tables_module() -> ModuleType:
    """The module that defines this area's tables; importing it registers them on
    `SQLModel.metadata`."""
    from bot.incidents import tables

    return tables
