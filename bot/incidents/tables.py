"""Incident tables: incidents, their timelines, and the monitors' stored samples.

`fingerprint` is the stable identity of a problem (same alert on the same disk, the same
Alertmanager group); `last_event_hash` identifies the exact last event, so a re-delivered
event is recognised as a duplicate. `open_key` holds the fingerprint while the incident is
unresolved and NULL after: its unique index makes "one open incident per fingerprint" a
database rule that holds across replicas, not just a convention.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class Incident(SQLModel, table=True):
    __tablename__ = "incident"
    __table_args__ = (
        Index("ux_incident_open_key", "open_key", unique=True),
        Index("ix_incident_fingerprint_id", "fingerprint", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(max_length=64)
    open_key: str | None = Field(default=None, max_length=64)
    source: str = Field(max_length=32)  # monitor | alertmanager | prometheus
    monitor: str | None = Field(default=None, max_length=64)  # the monitor that owns it
    kind: str = Field(max_length=32)  # host | endpoint | model_drift | alertmanager | prometheus
    alertname: str = Field(max_length=200, index=True)
    title: str = Field(max_length=500)
    severity: str = Field(max_length=16)  # info | warning | critical
    status: str = Field(default="open", max_length=16, index=True)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    fields: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    labels: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    runbook: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    count: int = Field(default=1)
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)
    last_event_hash: str = Field(default="", max_length=64)
    clear_checks: int = Field(default=0)
    reopen_count: int = Field(default=0)
    acknowledged_by: str | None = Field(default=None, max_length=200)
    acknowledged_at: datetime | None = None
    resolved_by: str | None = Field(default=None, max_length=200)
    resolved_at: datetime | None = None
    snoozed_until: datetime | None = None
    snoozed_by: str | None = Field(default=None, max_length=200)
    message_channel: str | None = Field(default=None, max_length=100)
    message_ts: str | None = Field(default=None, max_length=64)
    triage_status: str = Field(default="pending", max_length=16)  # pending|running|done|failed
    notified_at: datetime | None = None
    notify_pending: bool = Field(default=True, index=True)  # root message needs (re)rendering
    revision: int = Field(default=0)


class IncidentEvent(SQLModel, table=True):
    """The timeline: what happened to an incident, when, and who did it.

    An event with a `note` is also posted in the incident's thread. `delivered_at` stays
    NULL until a front end has posted it, so notes written by any process (a CLI approval,
    another replica) reach Slack through the process that owns the notifier, once.
    """

    __tablename__ = "incident_event"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(index=True)
    at: datetime = Field(default_factory=utcnow)
    kind: str = Field(max_length=32)
    actor: str = Field(default="opsbot", max_length=200)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    delivered_at: datetime | None = Field(default=None, index=True)


class MonitorSample(SQLModel, table=True):
    """One reading of one series (e.g. `disk.used:/`), kept for sustain checks and forecasts."""

    __tablename__ = "monitor_sample"
    __table_args__ = (Index("ix_monitor_sample_series_at", "series", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    series: str = Field(max_length=200)
    at: datetime = Field(default_factory=utcnow)
    value: float


class IncidentAlert(SQLModel, table=True):
    """The state of every alert of an Alertmanager group, however big the group: its status
    and a hash of what Alertmanager said about it, so each webhook is compared with the whole
    group (the incident row shows at most a few hundred members)."""

    __tablename__ = "incident_alert"

    incident_id: int = Field(primary_key=True)
    key: str = Field(primary_key=True, max_length=64)  # Alertmanager's fingerprint
    status: str = Field(max_length=16)  # firing | resolved
    hash: str = Field(max_length=32)


class Heartbeat(SQLModel, table=True):
    """The last time an always-firing heartbeat alert (Alertmanager's Watchdog) arrived. It
    is not an incident; its absence is (`bot.monitors.heartbeat`)."""

    __tablename__ = "heartbeat"

    name: str = Field(primary_key=True, max_length=200)
    last_seen: datetime
    receiver: str = Field(default="", max_length=500)


class IncidentClaim(SQLModel, table=True):
    """Which open incident owns an alert (its identity: `bot.incidents.identity`), whichever
    path (Prometheus's API, Alertmanager) saw it first. The primary key makes "one open
    incident per alert" a database rule across replicas; an incident's claims go when it
    resolves."""

    __tablename__ = "incident_claim"

    identity: str = Field(primary_key=True, max_length=32)
    incident_id: int = Field(index=True)
    source: str = Field(max_length=32)  # prometheus | alertmanager


class IncidentSignal(SQLModel, table=True):
    """A finding folded into an open incident on a related entity (same host, service, model
    or prompt, started within the correlation window: `bot.incidents.correlation`), instead of
    opening an incident of its own. `open_key` holds its fingerprint while it fires and NULL
    after it cleared; its unique index makes "a firing finding belongs to one incident" a
    database rule across replicas. The incident stays open while any of its signals fires."""

    __tablename__ = "incident_signal"
    __table_args__ = (Index("ux_incident_signal_open_key", "open_key", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(index=True)
    fingerprint: str = Field(max_length=64)
    open_key: str | None = Field(default=None, max_length=64)
    monitor: str | None = Field(default=None, max_length=64)
    alertname: str = Field(max_length=200)
    title: str = Field(max_length=500)
    severity: str = Field(max_length=16)
    entity: str = Field(max_length=300)  # what relates it to the incident: host:web-1
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)
    cleared_at: datetime | None = None
    clear_checks: int = Field(default=0)
    count: int = Field(default=1)
