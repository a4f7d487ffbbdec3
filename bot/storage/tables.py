"""Tables the application core keeps itself: processed chat events (the Slack dedupe store).

The approvals' tables (audit log, approvals, their change feed) live in `bot/approvals/tables.py`;
capabilities in `tools/` own their own tables (registry, prompts, changes); `bot/incidents` owns
the incident tables. All of them share `SQLModel.metadata` and are migrated by Alembic.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from core.clock import utcnow


class ProcessedEvent(SQLModel, table=True):
    """Chat events already handled (Slack event_id, or channel+ts), so retries are ignored."""

    __tablename__ = "processed_event"

    key: str = Field(primary_key=True, max_length=200)
    at: datetime = Field(default_factory=utcnow, index=True)
