"""The options of a performance report (tools/modelperf/performance.py), apart so that building
the service imports neither numpy nor scikit-learn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.clock import parse_window


@dataclass(frozen=True)
class Options:
    window: timedelta = timedelta(days=1)
    reference: timedelta = timedelta(days=7)
    min_labelled: int = 100
    max_windows: int = 14
    tolerance: float = 0.05

    @classmethod
    def parse(cls, window: str, reference: str, min_labelled: int, tolerance: float) -> Options:
        """From the settings' texts (`1d`, `7d`); Invalid for a window it cannot read."""
        return cls(parse_window(window), parse_window(reference), min_labelled, tolerance=tolerance)
