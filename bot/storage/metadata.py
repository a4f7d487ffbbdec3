"""All tables, imported so that `SQLModel.metadata` is complete (for Alembic and tests).

Which modules hold tables is declared per area (see `areas.py`), not listed here.
"""

from __future__ import annotations

from sqlmodel import SQLModel

from bot.storage.areas import load_tables

load_tables()

target_metadata = SQLModel.metadata
