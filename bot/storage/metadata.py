"""All tables, imported so that `SQLModel.metadata` is complete (for Alembic and tests)."""

from __future__ import annotations

from sqlmodel import SQLModel

import bot.storage.tables  # noqa: F401

target_metadata = SQLModel.metadata
