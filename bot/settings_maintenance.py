"""The maintenance-window settings (tools/maintenance), kept here so that `bot/settings.py`
stays one readable page; `Settings` inherits them."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class MaintenanceSettings(BaseSettings):
    # the longest maintenance window one may create (opsbot maintenance add, /ops maintenance)
    maintenance_max_hours: float = Field(
        default=72.0, gt=0, le=24 * 90, validation_alias="MAINTENANCE_MAX_HOURS"
    )
