"""New model versions, seen by polling the registry, and their metric diff against what is live.

Versions are immutable and numbered upwards, so "new" is a number above the highest one seen
for the model. `NewVersions.poll()` remembers that number per model (the first poll only
learns it: a restart does not announce every existing version again) and returns one
`NewVersion` per version registered since, compared (`compare.metric_diff`, with each
metric's direction) with the version behind the live alias (production, else champion).
Offering the promotion is the gated `set_model_alias`: `bot/monitors/new_versions.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.registry.compare import MetricDelta, diff_summary, metric_diff
from tools.registry.entities import VersionInfo
from tools.registry.service import ModelRegistry

DEFAULT_ALIAS = "production"


@dataclass(frozen=True)
class NewVersion:
    version: VersionInfo
    alias: str  # the alias a promotion would move
    live: VersionInfo | None  # the version behind it now (None: nothing live yet)
    deltas: tuple[MetricDelta, ...] = ()

    @property
    def name(self) -> str:
        return self.version.name

    def text(self) -> str:
        head = f"New version v{self.version.version} of model {self.name}"
        if self.version.creator:
            head += f" (registered by {self.version.creator})"
        if self.live is None:
            return f"{head}. Nothing is live under {self.alias} yet; no diff."
        lines = [f"{head}, against {self.alias} v{self.live.version}:"]
        lines += [f"• {d.describe()}" for d in self.deltas] or ["• no metrics recorded"]
        summary = diff_summary(list(self.deltas))
        if summary:
            lines.append(f"In short: {summary}.")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.name,
            "version": self.version.version,
            "alias": self.alias,
            "live_version": self.live.version if self.live else None,
            "deltas": [d.to_dict() for d in self.deltas],
        }


@dataclass
class NewVersions:
    registry: ModelRegistry
    seen: dict[str, int] = field(default_factory=dict)  # model -> highest version seen
    started: bool = False  # after the first poll, a model never seen before is new too

    def poll(self) -> list[NewVersion]:
        found: list[NewVersion] = []
        for name in self.registry.model_names():
            versions = sorted(self.registry.versions(name), key=lambda v: v.version)
            last = self.seen.get(name)
            self.seen[name] = max((v.version for v in versions), default=0)
            if last is None and not self.started:
                continue  # the first poll learns where each model is
            found += [self._compare(v) for v in versions if v.version > (last or 0)]
        self.started = True
        return found

    def _compare(self, version: VersionInfo) -> NewVersion:
        alias, live_number = self.registry.live_version(version.name)
        alias = alias or DEFAULT_ALIAS
        if live_number is None or live_number == version.version:
            return NewVersion(version, alias, None)
        live = self.registry.version(version.name, live_number)
        return NewVersion(version, alias, live, tuple(metric_diff(live.metrics, version.metrics)))
