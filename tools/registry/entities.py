"""What a registry backend returns and the operations it offers.

Both backends (the built-in SQL store and MLflow) speak this small contract; the
`ModelRegistry` service adds what neither has: alias history, rollback, drift reports.
Versions are integers; aliases map to exactly one version per model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from core.clock import iso


@dataclass
class VersionInfo:
    """One immutable model version (MLflow's ModelVersion, with its run's params and metrics)."""

    name: str
    version: int
    source: str
    status: str
    run_id: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    description: str = ""
    creator: str | None = None
    created_at: datetime | None = None
    status_message: str | None = None
    aliases: list[str] = field(default_factory=list)
    #: the MLflow 3 logged model this version was registered from (m-<id>), if any
    model_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "status": self.status,
            "status_message": self.status_message,
            "run_id": self.run_id,
            "model_id": self.model_id,
            "params": dict(self.params),
            "metrics": dict(self.metrics),
            "tags": dict(self.tags),
            "description": self.description,
            "creator": self.creator,
            "created_at": iso(self.created_at),
            "aliases": list(self.aliases),
        }


@dataclass
class ModelInfo:
    """A registered model: name, description, tags, its aliases and version count."""

    name: str
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    latest_version: int | None = None
    n_versions: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "tags": dict(self.tags),
            "aliases": dict(self.aliases),
            "latest_version": self.latest_version,
            "n_versions": self.n_versions,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


@dataclass(frozen=True)
class NewVersion:
    """What registering a version needs (already validated by the service)."""

    source: str
    run_id: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    description: str = ""
    creator: str | None = None
    status: str = "READY"
    #: MLflow 3 logged model (m-<id>) the version is promoted from
    model_id: str | None = None


class RegistryBackend(Protocol):
    """Where models, versions and the current alias mapping live.

    Every method raises `RegistryError` with a clear message for unknown names; none of
    them records history (the service does).
    """

    #: stable key of this registry, used to keep alias history and drift reports apart
    key: str
    #: "builtin" or "mlflow", for people
    kind: str

    def describe(self) -> str: ...

    def model_names(self) -> list[str]: ...

    def list_models(self, filter_text: str | None = None) -> list[ModelInfo]: ...

    def get_model(self, name: str) -> ModelInfo: ...

    def list_versions(self, name: str) -> list[VersionInfo]:
        """Newest first."""
        ...

    def get_version(self, name: str, version: int) -> VersionInfo: ...

    def get_alias(self, name: str, alias: str) -> int | None: ...

    def set_alias(self, name: str, alias: str, version: int) -> None: ...

    def delete_alias(self, name: str, alias: str) -> None: ...

    def create_model(
        self, name: str, description: str = "", tags: dict[str, str] | None = None
    ) -> ModelInfo: ...

    def update_model(
        self, name: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> ModelInfo: ...

    def create_version(self, name: str, new: NewVersion) -> VersionInfo: ...

    def close(self) -> None: ...
