"""The `model_prediction` table: one row per prediction a model made, and its outcome (the
ground truth) once it arrives. Numbers only: a regressor's value, or a binary classifier's
predicted class (0/1) with `score`, the probability of class 1."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class PredictionRow(SQLModel, table=True):
    """A prediction (model, the caller's id, version, when, value, score, features as JSON)
    and its outcome (`actual`, when it was received)."""

    __tablename__ = "model_prediction"
    __table_args__ = (
        UniqueConstraint("model", "record_id", name="uq_model_prediction_id"),
        Index("ix_model_prediction_model_ts", "model", "ts"),
        Index("ix_model_prediction_ts", "ts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    model: str = Field(max_length=200)
    record_id: str = Field(max_length=200)
    version: int
    ts: datetime
    prediction: float
    score: float | None = None
    features: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    actual: float | None = None
    labelled_at: datetime | None = None
    received_at: datetime = Field(default_factory=utcnow)
