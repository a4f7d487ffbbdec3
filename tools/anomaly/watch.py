"""Watching stored series with the streaming detector: feed what arrived since the last look,
open an anomaly at a score over the threshold, close it when the value is back in the range it
was expected in. Pure functions over `SeriesState`; the monitor (bot/monitors/anomaly.py)
reads the samples and stores the states."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from tools.anomaly.states import SeriesState

# NAB's standard profile, the threshold its optimiser picks for this detector on the 35 NAB
# files (bench/anomaly.py; docs/anomaly.md): one configuration for every series.
ALERT_THRESHOLD = 0.078


@dataclass(frozen=True)
class Verdict:
    """Where one series stands after the latest look."""

    series: str
    at: datetime | None  # the newest sample seen (None: none yet)
    value: float | None
    learning: bool
    seen: int  # values learned from so far
    learning_points: int
    anomalous_since: datetime | None
    band: tuple[float, float] | None  # the expected range when it alerted
    score: float  # the highest score among the values fed this time

    @property
    def anomalous(self) -> bool:
        return self.anomalous_since is not None


def feed(
    state: SeriesState, samples: list[tuple[datetime, float]], threshold: float = ALERT_THRESHOLD
) -> Verdict:
    """Feed the samples newer than the state's last one (in time order), updating the state."""
    latest: tuple[datetime, float] | None = None
    top = 0.0
    for at, value in sorted(samples):
        if state.last_at is not None and at <= state.last_at:
            continue
        point = state.detector.update(at.timestamp(), value)
        state.last_at = at
        if point.gap:
            continue
        latest = (at, value)
        top = max(top, point.score)
        if state.anomalous_since is None:
            if not point.learning and point.score >= threshold:
                state.anomalous_since = at
                low, high = point.expected_low, point.expected_high
                state.band = (low, high) if math.isfinite(low) and math.isfinite(high) else None
        elif state.band is None or state.band[0] <= value <= state.band[1]:
            state.anomalous_since, state.band = None, None
    if latest is None:  # nothing new: where it stands is its newest stored value
        finite = [(at, v) for at, v in samples if math.isfinite(v)]
        latest = max(finite) if finite else None
    detector = state.detector
    return Verdict(
        series=state.series,
        at=latest[0] if latest else state.last_at,
        value=latest[1] if latest else None,
        learning=detector.learning,
        seen=detector.seen,
        learning_points=detector.config.learning_points,
        anomalous_since=state.anomalous_since,
        band=state.band,
        score=top,
    )
