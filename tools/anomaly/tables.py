"""The `anomaly_state` table: one row per watched series, its detector's state (JSON) and
whether it is anomalous now. A restart resumes each detector where it stopped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class AnomalyStateRow(SQLModel, table=True):
    __tablename__ = "anomaly_state"

    series: str = Field(primary_key=True, max_length=300)
    state: str = Field(sa_column=Column(Text, nullable=False))  # StreamingDetector.to_state()
    last_at: datetime | None = None  # the newest sample fed to the detector
    anomalous_since: datetime | None = None  # set at an alert, cleared back in the band
    band_low: float | None = None  # the expected range when it alerted
    band_high: float | None = None
    updated_at: datetime = Field(default_factory=utcnow)
