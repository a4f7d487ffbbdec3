"""Error bursts and new error templates, per source: the counts of each template in a check
window against that template's own history (an exponentially weighted mean and variance of
its count per window), pure functions over a JSON-able state.

A burst: an error-level template counted at least `MIN_BURST` times in a window and more than
`SIGMAS` standard deviations above its usual count (with a floor of one per window on the
deviation, so a template that is usually silent needs MIN_BURST, not 1). A new error
template: an error-level template never seen before, once the source has `LEARNING_WINDOWS`
windows of history (the first looks learn what is normal there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from tools.logs.search import LEVELS, level

ALPHA = 0.1  # weight of the newest window in the running mean
SIGMAS = 4.0
MIN_BURST = 5
LEARNING_WINDOWS = 3
ERROR = LEVELS["error"]
MAX_TEMPLATES = 2000  # history kept per source (the least recent are dropped)


@dataclass
class TemplateStats:
    mean: float = 0.0
    var: float = 0.0
    windows: int = 0  # windows since first seen
    level: str | None = None
    sample: str = ""

    def to_json(self) -> list[Any]:
        return [round(self.mean, 6), round(self.var, 6), self.windows, self.level, self.sample]

    @classmethod
    def from_json(cls, data: list[Any]) -> TemplateStats:
        return cls(float(data[0]), float(data[1]), int(data[2]), data[3], str(data[4]))


@dataclass
class Signal:
    kind: str  # "burst" | "new"
    template: str
    count: int
    usual: float
    samples: list[str] = field(default_factory=list)


def _is_error(name: str | None) -> bool:
    return name is not None and LEVELS.get(name, 0) >= ERROR


def judge(
    stats: dict[str, TemplateStats],
    windows: int,
    window: dict[str, list[str]],
) -> list[Signal]:
    """The signals of one window (`window`: template -> its lines, oldest first), then the
    history updated with it. `windows` is how many windows the source had before this one."""
    signals: list[Signal] = []
    for template, lines in window.items():
        seen = stats.get(template)
        found = next((lv for lv in map(level, lines) if lv is not None), None)
        error = _is_error(found) or (seen is not None and _is_error(seen.level))
        count = len(lines)
        if seen is None:
            if error and windows >= LEARNING_WINDOWS:
                signals.append(Signal("new", template, count, 0.0, lines[-3:]))
        elif error:
            spread = max(1.0, math.sqrt(seen.var))
            if count >= MIN_BURST and count > seen.mean + SIGMAS * spread:
                signals.append(Signal("burst", template, count, seen.mean, lines[-3:]))
    for template in set(stats) | set(window):
        count = len(window.get(template, ()))
        current = stats.setdefault(template, TemplateStats())
        if template in window:
            current.level = current.level or next(
                (lv for lv in map(level, window[template]) if lv is not None), None
            )
            current.sample = window[template][-1][:300]
        delta = count - current.mean
        current.mean += ALPHA * delta
        current.var = (1 - ALPHA) * (current.var + ALPHA * delta * delta)
        current.windows += 1
    if len(stats) > MAX_TEMPLATES:
        for template in sorted(stats, key=lambda t: stats[t].mean)[: len(stats) - MAX_TEMPLATES]:
            del stats[template]
    return signals
