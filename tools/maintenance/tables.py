"""The `maintenance_window` and `maintenance_suppressed` tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class WindowRow(SQLModel, table=True):
    """A maintenance window: what it matches (JSON `[[name, op, value], ...]`), from `starts_at`
    to `ends_at` (UTC), who made it and why; `ended_at` when it was ended early."""

    __tablename__ = "maintenance_window"
    __table_args__ = (Index("ix_maintenance_window_ends_at", "ends_at"),)

    id: int | None = Field(default=None, primary_key=True)
    matchers: str = Field(sa_column=Column(Text, nullable=False))
    match_all: bool = Field(default=False)
    starts_at: datetime
    ends_at: datetime
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=200)
    ended_at: datetime | None = None
    ended_by: str | None = Field(default=None, max_length=200)


class SuppressedRow(SQLModel, table=True):
    """A finding a window kept quiet: one row per window and fingerprint, counted."""

    __tablename__ = "maintenance_suppressed"
    __table_args__ = (
        UniqueConstraint("window_id", "fingerprint", name="uq_maintenance_suppressed"),
    )

    id: int | None = Field(default=None, primary_key=True)
    window_id: int = Field(foreign_key="maintenance_window.id")
    fingerprint: str = Field(max_length=128)
    title: str = Field(default="", max_length=500)
    first_seen: datetime
    last_seen: datetime
    count: int = 1
