"""Realised performance of labelled predictions, with confidence intervals (scikit-learn's metrics).

Regression: MAE and RMSE. Binary classification: accuracy, precision, recall (of class 1),
AUC (needs scores and both classes) and calibration error (expected calibration error over
`ECE_BINS` equal-width bins of the score). Each value comes with a 95% percentile bootstrap
interval: `BOOTSTRAP_RESAMPLES` resamples of the window's rows drawn with a fixed seed, so the
same rows always give the same interval. A metric that cannot be computed on a window (AUC
with one class only, precision with no positive prediction) is left out, with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    mean_absolute_error,
    precision_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)

REGRESSION, CLASSIFICATION = "regression", "classification"
REGRESSION_METRICS = ("mae", "rmse")
CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "auc", "calibration_error")
LOWER_IS_BETTER = {"mae", "rmse", "calibration_error"}
BOOTSTRAP_RESAMPLES = 200
SEED = 20261203
LEVEL = 0.95
ECE_BINS = 10
# the names a registry version's metrics may carry for ours (MLflow runs log many spellings)
ALIASES = {
    "mae": ("mae", "mean_absolute_error", "val_mae", "test_mae"),
    "rmse": ("rmse", "root_mean_squared_error", "val_rmse", "test_rmse"),
    "accuracy": ("accuracy", "acc", "val_accuracy", "test_accuracy"),
    "precision": ("precision", "precision_score", "val_precision", "test_precision"),
    "recall": ("recall", "recall_score", "val_recall", "test_recall"),
    "auc": ("auc", "roc_auc", "roc_auc_score", "val_auc", "test_auc", "val_roc_auc"),
    "calibration_error": ("calibration_error", "ece", "expected_calibration_error"),
}


@dataclass(frozen=True)
class Estimate:
    """A metric's value on a window and its interval (`low`, `high`; the bootstrap's, or
    the estimator's ±3 sampling errors for an estimate)."""

    metric: str
    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "value": self.value, "low": self.low, "high": self.high}


def calibration_error(y_true: np.ndarray, score: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error: the row-weighted mean |mean score - share of 1s| over
    equal-width score bins."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(score, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(float(score[mask].mean()) - float(y_true[mask].mean()))
    return total


Metric = Callable[[np.ndarray, np.ndarray, np.ndarray | None], float]


def _metric(name: str) -> Metric:
    def needs_score(s: np.ndarray | None) -> np.ndarray:
        if s is None:
            raise ValueError("needs scores (probability of class 1)")
        return s

    table: dict[str, Metric] = {
        "mae": lambda y, p, s: float(mean_absolute_error(y, p)),
        "rmse": lambda y, p, s: float(root_mean_squared_error(y, p)),
        "accuracy": lambda y, p, s: float(accuracy_score(y, p)),
        "precision": lambda y, p, s: float(precision_score(y, p, zero_division=np.nan)),
        "recall": lambda y, p, s: float(recall_score(y, p, zero_division=np.nan)),
        "auc": lambda y, p, s: float(roc_auc_score(y, needs_score(s))),
        "calibration_error": lambda y, p, s: calibration_error(y, needs_score(s)),
    }
    return table[name]


def _why_not(name: str, y: np.ndarray, p: np.ndarray, s: np.ndarray | None) -> str | None:
    if name in ("auc", "calibration_error") and s is None:
        return "needs scores (probability of class 1)"
    if name == "auc" and len(np.unique(y)) < 2:
        return "needs both classes among the outcomes"
    if name == "precision" and not (p == 1).any():
        return "no row was predicted as class 1"
    if name == "recall" and not (y == 1).any():
        return "no outcome is class 1"
    return None


def _resampled(
    name: str, y: np.ndarray, p: np.ndarray, s: np.ndarray | None, draws: np.ndarray
) -> np.ndarray:
    """The metric on each bootstrap resample (rows `draws[i]`); NaN where it is undefined.
    The counting metrics are vectorised; AUC and calibration error run per resample."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "mae":
            return np.abs(y - p)[draws].mean(axis=1)
        if name == "rmse":
            return np.sqrt(((y - p) ** 2)[draws].mean(axis=1))
        if name == "accuracy":
            return (y == p)[draws].mean(axis=1)
        hits = ((p == 1) & (y == 1))[draws].sum(axis=1)
        if name == "precision":
            return hits / (p == 1)[draws].sum(axis=1)
        if name == "recall":
            return hits / (y == 1)[draws].sum(axis=1)
    fn = _metric(name)
    out = np.full(len(draws), np.nan)
    for i, idx in enumerate(draws):
        ss = None if s is None else s[idx]
        if _why_not(name, y[idx], p[idx], ss) is None:
            out[i] = fn(y[idx], p[idx], ss)
    return out


def realised(
    task: str,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    score: np.ndarray | None = None,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> tuple[list[Estimate], dict[str, str]]:
    """The task's metrics on labelled rows with their bootstrap intervals, and the metrics
    left out with why."""
    names = REGRESSION_METRICS if task == REGRESSION else CLASSIFICATION_METRICS
    rng = np.random.default_rng(SEED)
    n = len(y_true)
    draws = rng.integers(0, n, size=(resamples, n)) if n else np.zeros((0, 0), dtype=int)
    found: list[Estimate] = []
    skipped: dict[str, str] = {}
    tail = (1.0 - LEVEL) / 2 * 100
    for name in names:
        why = _why_not(name, y_true, y_pred, score)
        if why is not None:
            skipped[name] = why
            continue
        value = _metric(name)(y_true, y_pred, score)
        samples = _resampled(name, y_true, y_pred, score, draws)
        kept = samples[np.isfinite(samples)]
        if kept.size:
            low, high = np.percentile(kept, [tail, 100 - tail])
        else:
            low = high = value
        found.append(Estimate(name, value, float(low), float(high)))
    return found, skipped


def reference_value(metric: str, metrics: dict[str, float]) -> float | None:
    """The registry version's reference value of `metric`, under any of its usual names."""
    lowered = {k.lower(): v for k, v in metrics.items()}
    for name in ALIASES.get(metric, (metric,)):
        value = lowered.get(name)
        if value is not None and math.isfinite(value):
            return float(value)
    return None


def task_of(metrics: dict[str, float], has_scores: bool, binary: bool) -> str:
    """Classification when the version's reference metrics are a classifier's, or the
    predictions carry scores; else regression when they are a regressor's or not all 0/1."""
    classify = any(reference_value(m, metrics) is not None for m in CLASSIFICATION_METRICS)
    regress = any(reference_value(m, metrics) is not None for m in REGRESSION_METRICS)
    if classify and not regress:
        return CLASSIFICATION
    if regress and not classify:
        return REGRESSION
    return CLASSIFICATION if has_scores or binary else REGRESSION
