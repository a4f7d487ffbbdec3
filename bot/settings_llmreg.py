"""The LLM regression monitor's settings (bot/monitors/llm_regression.py), kept here so that
`bot/settings.py` stays one readable page; `Settings` inherits them (through
`LlmOpsSettings`)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings

from tools.llmops.regression import RegressionConfig


class LlmRegressionSettings(BaseSettings):
    # calls needed on each side of a label move or model change before anything is tested
    llm_regression_min_calls: int = Field(
        default=30, ge=2, le=1_000_000, validation_alias="LLM_REGRESSION_MIN_CALLS"
    )
    # significance level of each one-sided test (error rate, latency, cost, feedback)
    llm_regression_alpha: float = Field(
        default=0.01, gt=0, lt=0.5, validation_alias="LLM_REGRESSION_ALPHA"
    )
    # relative worsening of the mean latency, cost per call or feedback that counts (0.2 = 20%)
    llm_regression_min_effect: float = Field(
        default=0.2, ge=0, le=10, validation_alias="LLM_REGRESSION_MIN_EFFECT"
    )
    # absolute rise of the error rate that counts (0.05 = 5 percentage points)
    llm_regression_min_error_increase: float = Field(
        default=0.05, ge=0, le=1, validation_alias="LLM_REGRESSION_MIN_ERROR_INCREASE"
    )
    # the baseline before a change, and the recent calls after it that are compared
    llm_regression_window_minutes: int = Field(
        default=60, ge=1, le=7 * 24 * 60, validation_alias="LLM_REGRESSION_WINDOW_MINUTES"
    )
    # how long after a change it is watched
    llm_regression_watch_hours: int = Field(
        default=24, ge=1, le=90 * 24, validation_alias="LLM_REGRESSION_WATCH_HOURS"
    )

    @model_validator(mode="after")
    def _watch_covers_window(self) -> LlmRegressionSettings:
        if self.llm_regression_watch_hours * 60 < self.llm_regression_window_minutes:
            raise ValueError(
                "LLM_REGRESSION_WATCH_HOURS must be at least LLM_REGRESSION_WINDOW_MINUTES "
                f"({self.llm_regression_watch_hours} h < "
                f"{self.llm_regression_window_minutes} min)"
            )
        return self

    def llm_regression_config(self) -> RegressionConfig:
        """The settings as the monitor's config (Invalid when the watch is shorter than the
        window)."""
        return RegressionConfig(
            min_calls=self.llm_regression_min_calls,
            alpha=self.llm_regression_alpha,
            min_effect=self.llm_regression_min_effect,
            min_error_increase=self.llm_regression_min_error_increase,
            window=timedelta(minutes=self.llm_regression_window_minutes),
            watch=timedelta(hours=self.llm_regression_watch_hours),
        )
