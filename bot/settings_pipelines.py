"""The `trigger_pipeline` settings (tools/remediation/pipelines.py) and where new model
versions are announced (bot/model_jobs.py), kept here so that
`bot/settings.py` stays one readable page; `Settings` inherits them."""

from __future__ import annotations

import os
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode

from core.errors import Invalid
from tools.remediation.pipelines import (
    DEFAULT_GITHUB_API_URL,
    DEFAULT_GITLAB_URL,
    Pipeline,
    PipelineTargets,
    parse_pipelines,
)


class PipelineSettings(BaseSettings):
    # {name: {kind: github|gitlab|script, ...}} as JSON or YAML (see tools/remediation/pipelines.py)
    pipelines: Annotated[dict[str, Pipeline], NoDecode] = Field(
        default_factory=dict, validation_alias="PIPELINES"
    )
    github_api_url: str = Field(default=DEFAULT_GITHUB_API_URL, validation_alias="GITHUB_API_URL")
    gitlab_url: str = Field(default=DEFAULT_GITLAB_URL, validation_alias="GITLAB_URL")
    # the default token names of a pipeline's `token_env`; another name is read from the environment
    github_token: SecretStr | None = Field(default=None, validation_alias="GITHUB_TOKEN")
    gitlab_trigger_token: SecretStr | None = Field(
        default=None, validation_alias="GITLAB_TRIGGER_TOKEN"
    )
    # new model versions are announced here with their metric diff, and their promotion
    # offered as an approval (bot/model_jobs.py); unset: not announced
    models_channel: str | None = Field(default=None, validation_alias="MODELS_CHANNEL")
    new_version_check_seconds: float = Field(
        default=300.0, ge=10, le=86400, validation_alias="NEW_VERSION_CHECK_SECONDS"
    )
    pipeline_timeout_seconds: float = Field(
        default=20.0, gt=0, le=300, validation_alias="PIPELINE_TIMEOUT_SECONDS"
    )

    @field_validator("pipelines", mode="before")
    @classmethod
    def _parse_pipelines(cls, value: Any) -> Any:
        try:
            return parse_pipelines(value)
        except Invalid as exc:
            raise ValueError(str(exc)) from None

    @field_validator("github_api_url", "gitlab_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http(s) URL, not {value!r}")
        return value.rstrip("/")

    def pipeline_targets(self) -> PipelineTargets:
        known = {
            "GITHUB_TOKEN": self.github_token,
            "GITLAB_TRIGGER_TOKEN": self.gitlab_trigger_token,
        }

        def token(name: str) -> str | None:
            secret = known.get(name)
            return secret.get_secret_value() if secret is not None else os.environ.get(name)

        return PipelineTargets(
            pipelines=dict(self.pipelines),
            github_api_url=self.github_api_url,
            gitlab_url=self.gitlab_url,
            timeout_seconds=self.pipeline_timeout_seconds,
            token=token,
        )
