"""Nearest-rank percentiles, the one definition the evaluation report and the LLM call
metrics share."""

from __future__ import annotations

from collections.abc import Sequence


def nearest_rank(ordered: Sequence[float], pct: float) -> float:
    """The nearest-rank `pct` percentile (0 < pct <= 100) of ascending, non-empty values:
    the value at rank ceil(n * pct / 100), at least the first."""
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil, without a float product's error
    return ordered[int(rank) - 1]
