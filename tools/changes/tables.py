"""The `change` table: one row per change that really happened (recorded after the fact)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class ChangeRow(SQLModel, table=True):
    """A change: its kind, what it touched, before/after, who did it and through what."""

    __tablename__ = "change"
    __table_args__ = (Index("ix_change_at", "at"), Index("ix_change_target_at", "target", "at"))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    kind: str = Field(max_length=32)
    target: str = Field(max_length=300)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    before: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    after: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    who: str = Field(default="", max_length=200)
    via: str = Field(default="", max_length=64)
    link: str = Field(default="", max_length=1000)
    source: str = Field(default="", max_length=64)
