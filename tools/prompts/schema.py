"""The prompt registry's schema: its tables and its Alembic branch (`prompts`).

The migration environment collects this with every other area's (bot/storage/areas.py);
nothing here imports Alembic, and the tables are imported only when asked for.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

BRANCH = "prompts"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def tables_module() -> ModuleType:
    """The module that defines this area's tables; importing it registers them on
    `SQLModel.metadata`."""
    from tools.prompts import tables

    return tables
