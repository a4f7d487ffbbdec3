"""Disk fill-rate forecast: a least-squares line through recent used-bytes samples.

"/var full in 3 h" is only claimed when the trend is real: enough samples over enough time,
a rising slope, and a good fit (R²), so the noise of a busy disk does not page anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Forecast:
    slope_bytes_per_second: float
    seconds_to_full: float
    r2: float
    samples: int
    span_seconds: float

    @property
    def hours_to_full(self) -> float:
        return self.seconds_to_full / 3600


def linear_fit(points: list[tuple[float, float]]) -> tuple[float, float, float]:
    """(slope, intercept, r²) of y over x by least squares."""
    n = len(points)
    if n < 2:
        raise ValueError("need at least two points")
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    syy = sum((y - mean_y) ** 2 for _, y in points)
    if sxx == 0:
        raise ValueError("all points share one x value")
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    r2 = (sxy * sxy) / (sxx * syy) if syy > 0 else 0.0
    return slope, intercept, r2


def forecast_full(
    samples: list[tuple[datetime, float]],
    free_bytes: float,
    *,
    min_samples: int = 6,
    min_span_seconds: float = 300.0,
    min_r2: float = 0.6,
) -> Forecast | None:
    """When the disk fills at the recent rate, or None when there is no real upward trend.

    `samples` are (time, used bytes), any order; `free_bytes` is free space now.
    """
    if len(samples) < min_samples:
        return None
    ordered = sorted(samples)
    start = ordered[0][0]
    span = (ordered[-1][0] - start).total_seconds()
    if span < min_span_seconds:
        return None
    points = [((t - start).total_seconds(), used) for t, used in ordered]
    try:
        slope, _intercept, r2 = linear_fit(points)
    except ValueError:
        return None
    if slope <= 0 or r2 < min_r2:
        return None
    return Forecast(slope, max(0.0, free_bytes) / slope, r2, len(ordered), span)
