"""The areas that own tables, each with its own Alembic branch.

An area declares its schema in a small `schema.py`: `BRANCH` (its Alembic branch label),
`MIGRATIONS_DIR` (the folder of its revision files) and `tables_module()` (imports its tables
onto `SQLModel.metadata`). The migration environment collects them from `AREAS`: the folders
become Alembic's `version_locations`, the tables its `target_metadata`. A new area adds its
`schema` module here, and its migrations folder to the package data in pyproject.toml.

Importing this module is cheap: it reads no tables and imports no Alembic.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Protocol

from bot.incidents import schema as incidents_schema
from bot.storage import schema as core_schema
from tools.anomaly import schema as anomaly_schema
from tools.changes import schema as changes_schema
from tools.llmops import schema as llmops_schema
from tools.logs import schema as logs_schema
from tools.maintenance import schema as maintenance_schema
from tools.modelperf import schema as modelperf_schema
from tools.oncall import schema as oncall_schema
from tools.prompts import schema as prompts_schema
from tools.registry import schema as registry_schema


class SchemaArea(Protocol):
    """What an area's `schema` module provides."""

    BRANCH: str
    MIGRATIONS_DIR: Path

    def tables_module(self) -> ModuleType: ...


AREAS: tuple[SchemaArea, ...] = (
    core_schema,
    incidents_schema,
    prompts_schema,
    registry_schema,
    changes_schema,
    anomaly_schema,
    logs_schema,
    llmops_schema,
    oncall_schema,
    modelperf_schema,
    maintenance_schema,
)


def version_locations() -> list[Path]:
    """Every area's folder of revision files, in the order of `AREAS`."""
    return [area.MIGRATIONS_DIR for area in AREAS]


def load_tables() -> list[ModuleType]:
    """Import every area's tables, so that `SQLModel.metadata` holds the whole schema."""
    return [area.tables_module() for area in AREAS]
