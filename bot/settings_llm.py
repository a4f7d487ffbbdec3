"""The LLM traces settings (`POST /v1/traces`, tools/llmops), kept here so that
`bot/settings.py` stays one readable page; `Settings` inherits them."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode

from core.errors import Invalid
from tools.llmops.prices import Price, parse_prices


class LlmOpsSettings(BaseSettings):
    # POST /v1/traces (OTLP/HTTP spans of LLM apps); off while unset
    otlp_token: SecretStr | None = Field(default=None, validation_alias="OTLP_TOKEN")
    # spans older than this are deleted (a bounded delete at intake), and at most this many kept
    llm_span_retention_days: int = Field(
        default=30, ge=1, le=3650, validation_alias="LLM_SPAN_RETENTION_DAYS"
    )
    llm_span_max_rows: int = Field(
        default=1_000_000, ge=1000, le=1_000_000_000, validation_alias="LLM_SPAN_MAX_ROWS"
    )
    # the anomaly detector watches each prompt label's error rate, latency p95 and cost per
    # call over this trailing window (tools/llmops/series.py); 0: not watched
    anomaly_llm_window_minutes: float = Field(
        default=15.0, ge=0, le=1440, validation_alias="ANOMALY_LLM_WINDOW_MINUTES"
    )
    # a label with fewer calls in the window adds no point (a gap)
    anomaly_llm_min_calls: int = Field(
        default=10, ge=1, le=100_000, validation_alias="ANOMALY_LLM_MIN_CALLS"
    )
    # JSON {"model": {"input": 3, "output": 15}} in dollars per million tokens, over the
    # defaults of tools/llmops/prices.py
    llm_prices: Annotated[dict[str, Price], NoDecode] = Field(
        default_factory=dict, validation_alias="LLM_PRICES"
    )

    @field_validator("llm_prices", mode="before")
    @classmethod
    def _parse_prices(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except ValueError as exc:
                raise ValueError(f"not JSON: {exc}") from None
        if isinstance(value, dict) and all(isinstance(v, Price) for v in value.values()):
            return value
        try:
            return parse_prices(value)
        except Invalid as exc:
            raise ValueError(str(exc)) from None
