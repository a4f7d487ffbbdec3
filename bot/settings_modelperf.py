"""The model performance settings (`POST /models/{name}/predictions|outcomes`, tools/modelperf,
the `model_performance` monitor), kept here so that `bot/settings.py` stays one readable page;
`Settings` inherits them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode

from bot.settings_values import split_groups

if TYPE_CHECKING:
    from tools.modelperf.fairness_check import FairnessConfig


class ModelPerfSettings(BaseSettings):
    # POST /models/{name}/predictions and /outcomes; off while unset
    modelperf_token: SecretStr | None = Field(default=None, validation_alias="MODELPERF_TOKEN")
    # the anomaly detector watches each model's mean prediction and mean error over this
    # trailing window (tools/modelperf/series.py); 0: not watched
    anomaly_model_window_minutes: float = Field(
        default=60.0, ge=0, le=7 * 1440, validation_alias="ANOMALY_MODEL_WINDOW_MINUTES"
    )
    # a window with fewer outcomes than this adds no error point (a gap)
    anomaly_model_min_outcomes: int = Field(
        default=30, ge=1, le=1_000_000, validation_alias="ANOMALY_MODEL_MIN_OUTCOMES"
    )
    # rows received longer ago than this are deleted (a bounded delete at intake), and at
    # most this many kept
    modelperf_retention_days: int = Field(
        default=90, ge=1, le=3650, validation_alias="MODELPERF_RETENTION_DAYS"
    )
    modelperf_max_rows: int = Field(
        default=2_000_000, ge=1000, le=1_000_000_000, validation_alias="MODELPERF_MAX_ROWS"
    )
    # the windows performance is reported over, and the reference period (a version's first
    # predictions) the estimators are fitted on: 30m, 2h, 7d
    modelperf_window: str = Field(default="1d", validation_alias="MODELPERF_WINDOW")
    modelperf_reference: str = Field(default="7d", validation_alias="MODELPERF_REFERENCE")
    # outcomes a window needs before its realised figures count
    modelperf_min_outcomes: int = Field(
        default=100, ge=10, le=1_000_000, validation_alias="MODELPERF_MIN_OUTCOMES"
    )
    # relative margin past the reference before a window is a drop (0.05 = 5%)
    modelperf_tolerance: float = Field(
        default=0.05, ge=0.0, le=1.0, validation_alias="MODELPERF_TOLERANCE"
    )
    # seconds between two performance checks of the monitor
    modelperf_check_interval_seconds: int = Field(
        default=3600, ge=1, le=86400, validation_alias="MODELPERF_CHECK_INTERVAL_SECONDS"
    )
    # JSON {"model": "pipeline"}: the `trigger_pipeline` target suggested with a drop
    model_retrain_pipelines: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, validation_alias="MODEL_RETRAIN_PIPELINES"
    )
    # the `model_fairness` monitor and the model card: sensitive features per model,
    # `fraud-detector=region,sex;churn=age_band` or {"fraud-detector": ["region", "sex"]}
    model_fairness_features: Annotated[dict[str, list[str]], NoDecode] = Field(
        default_factory=dict, validation_alias="MODEL_FAIRNESS_FEATURES"
    )
    # largest demographic parity / equalized odds difference between groups (1 = not checked)
    model_fairness_max_dpd: float = Field(
        default=0.1, ge=0.0, le=1.0, validation_alias="MODEL_FAIRNESS_MAX_DPD"
    )
    model_fairness_max_eod: float = Field(
        default=0.1, ge=0.0, le=1.0, validation_alias="MODEL_FAIRNESS_MAX_EOD"
    )
    # groups with fewer labelled predictions are reported, not compared
    model_fairness_min_group_size: int = Field(
        default=30, ge=1, le=100_000, validation_alias="MODEL_FAIRNESS_MIN_GROUP_SIZE"
    )
    # the labelled predictions made within this period are measured: 7d, 30d
    model_fairness_window: str = Field(default="30d", validation_alias="MODEL_FAIRNESS_WINDOW")
    model_fairness_check_interval_seconds: int = Field(
        default=3600, ge=1, le=86400, validation_alias="MODEL_FAIRNESS_CHECK_INTERVAL_SECONDS"
    )

    def fairness_config(self) -> FairnessConfig:
        """The fairness check's configuration (tools/modelperf/fairness_check.py)."""
        from core.clock import parse_window
        from tools.modelperf.fairness import FairnessThresholds
        from tools.modelperf.fairness_check import FairnessConfig

        return FairnessConfig(
            {name: tuple(features) for name, features in self.model_fairness_features.items()},
            FairnessThresholds(self.model_fairness_max_dpd, self.model_fairness_max_eod),
            self.model_fairness_min_group_size,
            parse_window(self.model_fairness_window),
        )

    @field_validator("model_fairness_features", mode="before")
    @classmethod
    def _fairness_features(cls, value: Any) -> Any:
        try:
            value = split_groups(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc}") from None
        if not isinstance(value, dict) or not all(
            isinstance(k, str)
            and k.strip()
            and isinstance(v, list)
            and v
            and all(isinstance(f, str) and f.strip() for f in v)
            for k, v in value.items()
        ):
            raise ValueError(
                'must be model=feature,feature;model2=feature or {"model": ["feature", ...]}'
            )
        return value

    @field_validator("modelperf_window", "modelperf_reference", "model_fairness_window")
    @classmethod
    def _window(cls, value: str) -> str:
        from core.clock import parse_window
        from core.errors import Invalid

        try:
            parse_window(value)
        except Invalid as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("model_retrain_pipelines", mode="before")
    @classmethod
    def _pipelines(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except ValueError as exc:
                raise ValueError(f"not JSON: {exc}") from None
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
        ):
            raise ValueError('must be a JSON object {"model": "pipeline name"}')
        return value
