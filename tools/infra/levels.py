"""ok / warn / crit against a threshold, the same rule for every host figure."""

from __future__ import annotations

from dataclasses import dataclass

OK, WARN, CRIT = "ok", "warn", "crit"
_ORDER = {OK: 0, WARN: 1, CRIT: 2}


@dataclass(frozen=True)
class Thresholds:
    cpu: float = 90.0
    memory: float = 90.0
    disk: float = 90.0
    swap: float = 80.0
    inodes: float = 90.0
    load_per_core: float = 2.0
    warn_margin: float = 10.0  # percentage points below the threshold that count as warn


def level(value: float, threshold: float, margin: float) -> str:
    if value >= threshold:
        return CRIT
    if value >= threshold - margin:
        return WARN
    return OK


def worst(levels: list[str]) -> str:
    return max(levels, key=lambda item: _ORDER[item], default=OK)
