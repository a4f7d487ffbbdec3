"""The `llm_span` table: one row per LLM call received as an OpenTelemetry GenAI span."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class LlmSpanRow(SQLModel, table=True):
    """An LLM call: its ids, when and how long, whether it failed, the model, the tokens, the
    service that made it and the prompt (name, version, label) it used."""

    __tablename__ = "llm_span"
    __table_args__ = (
        UniqueConstraint("trace_id", "span_id", name="uq_llm_span_ids"),
        Index("ix_llm_span_start", "start"),
        Index("ix_llm_span_prompt_start", "prompt_name", "start"),
        Index("ix_llm_span_model_start", "model", "start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    trace_id: str = Field(max_length=32)
    span_id: str = Field(max_length=16)
    start: datetime
    duration_ms: float
    error: bool = False
    model: str = Field(default="", max_length=200)
    operation: str = Field(default="", max_length=64)
    input_tokens: int | None = None
    output_tokens: int | None = None
    service: str = Field(default="", max_length=200)
    prompt_name: str = Field(default="", max_length=200)
    prompt_version: int | None = None
    prompt_label: str = Field(default="", max_length=100)
    received_at: datetime = Field(default_factory=utcnow)
