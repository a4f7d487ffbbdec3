"""NAB's per-point scoring, as `nab/sweeper.py` defines it (numenta/NAB, commit ea702d75).

For one file and one cost profile every point gets a *sweep score*: inside an anomaly window
the scaled sigmoid of its position (a detection at the window's left edge is worth `tpWeight`,
one at the right edge nothing); outside a window the scaled sigmoid of its distance past the
previous window times `fpWeight` (a false positive far from any window costs `fpWeight`).
Points in the probationary period (the first `min(floor(0.15 n), 750)` rows) are not scored.

A threshold turns anomaly scores into detections (`score >= threshold`). The file's raw score at
that threshold is: the sum of the sweep scores of the detections outside windows, plus per
window the best sweep score of its detections, or `-fnWeight` for a window with none.
NAB sums this over files (windows are named per file) both to optimise one threshold for a
whole corpus and to score each file at that threshold; `score_by_threshold` and
`score_at_threshold` are those two, vectorised with numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from core.errors import Invalid

PROBATION_PERCENT = 0.15
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class CostMatrix:
    """One NAB application profile (`config/profiles.json`)."""

    name: str
    tp_weight: float
    fp_weight: float
    fn_weight: float


def scaled_sigmoid(position: FloatArray) -> FloatArray:
    """NAB's `scaledSigmoid`: 2·σ(−5x) − 1, and −1 beyond x > 3 (far past a window)."""
    with np.errstate(over="ignore"):
        values = 2.0 / (1.0 + np.exp(5.0 * position)) - 1.0
    return np.where(position > 3.0, -1.0, values)


MAX_TP = float(scaled_sigmoid(np.array([-1.0]))[0])


def probation_length(rows: int, percent: float = PROBATION_PERCENT) -> float:
    """NAB's `getProbationPeriod`: rows before this index are not scored."""
    return min(math.floor(percent * rows), percent * 5000)


@dataclass(frozen=True)
class FileSweep:
    """One file's scorable points for one profile: anomaly score, sweep score, window."""

    name: str
    rows: int
    anomaly: FloatArray  # anomaly score of each scorable point
    sweep: FloatArray  # its weighted sweep score
    window: IntArray  # window number within the file, -1 outside windows
    windows: int  # windows with at least one scorable point
    fn_weight: float


def sweep_file(
    name: str,
    anomaly_scores: FloatArray,
    windows: list[tuple[int, int]],
    cost: CostMatrix,
    probation_percent: float = PROBATION_PERCENT,
) -> FileSweep:
    """NAB's `calcSweepScore` for one file. `windows` are (first, last) row indices, sorted."""
    rows = len(anomaly_scores)
    index = np.arange(rows, dtype=np.float64)
    unweighted = np.full(rows, -1.0)  # before the first window: as far from one as can be
    in_window = np.full(rows, -1, dtype=np.int64)
    previous_end = -1
    for number, (first, last) in enumerate(windows):
        if not 0 <= first <= last < rows or first <= previous_end:
            raise Invalid(f"{name}: anomaly window {number} ({first}..{last}) is out of order")
        width = float(last - first + 1)
        inside = slice(first, last + 1)
        unweighted[inside] = scaled_sigmoid(-(last - index[inside] + 1) / width)
        in_window[inside] = number
        following = windows[number + 1][0] if number + 1 < len(windows) else rows
        if following > last + 1:
            if width <= 1:
                raise Invalid(f"{name}: anomaly window {number} is one row wide")
            after = slice(last + 1, following)
            unweighted[after] = scaled_sigmoid(np.abs(last - index[after]) / (width - 1))
        previous_end = last
    weighted = np.where(
        in_window >= 0, unweighted * cost.tp_weight / MAX_TP, unweighted * cost.fp_weight
    )
    start = probation_length(rows, probation_percent)
    scorable = index >= start
    scored_windows = np.unique(in_window[scorable & (in_window >= 0)])
    return FileSweep(
        name=name,
        rows=rows,
        anomaly=np.asarray(anomaly_scores, dtype=np.float64)[scorable],
        sweep=weighted[scorable],
        window=in_window[scorable],
        windows=len(scored_windows),
        fn_weight=cost.fn_weight,
    )


@dataclass(frozen=True)
class ThresholdScore:
    """A file's raw score and confusion counts at one threshold (a row of NAB's scores CSV)."""

    threshold: float
    score: float
    tp: int
    tn: int
    fp: int
    fn: int
    total: int


def score_at_threshold(sweep: FileSweep, threshold: float) -> ThresholdScore:
    """The file's raw NAB score with detections `anomaly >= threshold` (NAB's `scoreDataSet`)."""
    detected = sweep.anomaly >= threshold
    outside = sweep.window < 0
    false_alarms = float(sweep.sweep[detected & outside].sum())
    best: dict[int, float] = {}
    hits = detected & ~outside
    for window, value in zip(sweep.window[hits].tolist(), sweep.sweep[hits].tolist(), strict=True):
        best[window] = max(best.get(window, -sweep.fn_weight), value)
    missed = sweep.windows - len(best)
    score = false_alarms + sum(best.values()) - missed * sweep.fn_weight
    tp = int((detected & ~outside).sum())
    fp = int((detected & outside).sum())
    return ThresholdScore(
        threshold=threshold,
        score=score,
        tp=tp,
        tn=int(outside.sum()) - fp,
        fp=fp,
        fn=int((~outside).sum()) - tp,
        total=sweep.rows,
    )


def score_by_threshold(sweeps: list[FileSweep]) -> tuple[FloatArray, FloatArray]:
    """NAB's `calcScoreByThreshold` over several files at once: every distinct anomaly score
    as a threshold (highest first, after 1.1 = no detection) and the summed raw score there."""
    anomaly = np.concatenate([s.anomaly for s in sweeps])
    sweep = np.concatenate([s.sweep for s in sweeps])
    offset = 0
    window_ids = []
    for s in sweeps:
        window_ids.append(np.where(s.window >= 0, s.window + offset, -1))
        offset += int(s.window.max(initial=-1)) + 1
    window = np.concatenate(window_ids)
    fn_weight = sweeps[0].fn_weight if sweeps else 0.0
    base = -fn_weight * sum(s.windows for s in sweeps)
    order = np.argsort(-anomaly, kind="stable")
    anomaly, sweep, window = anomaly[order], sweep[order], window[order]

    gain = np.where(window < 0, sweep, 0.0)
    # inside a window only the best detection counts: a point adds what it raises the max by
    inside = np.flatnonzero(window >= 0)
    if inside.size:
        ids = window[inside]
        by_window = np.argsort(ids, kind="stable")  # keeps the descending-score order per window
        grouped_ids = ids[by_window]
        values = sweep[inside][by_window]
        running = _grouped_running_max(values, grouped_ids, floor=-fn_weight)
        first = np.r_[True, grouped_ids[1:] != grouped_ids[:-1]]
        previous = np.where(first, -fn_weight, np.r_[0.0, running[:-1]])
        gain[inside[by_window]] = running - previous
    totals = base + np.cumsum(gain)
    last_of_value = np.r_[anomaly[1:] != anomaly[:-1], True] if anomaly.size else np.array([])
    thresholds = np.r_[1.1, anomaly[last_of_value.astype(bool)]]
    scores = np.r_[base, totals[last_of_value.astype(bool)]]
    return thresholds, scores


def _grouped_running_max(values: FloatArray, groups: IntArray, floor: float) -> FloatArray:
    """Running maximum of `values` restarting at each new group, never below `floor`."""
    out = np.empty_like(values)
    current, previous_group = floor, None
    for i, (value, group) in enumerate(zip(values.tolist(), groups.tolist(), strict=True)):
        if group != previous_group:
            current, previous_group = floor, group
        current = max(current, value)
        out[i] = current
    return out


def best_threshold(sweeps: list[FileSweep]) -> tuple[float, float]:
    """NAB's `optimizeThreshold`: the threshold with the highest summed raw score (the highest
    such threshold on a tie, as NAB's stable sort keeps the first)."""
    thresholds, scores = score_by_threshold(sweeps)
    best = int(np.argmax(scores))
    return float(thresholds[best]), float(scores[best])
