"""The incident engine's settings, kept here so that `bot/settings.py` stays one readable
page; `Settings` inherits them."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class IncidentSettings(BaseSettings):
    # consecutive clear checks before a monitor's incident resolves by itself
    incident_autoresolve_checks: int = Field(
        default=3, ge=1, le=100, validation_alias="INCIDENT_AUTORESOLVE_CHECKS"
    )
    # a problem back within this time reopens its incident instead of opening a new one
    incident_reopen_minutes: float = Field(
        default=30.0, ge=0, le=1440, validation_alias="INCIDENT_REOPEN_MINUTES"
    )
    # a monitor finding on the host, service, model or prompt of an incident opened this
    # recently joins it as a signal (bot/incidents/correlation.py); 0: every finding alone
    incident_correlation_minutes: float = Field(
        default=10.0, ge=0, le=1440, validation_alias="INCIDENT_CORRELATION_MINUTES"
    )
