"""What the prompt registry hands out: versions, prompt summaries, label changes and plans,
and the file form of prompts (export/import documents)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.clock import iso
from tools.prompts.diffing import PromptDiff, Side
from tools.prompts.templates import Kind, Template, render

PRODUCTION = "production"
LATEST = "latest"


@dataclass(frozen=True)
class VersionView:
    """One immutable version as people and applications see it."""

    name: str
    version: int
    kind: Kind
    template: Template
    variables: tuple[str, ...]
    config: dict[str, Any]
    message: str
    author: str
    sha256: str
    created_at: datetime
    labels: tuple[str, ...] = ()
    deleted: bool = False

    def render(self, values: Mapping[str, Any]) -> Template:
        return render(self.kind, self.template, list(self.variables), values)

    def side(self, ref: str) -> Side:
        return Side(
            self.name, self.version, ref, self.kind, self.template, self.config, self.sha256
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "type": self.kind,
            "template": self.template,
            "variables": list(self.variables),
            "config": self.config,
            "message": self.message,
            "author": self.author,
            "sha256": self.sha256,
            "created_at": iso(self.created_at),
            "labels": list(self.labels),
            "deleted": self.deleted,
        }


@dataclass(frozen=True)
class PromptSummary:
    name: str
    description: str
    tags: tuple[str, ...]
    versions: int
    latest: int | None
    labels: dict[str, int]
    updated_at: datetime
    created_by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "tags": list(self.tags),
            "versions": self.versions,
            "latest": self.latest,
            "labels": dict(self.labels),
            "updated_at": iso(self.updated_at),
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class LabelChange:
    name: str
    label: str
    from_version: int | None
    to_version: int | None
    kind: str
    actor: str
    reason: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "kind": self.kind,
            "actor": self.actor,
            "reason": self.reason,
            "at": iso(self.at),
        }


@dataclass(frozen=True)
class LabelPlan:
    """What a label move would do: the dry run an approver reads."""

    name: str
    label: str
    current: int | None  # the version the label holds now (None: the label does not exist)
    target: int
    rollback: bool
    diff: PromptDiff | None  # target against the current holder (None for a new label)

    def summary(self) -> str:
        what = "Roll back" if self.rollback else "Move"
        if self.current is None:
            return f"Create label {self.label} of {self.name} on v{self.target} (new label)"
        return f"{what} {self.label} of {self.name} from v{self.current} to v{self.target}"


@dataclass
class VersionDoc:
    """A version as exported to (and imported from) a file."""

    version: int
    kind: Kind
    template: Template
    config: dict[str, Any]
    message: str
    author: str
    created_at: datetime
    sha256: str
    variables: list[str] = field(default_factory=list)
    deleted_at: datetime | None = None
    deleted_by: str | None = None


@dataclass
class PromptDoc:
    """A whole prompt as exported to (and imported from) a file."""

    name: str
    description: str
    tags: list[str]
    created_by: str
    created_at: datetime
    labels: dict[str, int]
    versions: list[VersionDoc]


@dataclass
class ImportReport:
    prompts_created: list[str] = field(default_factory=list)
    versions_added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        if self.prompts_created:
            out.append("created: " + ", ".join(self.prompts_created))
        if self.versions_added:
            out.append("new versions: " + ", ".join(self.versions_added))
        if self.unchanged:
            out.append("already up to date: " + ", ".join(self.unchanged))
        out.extend(self.notes)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompts_created": self.prompts_created,
            "versions_added": self.versions_added,
            "unchanged": self.unchanged,
            "notes": self.notes,
        }
