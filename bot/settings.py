"""Settings from the environment and `.env`, validated once at start.

Every name here is documented in `.env.example`; users and tests rely on them. A bad value
raises `SettingsError` naming the variable and what is allowed, so the CLI can exit non-zero
with one clear line instead of a traceback.

It is one flat `Settings` class (and the areas' mixins), a list of environment variables with
their defaults and validators, read beside `.env.example`, and its loading. Names that look like
settings but are not: `settings_check.py`; list and mapping values: `settings_values.py`.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import NoDecode, SettingsConfigDict

from bot.settings_areas import AreaSettings
from bot.settings_values import split_list, split_mapping
from core.errors import StartupError

DEFAULT_LLM_MODEL = "claude-sonnet-5-5"


class LLMProvider(StrEnum):
    AUTO = "auto"
    ANTHROPIC = "anthropic"
    OFFLINE = "offline"


class SettingsError(StartupError):
    """A configuration value is missing or invalid; the message is meant for the operator."""


class Settings(AreaSettings):
    """All of opsbot's configuration. Field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        populate_by_name=True,
    )

    # storage
    data_dir: Path = Field(default=Path("./data"), validation_alias="OPSBOT_DATA_DIR")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    chroma_host: str | None = Field(default=None, validation_alias="CHROMA_HOST")
    chroma_port: int = Field(default=8000, ge=1, le=65535, validation_alias="CHROMA_PORT")
    # runbook embedding: minilm-int8 (offline default), hashing, chroma-onnx, openai:MODEL
    embedding: str = Field(default="minilm-int8", validation_alias="OPSBOT_EMBEDDING")
    # the local embedding model is unloaded (memory returned) after this long unused; 0: kept
    runbook_model_idle_seconds: float = Field(
        default=300.0, ge=0, le=7 * 86400, validation_alias="RUNBOOK_MODEL_IDLE_SECONDS"
    )
    knowledge_dir: Path | None = Field(default=None, validation_alias="KNOWLEDGE_DIR")

    # slack
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    incident_channel: str | None = Field(default=None, validation_alias="INCIDENT_CHANNEL")
    oncall_users: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="ONCALL_USERS"
    )
    oncall_usergroup: str | None = Field(default=None, validation_alias="ONCALL_USERGROUP")
    slack_workers: int = Field(default=8, ge=1, le=64, validation_alias="SLACK_WORKERS")
    # only on-call engineers (ONCALL_USERS / ONCALL_USERGROUP, never a bot) may press an
    # incident's Acknowledge / Resolve / Snooze buttons; the CLI (the local operator) always may
    incident_actions_oncall_only: bool = Field(
        default=True, validation_alias="INCIDENT_ACTIONS_ONCALL_ONLY"
    )

    # approvals
    approval_ttl_seconds: int = Field(
        default=1800, ge=30, le=7 * 24 * 3600, validation_alias="APPROVAL_TTL_SECONDS"
    )
    approval_allow_self: bool = Field(default=True, validation_alias="APPROVAL_ALLOW_SELF")
    approval_two_person_risk: str = Field(
        default="none", validation_alias="APPROVAL_TWO_PERSON_RISK"
    )
    # who may approve from a terminal: the OS user, mapped to Slack by CLI_USERS (bot/identity.py)
    cli_users: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, validation_alias="CLI_USERS"
    )
    # an action executing on another host is declared dead (outcome unknown) after this long
    approval_execution_limit_seconds: int = Field(
        default=90_000, ge=60, le=30 * 86400, validation_alias="APPROVAL_EXECUTION_LIMIT_SECONDS"
    )
    # no longer used: it once named (and authorised) the terminal user; only warned about
    legacy_console_user: str | None = Field(default=None, validation_alias="OPSBOT_CONSOLE_USER")

    # model layer
    llm_provider: LLMProvider = Field(default=LLMProvider.AUTO, validation_alias="LLM_PROVIDER")
    llm_model: str = Field(default=DEFAULT_LLM_MODEL, validation_alias="LLM_MODEL")
    anthropic_api_key: SecretStr | None = Field(default=None, validation_alias="ANTHROPIC_API_KEY")
    anthropic_base_url: str | None = Field(default=None, validation_alias="ANTHROPIC_BASE_URL")
    llm_max_tokens: int = Field(default=4096, ge=256, le=64000, validation_alias="LLM_MAX_TOKENS")
    llm_timeout_seconds: float = Field(
        default=60.0, gt=0, le=600, validation_alias="LLM_TIMEOUT_SECONDS"
    )
    llm_max_retries: int = Field(default=2, ge=0, le=10, validation_alias="LLM_MAX_RETRIES")
    agent_max_steps: int = Field(default=8, ge=1, le=50, validation_alias="AGENT_MAX_STEPS")

    # http
    host: str = Field(default="127.0.0.1", validation_alias="HOST")
    port: int = Field(default=3000, ge=0, le=65535, validation_alias="PORT")
    alertmanager_token: SecretStr | None = Field(
        default=None, validation_alias="ALERTMANAGER_TOKEN"
    )
    prompts_api_token: SecretStr | None = Field(default=None, validation_alias="PROMPTS_API_TOKEN")
    # POST /events/change (deploys from CI into the change log); off while unset
    change_events_token: SecretStr | None = Field(
        default=None, validation_alias="CHANGE_EVENTS_TOKEN"
    )
    # request bodies larger than these are refused with 413 before they are read
    http_max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, le=64 * 1024 * 1024, validation_alias="HTTP_MAX_BODY_BYTES"
    )
    alertmanager_max_body_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=64 * 1024,
        le=512 * 1024 * 1024,
        validation_alias="ALERTMANAGER_MAX_BODY_BYTES",
    )
    prompt_max_chars: int = Field(
        default=100_000, ge=100, le=1_000_000, validation_alias="PROMPT_MAX_CHARS"
    )

    # integrations
    prometheus_url: str | None = Field(default=None, validation_alias="PROMETHEUS_URL")
    mlflow_tracking_uri: str | None = Field(default=None, validation_alias="MLFLOW_TRACKING_URI")
    endpoints: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, validation_alias="ENDPOINTS"
    )
    endpoint_timeout_seconds: float = Field(
        default=5.0, gt=0, le=120, validation_alias="ENDPOINT_TIMEOUT_SECONDS"
    )
    tls_warn_days: int = Field(default=14, ge=0, le=365, validation_alias="TLS_WARN_DAYS")

    # monitors
    check_interval_seconds: int = Field(
        default=60, ge=1, le=86400, validation_alias="CHECK_INTERVAL_SECONDS"
    )
    drift_check_interval_seconds: int = Field(
        default=3600, ge=60, le=7 * 86400, validation_alias="DRIFT_CHECK_INTERVAL_SECONDS"
    )
    host_cpu_pct: float = Field(default=90.0, gt=0, le=100, validation_alias="HOST_CPU_PCT")
    host_mem_pct: float = Field(default=90.0, gt=0, le=100, validation_alias="HOST_MEM_PCT")
    host_disk_pct: float = Field(default=90.0, gt=0, le=100, validation_alias="HOST_DISK_PCT")
    host_swap_pct: float = Field(default=80.0, gt=0, le=100, validation_alias="HOST_SWAP_PCT")
    host_inodes_pct: float = Field(default=90.0, gt=0, le=100, validation_alias="HOST_INODES_PCT")
    host_warn_margin_pct: float = Field(
        default=10.0, ge=0, le=100, validation_alias="HOST_WARN_MARGIN_PCT"
    )
    monitor_sustain_samples: int = Field(
        default=3, ge=1, le=60, validation_alias="MONITOR_SUSTAIN_SAMPLES"
    )
    disk_forecast_hours: float = Field(
        default=6.0, ge=0, le=720, validation_alias="DISK_FORECAST_HOURS"
    )

    # incidents (the engine's settings: bot/settings_incidents.py) and remediation
    remediation_config: Path | None = Field(default=None, validation_alias="REMEDIATION_CONFIG")
    # always-firing alerts (Alertmanager's Watchdog): recorded, never an incident; an
    # incident when one has not arrived for HEARTBEAT_TIMEOUT_SECONDS
    heartbeat_alerts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["Watchdog"], validation_alias="HEARTBEAT_ALERTS"
    )
    heartbeat_timeout_seconds: float = Field(
        default=900.0, ge=60, le=7 * 86400, validation_alias="HEARTBEAT_TIMEOUT_SECONDS"
    )

    # host series watched by the anomaly detector (bot/monitors/anomaly.py); empty: off
    anomaly_series: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["cpu", "memory", "swap"], validation_alias="ANOMALY_SERIES"
    )
    # Prometheus queries watched by it, as JSON {"name": "promql"} (needs PROMETHEUS_URL)
    anomaly_queries: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, validation_alias="ANOMALY_QUERIES"
    )
    # more of them from a YAML file {name: promql}, merged (a name in both stops the start)
    anomaly_queries_file: Path | None = Field(default=None, validation_alias="ANOMALY_QUERIES_FILE")
    # log files and globs `search_logs` and `opsbot logs` may read; nothing else is read
    log_sources: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="LOG_SOURCES"
    )
    # `journal:<unit>` sources are read from this directory (journalctl -D), not the system's
    log_journal_dir: str | None = Field(default=None, validation_alias="LOG_JOURNAL_DIR")
    # `loki:<selector>` sources: this Loki, its bearer token and tenant (X-Scope-OrgID)
    loki_url: str | None = Field(default=None, validation_alias="LOKI_URL")
    loki_token: SecretStr | None = Field(default=None, validation_alias="LOKI_TOKEN")
    loki_tenant: str | None = Field(default=None, validation_alias="LOKI_TENANT")

    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")

    @field_validator(
        "oncall_users", "heartbeat_alerts", "anomaly_series", "log_sources", mode="before"
    )
    @classmethod
    def _parse_users(cls, value: Any) -> Any:
        return split_list(value)

    @field_validator("anomaly_queries", mode="before")
    @classmethod
    def _parse_queries(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if not value.strip():
            return {}
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ValueError(
                'must be a JSON object of name to PromQL, e.g. {"checkout_errors": '
                f'"sum(rate(http_errors_total[5m]))"}}: {exc}'
            ) from None

    @field_validator("endpoints", mode="before")
    @classmethod
    def _parse_endpoints(cls, value: Any) -> Any:
        return split_mapping(value)

    @field_validator("cli_users", mode="before")
    @classmethod
    def _parse_cli_users(cls, value: Any) -> Any:
        return split_mapping(value)

    @field_validator("endpoints")
    @classmethod
    def _check_endpoints(cls, value: dict[str, str]) -> dict[str, str]:
        for name, url in value.items():
            if not url.startswith(("http://", "https://")):
                raise ValueError(
                    f"endpoint {name!r} must be an http:// or https:// URL, got {url!r}"
                )
        return value

    @field_validator("database_url")
    @classmethod
    def _check_db_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        allowed = (
            "sqlite://",
            "sqlite+pysqlite://",
            "postgresql://",
            "postgresql+psycopg://",
            "postgres://",
        )
        if not value.startswith(allowed):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        if value.startswith("postgres://"):
            value = "postgresql+psycopg://" + value[len("postgres://") :]
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value[len("postgresql://") :]
        return value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return upper

    @field_validator("approval_two_person_risk")
    @classmethod
    def _check_two_person(cls, value: str) -> str:
        lowered = value.lower()
        if lowered not in {"none", "high", "medium", "low"}:
            raise ValueError("must be one of none, low, medium, high")
        return lowered

    @field_validator("slack_api_url")
    @classmethod
    def _check_slack_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @model_validator(mode="after")
    def _check_llm(self) -> Settings:
        if self.llm_provider == LLMProvider.ANTHROPIC and self.anthropic_api_key is None:
            raise ValueError("LLM_PROVIDER=anthropic needs ANTHROPIC_API_KEY")
        return self

    # derived values -----------------------------------------------------------------
    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'opsbot.sqlite3').resolve()}"

    @property
    def is_postgres(self) -> bool:
        return self.sqlalchemy_url.startswith("postgresql")

    @property
    def use_anthropic(self) -> bool:
        if self.llm_provider == LLMProvider.OFFLINE:
            return False
        if self.llm_provider == LLMProvider.ANTHROPIC:
            return True
        return self.anthropic_api_key is not None and bool(
            self.anthropic_api_key.get_secret_value()
        )

    @property
    def slack_mode(self) -> str:
        """`socket`, `http` or `console`, from which credentials are present."""
        if self.slack_app_token is not None:
            return "socket"
        if self.slack_signing_secret is not None:
            return "http"
        return "console"

    def thresholds(self) -> dict[str, float]:
        """The host thresholds by resource, as `tools.infra.levels.Thresholds` takes them."""
        return {
            "cpu": self.host_cpu_pct,
            "memory": self.host_mem_pct,
            "disk": self.host_disk_pct,
            "swap": self.host_swap_pct,
            "inodes": self.host_inodes_pct,
        }

    def resolved_knowledge_dir(self) -> Path:
        if self.knowledge_dir is not None:
            return self.knowledge_dir
        return Path(__file__).resolve().parent.parent / "knowledge" / "runbooks"


_FIELD_TO_ENV = {
    name: (field.validation_alias if isinstance(field.validation_alias, str) else name.upper())
    for name, field in Settings.model_fields.items()
}


def _describe(error: ErrorDetails) -> str:
    loc = error.get("loc") or ()
    field = str(loc[0]) if loc else ""
    env = _FIELD_TO_ENV.get(field, field.upper()) if field else "settings"
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    value = error.get("input")
    shown = ""
    if (
        field
        and value is not None
        and not isinstance(value, dict)
        and "token" not in env.lower()
        and "secret" not in env.lower()
        and "key" not in env.lower()
    ):
        shown = f" (got {value!r})"
        if repr(value) in message:  # the message already quotes the value
            shown = ""
    return f"{env}: {message}{shown}"


def load_settings(**overrides: Any) -> Settings:
    """Read and validate settings; raise `SettingsError` with one line per bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = [_describe(err) for err in exc.errors()]
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from None
    except ValueError as exc:  # JSON decoding errors from list/dict parsing
        raise SettingsError(f"invalid configuration: {exc}") from None


def known_env_names() -> set[str]:
    return set(_FIELD_TO_ENV.values())


__all__ = [
    "DEFAULT_LLM_MODEL",
    "LLMProvider",
    "Settings",
    "SettingsError",
    "load_settings",
]
