"""The `oncall_schedule` and `oncall_override` tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class ScheduleRow(SQLModel, table=True):
    """A schedule: a rotation (people, every, handoff, zone, start) or an iCal calendar."""

    __tablename__ = "oncall_schedule"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    people: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # U1,U2
    every: str = Field(max_length=16)  # daily, weekly or ical
    handoff: str = Field(default="09:00", max_length=5)
    tz: str = Field(default="UTC", max_length=64)
    start: str = Field(default="", max_length=10)  # ISO date
    secondary: str = Field(default="", max_length=100)  # "", "next" or another schedule's name
    ics: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=200)


class OverrideRow(SQLModel, table=True):
    """Someone covers a schedule from `start` to `end` (a shift swap is one of these)."""

    __tablename__ = "oncall_override"
    __table_args__ = (Index("ix_oncall_override_schedule_end", "schedule_id", "end"),)

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="oncall_schedule.id")
    user: str = Field(max_length=100)
    start: datetime
    end: datetime
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=200)
