"""The areas' settings, one mixin each (kept beside `bot/settings.py`, which inherits them
all through `AreaSettings`, so that it stays one readable page). A new area adds its mixin
here."""

from __future__ import annotations

from bot.settings_incidents import IncidentSettings
from bot.settings_llm import LlmOpsSettings
from bot.settings_maintenance import MaintenanceSettings
from bot.settings_modelperf import ModelPerfSettings
from bot.settings_oncall import OncallSettings
from bot.settings_pipelines import PipelineSettings


class AreaSettings(
    OncallSettings,
    IncidentSettings,
    LlmOpsSettings,
    PipelineSettings,
    ModelPerfSettings,
    MaintenanceSettings,
):
    """Every area's settings; `Settings` adds the core ones and the loading."""
