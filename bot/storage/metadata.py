"""All tables, imported so that `SQLModel.metadata` is complete (for Alembic and tests)."""

from __future__ import annotations

import importlib

from sqlmodel import SQLModel

# One module per area that owns tables; add yours here.
TABLE_MODULES = (
    "bot.storage.tables",
    "bot.incidents.tables",
    "tools.prompts.tables",
    "tools.registry.tables",
)

for _module in TABLE_MODULES:
    importlib.import_module(_module)

target_metadata = SQLModel.metadata
