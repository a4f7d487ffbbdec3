"""The anomaly detectors' schema: their state table and its Alembic branch (`anomaly`).

Collected by bot/storage/areas.py with every other area; nothing here imports Alembic.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

BRANCH = "anomaly"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def tables_module() -> ModuleType:
    """The module that defines this area's table; importing it registers it on
    `SQLModel.metadata`."""
    from tools.anomaly import tables

    return tables
