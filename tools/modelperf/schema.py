"""The model performance schema: its table and its Alembic branch (`modelperf`).

Collected by bot/storage/areas.py with every other area; nothing here imports Alembic.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

BRANCH = "modelperf"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def tables_module() -> ModuleType:
    """The module that defines this area's table; importing it registers it on
    `SQLModel.metadata`."""
    from tools.modelperf import tables

    return tables
