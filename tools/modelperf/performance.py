"""A model version's performance over windows: realised where the outcomes are in, estimated
where they are not, each against the version's reference.

The reference period is the version's first `reference` of predictions (by their timestamps):
the estimators (tools/modelperf/estimate.py) are fitted on its labelled rows, and a metric the
registry version does not carry (`VersionInfo.metrics`, under the usual names) takes its
value there. The windows follow it, `window` long each, up to the latest prediction; the last
`max_windows` are reported. A window with fewer than `min_labelled` outcomes has no realised
figures ("not enough outcomes yet: n of m"), only estimates. A window is a drop when a
metric's interval lies wholly on the worse side of the reference, past a relative
`tolerance`: realised (bootstrap interval) first, else estimated (± 3 sampling errors). The
calibration error is shown but not judged (`JUDGED`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from core.clock import iso
from core.errors import NotFound
from tools.modelperf.estimate import CBPE, DLE, CannotEstimate
from tools.modelperf.metrics import (
    CLASSIFICATION,
    CLASSIFICATION_METRICS,
    LOWER_IS_BETTER,
    REGRESSION,
    REGRESSION_METRICS,
    Estimate,
    realised,
    reference_value,
    task_of,
)
from tools.modelperf.options import Options
from tools.modelperf.store import PredictionStore, Stored

# the calibration error is reported, not judged: on a window of a few hundred rows its
# binned estimate is biased upwards, so it would be "worse" than any large reference period
JUDGED = {"mae", "rmse", "accuracy", "precision", "recall", "auc"}


@dataclass
class Drop:
    metric: str
    value: float
    low: float
    high: float
    reference: float
    estimated: bool

    def text(self) -> str:
        how = "estimated" if self.estimated else "realised"
        return (
            f"{how} {self.metric} {self.value:.4g} [{self.low:.4g}, {self.high:.4g}] "
            f"vs reference {self.reference:.4g}"
        )


@dataclass
class Window:
    start: datetime
    end: datetime
    rows: int
    labelled: int
    realised: list[Estimate] = field(default_factory=list)
    estimated: list[Estimate] = field(default_factory=list)
    note: str = ""
    drops: list[Drop] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": iso(self.start),
            "end": iso(self.end),
            "rows": self.rows,
            "labelled": self.labelled,
            "realised": [e.to_dict() for e in self.realised],
            "estimated": [e.to_dict() for e in self.estimated],
            "note": self.note,
            "drops": [d.__dict__ for d in self.drops],
        }


@dataclass
class Report:
    model: str
    version: int
    task: str
    reference: dict[str, float]  # metric -> reference value
    reference_source: dict[str, str]  # metric -> "registry" | "reference period"
    reference_period: tuple[datetime, datetime]
    windows: list[Window]
    estimator: str = ""  # "CBPE" | "DLE" | why there is none

    @property
    def latest(self) -> Window | None:
        return self.windows[-1] if self.windows else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "task": self.task,
            "reference": self.reference,
            "reference_source": self.reference_source,
            "reference_period": [iso(t) for t in self.reference_period],
            "estimator": self.estimator,
            "windows": [w.to_dict() for w in self.windows],
        }

    def text(self) -> str:
        start, end = self.reference_period
        refs = ", ".join(
            f"{m} {v:.4g} ({self.reference_source[m]})" for m, v in self.reference.items()
        )
        lines = [
            f"{self.model} v{self.version} ({self.task}); reference {iso(start)} to {iso(end)}: "
            f"{refs or 'none'}; estimates: {self.estimator}"
        ]
        for w in self.windows:
            head = f"{iso(w.start)}: {w.rows} predictions, {w.labelled} outcomes"
            parts = [f"{e.metric} {e.value:.4g} [{e.low:.4g}, {e.high:.4g}]" for e in w.realised]
            est = [f"{e.metric}~{e.value:.4g} [{e.low:.4g}, {e.high:.4g}]" for e in w.estimated]
            body = "; ".join(
                x for x in ("realised " + ", ".join(parts) if parts else w.note,
                            "estimated " + ", ".join(est) if est else "") if x
            )  # fmt: skip
            flag = f"  DROP: {'; '.join(d.text() for d in w.drops)}" if w.drops else ""
            lines.append(f"- {head}: {body}{flag}")
        return "\n".join(lines)


def _arrays(rows: list[Stored]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    y = np.array([r.actual for r in rows], dtype=float)
    p = np.array([r.prediction for r in rows], dtype=float)
    scores = [r.score for r in rows]
    s = np.array(scores, dtype=float) if rows and all(v is not None for v in scores) else None
    return y, p, s


def _worse(metric: str, e: Estimate, ref: float, tolerance: float) -> bool:
    margin = abs(ref) * tolerance
    if metric in LOWER_IS_BETTER:
        return e.low > ref + margin
    return e.high < ref - margin


def _fit(task: str, labelled: list[Stored]) -> tuple[CBPE | DLE | None, str]:
    y, p, s = _arrays(labelled)
    try:
        if task == CLASSIFICATION:
            if s is None:
                return None, "none (CBPE needs a score on every prediction)"
            return CBPE.fit(y, p, s), "CBPE"
        return DLE.fit([r.features for r in labelled], p, y), "DLE"
    except CannotEstimate as exc:
        return None, f"none ({exc})"


def _estimates(estimator: CBPE | DLE | None, rows: list[Stored]) -> list[Estimate]:
    if estimator is None or not rows:
        return []
    _, p, s = _arrays(rows)
    if isinstance(estimator, CBPE):
        return estimator.estimate(p, s) if s is not None else []
    return estimator.estimate([r.features for r in rows], p)


def performance(
    store: PredictionStore,
    model: str,
    version: int,
    reference_metrics: dict[str, float],
    options: Options = Options(),
) -> Report:
    """The report of `model` `version`; NotFound when it has no stored predictions."""
    rows = store.rows(model, version=version)
    if not rows:
        raise NotFound(f"no predictions of {model} v{version} are stored yet")
    scored = all(r.score is not None for r in rows)
    binary = all(r.prediction in (0.0, 1.0) for r in rows)
    task = task_of(reference_metrics, scored, binary)
    first = rows[0].ts
    ref_end = first + options.reference
    reference_rows = [r for r in rows if r.ts < ref_end]
    ref_labelled = [r for r in reference_rows if r.actual is not None]
    estimator, how = _fit(task, ref_labelled)
    ref_values, ref_source = _reference(task, reference_metrics, ref_labelled)
    windows: list[Window] = []
    later = [r for r in rows if r.ts >= ref_end]
    if later:
        count = math.floor((later[-1].ts - ref_end) / options.window) + 1
        first_k = max(0, count - options.max_windows)
        buckets: dict[int, list[Stored]] = {}
        for r in later:
            k = math.floor((r.ts - ref_end) / options.window)
            if k >= first_k:
                buckets.setdefault(k, []).append(r)
        for k in range(first_k, count):
            start = ref_end + k * options.window
            windows.append(_window(task, buckets.get(k, []), start, options, estimator, ref_values))
    return Report(
        model, version, task, ref_values, ref_source, (first, ref_end), windows, estimator=how
    )


def _reference(
    task: str, registry: dict[str, float], labelled: list[Stored]
) -> tuple[dict[str, float], dict[str, str]]:
    values: dict[str, float] = {}
    source: dict[str, str] = {}
    period: dict[str, float] = {}
    if labelled:
        y, p, s = _arrays(labelled)
        period = {e.metric: e.value for e in realised(task, y, p, s, resamples=0)[0]}
    for metric in REGRESSION_METRICS if task == REGRESSION else CLASSIFICATION_METRICS:
        value = reference_value(metric, registry)
        if value is not None:
            values[metric], source[metric] = value, "registry"
        elif metric in period and math.isfinite(period[metric]):
            values[metric], source[metric] = period[metric], "reference period"
    return values, source


def _window(
    task: str,
    rows: list[Stored],
    start: datetime,
    options: Options,
    estimator: CBPE | DLE | None,
    reference: dict[str, float],
) -> Window:
    labelled = [r for r in rows if r.actual is not None]
    w = Window(start, start + options.window, len(rows), len(labelled))
    w.estimated = _estimates(estimator, rows)
    if len(labelled) >= options.min_labelled:
        y, p, s = _arrays(labelled)
        w.realised, skipped = realised(task, y, p, s)
        if skipped:
            w.note = "; ".join(f"{m}: {why}" for m, why in skipped.items())
        figures, estimated = w.realised, False
    else:
        w.note = f"not enough outcomes yet: {len(labelled)} of {options.min_labelled}"
        figures, estimated = w.estimated, True
    for e in figures:
        if e.metric not in JUDGED:
            continue
        ref = reference.get(e.metric)
        if ref is not None and _worse(e.metric, e, ref, options.tolerance):
            w.drops.append(Drop(e.metric, e.value, e.low, e.high, ref, estimated))
    return w
