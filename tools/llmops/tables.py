"""The `llm_span` table: one row per LLM call received as an OpenTelemetry GenAI span (and
per tool call or agent turn of opsbot's own, `operation` execute_tool / invoke_agent); the
`llm_score` table: scores and feedback on traces (`POST /scores`, the Slack 👍/👎 buttons)."""

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
    tool_name: str = Field(default="", max_length=100)  # gen_ai.tool.name of a tool call


class ScoreRow(SQLModel, table=True):
    """A score on a trace (or one span of it): its name, a number (a boolean is 1 or 0), an
    optional comment, who gave it. One row per trace, span, name and author: a second
    score with the same four replaces the first (a changed vote)."""

    __tablename__ = "llm_score"
    __table_args__ = (
        UniqueConstraint("trace_id", "span_id", "name", "author", name="uq_llm_score_key"),
        Index("ix_llm_score_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    trace_id: str = Field(max_length=32)
    span_id: str = Field(default="", max_length=16)  # "": the whole trace
    name: str = Field(max_length=100)
    value: float
    comment: str = Field(default="", max_length=2000)
    author: str = Field(default="", max_length=200)
    source: str = Field(default="", max_length=32)  # http, slack
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
