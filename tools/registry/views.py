"""What the model registry answers with: the live alias of a model (`live_of`), a drift
outcome, the dry run of an alias move (`AliasPlan`, with the text the approver reads) and a
model's status."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.clock import iso
from tools.registry.compare import MetricDelta, diff_summary
from tools.registry.drift import DriftReport
from tools.registry.drift_store import DriftSpec, StoredReport
from tools.registry.entities import ModelInfo, VersionInfo
from tools.registry.history import AliasChange

PRODUCTION = "production"
# Which alias means "what is live", in order of preference, when none is named.
LIVE_ALIASES = ("production", "champion")


def live_of(aliases: Mapping[str, int]) -> tuple[str | None, int | None]:
    """(alias, version) of what is live among a model's aliases: production, else champion,
    else (None, None)."""
    for alias in LIVE_ALIASES:
        if alias in aliases:
            return alias, aliases[alias]
    return None, None


@dataclass
class DriftOutcome:
    """A drift report for one version, and whether it was read from storage or run now."""

    stored: StoredReport
    reused: bool
    spec: DriftSpec

    @property
    def report(self) -> DriftReport:
        return self.stored.report


@dataclass
class AliasPlan:
    """The dry run of an alias move: what would change, and what a reviewer should know."""

    model: str
    alias: str
    current: int | None
    target: int
    rollback: bool
    target_version: VersionInfo
    current_version: VersionInfo | None
    deltas: list[MetricDelta]
    drift: StoredReport | None
    drift_note: str
    stack: list[int] = field(default_factory=list)
    current_drift: StoredReport | None = None  # the latest drift report of the current holder

    def text(self) -> str:
        old = f"v{self.current}" if self.current is not None else "(unset)"
        how = "roll back one step" if self.rollback else "set"
        lines = [
            f"Move {self.alias} of {self.model} from {old} to v{self.target} ({how}).",
        ]
        if self.rollback and self.stack:
            lines.append("History of this alias: " + " → ".join(f"v{v}" for v in self.stack))
        tv = self.target_version
        lines.append(
            f"Target v{self.target}: {tv.status}, registered {iso(tv.created_at) or '?'}"
            + (f" by {tv.creator}" if tv.creator else "")
            + f", source {tv.source}"
        )
        if self.current_version is not None:
            summary = diff_summary(self.deltas)
            head = f"Metrics of v{self.target} vs v{self.current} (current {self.alias})"
            lines.append(head + (f": {summary}" if summary else "") + ":")
            lines.extend(f"• {d.describe()}" for d in self.deltas)
            if not self.deltas:
                lines.append("• neither version has metrics recorded")
        else:
            metrics = ", ".join(f"{k} {v:g}" for k, v in tv.metrics.items()) or "none recorded"
            lines.append(f"No current holder to compare with; v{self.target} metrics: {metrics}")
        lines.append(f"Drift of v{self.target}: {self.drift_note}")
        note = self.input_drift_note()
        if note:
            lines.append(note)
        return "\n".join(lines)

    def input_drift_note(self) -> str | None:
        """When the current holder's inputs drift: a move to another version will not fix
        that, since every version is fed the same inputs."""
        held = self.current_drift
        if held is None or not held.dataset_drift or self.current is None:
            return None
        how = "a rollback" if self.rollback else "moving the alias"
        return (
            f"Note: v{self.current} (current {self.alias}) has input drift "
            f"({held.headline()}); {how} will not fix input drift: v{self.target} sees the "
            "same inputs."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "alias": self.alias,
            "from_version": self.current,
            "to_version": self.target,
            "rollback": self.rollback,
            "metric_diff": [d.to_dict() for d in self.deltas],
            "drift": self.drift.to_dict() if self.drift else None,
            "drift_note": self.drift_note,
            "current_drift": self.current_drift.to_dict() if self.current_drift else None,
            "history": list(self.stack),
        }


@dataclass
class ModelStatus:
    model: ModelInfo
    versions: list[VersionInfo]
    live_alias: str | None
    live_version: int | None
    comparisons: dict[int, list[MetricDelta]]
    drift: dict[int, StoredReport]
    history: list[AliasChange]
