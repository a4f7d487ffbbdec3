"""The registry's tables.

`registered_model`, `model_version` and `model_alias` hold the built-in registry (unused
when MLflow is the backend). `alias_change`, `drift_source` and `drift_report` always live
in opsbot's database, whatever the backend: MLflow keeps no alias history
(mlflow/mlflow#2169) and no drift results. Those three are keyed by `registry` (the
backend's key) and the model name, not by a foreign key, because MLflow's models are not
rows here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow


class RegisteredModelRow(SQLModel, table=True):
    """A registered model of the built-in registry."""

    __tablename__ = "registered_model"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True, index=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    tags: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ModelVersionRow(SQLModel, table=True):
    """An immutable version of a built-in registered model."""

    __tablename__ = "model_version"
    __table_args__ = (UniqueConstraint("model_id", "version", name="uq_model_version_number"),)

    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="registered_model.id", index=True)
    version: int
    source: str = Field(max_length=1000)
    run_id: str | None = Field(default=None, max_length=64)
    logged_model_id: str | None = Field(default=None, max_length=80)
    params: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    metrics: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    tags: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="READY", max_length=32)
    status_message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    creator: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class ModelAliasRow(SQLModel, table=True):
    """alias -> version of a built-in model (one version per alias)."""

    __tablename__ = "model_alias"
    __table_args__ = (UniqueConstraint("model_id", "alias", name="uq_model_alias"),)

    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="registered_model.id", index=True)
    alias: str = Field(max_length=255)
    version: int
    updated_at: datetime = Field(default_factory=utcnow)


class AliasChangeRow(SQLModel, table=True):
    """One move of an alias: who, from which version to which, why, when.

    kind is "set" (moved to a chosen version), "rollback" (moved back one step) or "delete".
    """

    __tablename__ = "alias_change"
    __table_args__ = (Index("ix_alias_change_lookup", "registry", "model", "alias", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    registry: str = Field(max_length=300)
    model: str = Field(max_length=200)
    alias: str = Field(max_length=255)
    from_version: int | None = None
    to_version: int | None = None
    kind: str = Field(default="set", max_length=16)
    actor: str = Field(max_length=200)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    approval_id: str | None = Field(default=None, max_length=64)
    at: datetime = Field(default_factory=utcnow)


class DriftSourceRow(SQLModel, table=True):
    """Where a model version's reference and current data come from, and how to compare them.

    reference / current are `tools.registry.drift.DataSource.to_dict()`; options are
    `DriftOptions` fields (e.g. the feature columns).
    """

    __tablename__ = "drift_source"
    __table_args__ = (
        UniqueConstraint("registry", "model", "version", name="uq_drift_source_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    registry: str = Field(max_length=300)
    model: str = Field(max_length=200)
    version: int
    reference: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    current: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_by: str = Field(default="", max_length=200)
    updated_at: datetime = Field(default_factory=utcnow)


class DriftReportRow(SQLModel, table=True):
    """One stored drift run: the headline figures as columns, the full report as JSON
    (per feature: test, statistic, threshold, decision, summary, histogram)."""

    __tablename__ = "drift_report"
    __table_args__ = (Index("ix_drift_report_lookup", "registry", "model", "version", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    registry: str = Field(max_length=300)
    model: str = Field(max_length=200)
    version: int
    created_at: datetime = Field(default_factory=utcnow)
    dataset_drift: bool
    drift_share: float
    n_features: int
    n_drifted: int
    severity: str = Field(max_length=16)
    fingerprint: str = Field(max_length=64)
    trigger: str = Field(default="manual", max_length=32)
    actor: str = Field(default="", max_length=200)
    report: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
