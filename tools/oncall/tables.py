"""The on-call tables: schedules, overrides, escalation pages, handoff posts, swap requests."""

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


class PageRow(SQLModel, table=True):
    """One escalation step sent for one episode of an incident (its open or a reopen): the
    unique key makes each step page once, across replicas and restarts."""

    __tablename__ = "oncall_page"
    __table_args__ = (Index("ux_oncall_page_step", "incident_id", "episode", "step", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int
    episode: int = Field(default=0)  # the incident's reopen count
    step: int
    targets: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    at: datetime = Field(default_factory=utcnow)


class HandoffRow(SQLModel, table=True):
    """A handoff message posted (or being posted) for one schedule at one instant."""

    __tablename__ = "oncall_handoff"
    __table_args__ = (Index("ux_oncall_handoff_at", "schedule", "at", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    schedule: str = Field(max_length=100)
    at: datetime
    posted_at: datetime = Field(default_factory=utcnow)


class SwapRow(SQLModel, table=True):
    """A shift swap request: `requester` asks someone to cover `schedule` from `start` to
    `end`; `open` until taken (compare-and-set on `status`), then `taken` with its override."""

    __tablename__ = "oncall_swap"

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="oncall_schedule.id")
    requester: str = Field(max_length=100)
    start: datetime
    end: datetime
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: str = Field(default="open", max_length=16)  # open | taken
    taken_by: str | None = Field(default=None, max_length=100)
    taken_at: datetime | None = None
    override_id: int | None = None
    channel: str | None = Field(default=None, max_length=100)
    ts: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
