"""Estimated performance before the labels arrive: CBPE (binary classifiers) and DLE (regressors).

A faithful implementation of NannyML's documented methods (nannyml 0.13,
`nannyml/performance_estimation/confidence_based/` and `direct_loss_estimation/`, with their
sampling errors from `nannyml/sampling_error/`), written here because `nannyml` itself pulls
about 94 packages (LightGBM, XGBoost, FLAML, aiobotocore, plotly; 1.8 GB installed) and 0.13.1
does not even import without `statsmodels`, which it does not declare. Agreement with nannyml
on the bike-sharing data: docs/notes/modelperf-nannyml.md.

CBPE (confidence-based performance estimation). Fitted on a labelled reference period: the
scores are calibrated with isotonic regression when that lowers the expected calibration
error in NannyML's check (10 stratified 90/10 splits, seed 42, equal-count bins); then on
unlabelled rows each calibrated score p is the chance the row is class 1, so the expected
confusion matrix is TP = Σ p over predicted 1, FP = Σ (1 - p) over predicted 1, TN = Σ (1 - p)
over predicted 0, FN = Σ p over predicted 0, and accuracy, precision and recall follow; ROC
AUC is the area under the curve of cumulated calibrated scores ordered by the model's own.

DLE (direct loss estimation). A "nanny" gradient-boosting regressor is trained on the reference
period to predict each row's absolute error (for MAE) and squared error (for RMSE) from the
row's features and the model's prediction; the estimate of a window is the mean of its
predicted losses clipped at 0 (for RMSE the square root of that mean). NannyML uses LightGBM
with default settings; here scikit-learn's `HistGradientBoostingRegressor` (the same
histogram gradient boosting, a fixed seed), so the figures are close to nannyml's, not equal.

Intervals: as NannyML, the estimate ± 3 sampling errors, each from the reference period's
spread of the per-row quantity over the square root of the window's size (clipped to the
metric's range).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import auc, roc_auc_score
from sklearn.model_selection import StratifiedShuffleSplit
from threadpoolctl import threadpool_limits

from core.errors import Invalid
from tools.modelperf.metrics import Estimate

SAMPLING_ERROR_RANGE = 3  # NannyML's band: ± this many sampling errors
MIN_REFERENCE = 20  # labelled reference rows below which nothing is fitted
# OpenMP threads of the nanny model: on a busy machine more threads made a fit 20x slower
ONE_THREAD = 1


class CannotEstimate(Invalid, ValueError):
    """The reference period cannot fit the estimator; the message says why."""


def _bin_edges(length: int, bins: int) -> list[tuple[int, int]]:
    if length <= 2 * bins:
        bins = length // 2
    width = length // bins
    edges = list(range(0, length + 1, width))
    edges[-1] = length
    return list(itertools.pairwise(edges))


def _ece_equal_count(y: np.ndarray, p: np.ndarray, edges: list[tuple[int, int]]) -> float:
    order = p.argsort()
    p, y = p[order], y[order]
    return float(sum((b - a) / len(p) * abs(p[a:b].mean() - y[a:b].mean()) for a, b in edges))


def needs_calibration(y: np.ndarray, p: np.ndarray) -> bool:
    """NannyML's check: does isotonic calibration lower the calibration error out of fold?"""
    if len(np.unique(y)) == 1 or roc_auc_score(y, p) > 0.999:
        return False
    splits = StratifiedShuffleSplit(n_splits=10, test_size=0.1, random_state=42)
    ys, raw, cal = [], [], []
    for train, test in splits.split(p, y):
        iso = IsotonicRegression(out_of_bounds="clip", increasing=True).fit(p[train], y[train])
        ys.append(y[test])
        raw.append(p[test])
        cal.append(iso.predict(p[test]))
    vy, vraw, vcal = np.concatenate(ys), np.concatenate(raw), np.concatenate(cal)
    edges = _bin_edges(len(vraw), 10)
    return _ece_equal_count(vy, vraw, edges) > _ece_equal_count(vy, vcal, edges)


def _band(metric: str, value: float, se: float, low: float, high: float) -> Estimate:
    spread = SAMPLING_ERROR_RANGE * se if math.isfinite(se) else 0.0
    return Estimate(metric, value, max(low, value - spread), min(high, value + spread))


def _estimated_auc(calibrated: np.ndarray, scores: np.ndarray) -> float:
    order = np.argsort(scores)[::-1]
    truth = calibrated[order]
    tps = np.asarray(np.r_[0, np.cumsum(truth)]).round(5)
    fps = np.asarray(np.r_[0, 1 + np.arange(len(truth)) - np.cumsum(truth)]).round(5)
    if tps[-1] == 0 or fps[-1] == 0:
        return math.nan
    return float(auc(fps / fps[-1], tps / tps[-1]))


def _auc_components(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    if y.mean() > 0.5:
        y, p = 1 - y, 1 - p
    order = np.argsort(p)
    y = y[order]
    ranks = np.unique(y * np.arange(len(y)))[1:]
    ser = ranks - np.arange(len(ranks))
    n_pos = y.sum()
    return float(np.std(ser / (len(y) - n_pos))), float(n_pos / len(y))


@dataclass
class CBPE:
    """Fitted on the reference period's (outcome, predicted class, score)."""

    calibrator: IsotonicRegression | None = None
    components: dict[str, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def fit(cls, y: np.ndarray, pred: np.ndarray, score: np.ndarray) -> CBPE:
        if len(y) < MIN_REFERENCE or len(np.unique(y)) < 2:
            raise CannotEstimate(
                f"the reference period needs at least {MIN_REFERENCE} labelled rows of both "
                f"classes, it has {len(y)}"
            )
        calibrator = None
        if needs_calibration(y, score):
            calibrator = IsotonicRegression(out_of_bounds="clip", increasing=True).fit(score, y)
        hit = (y == pred).astype(float)
        precision_rows = np.r_[
            np.ones(int(((y == 1) & (pred == 1)).sum())),
            np.zeros(int(((y == 0) & (pred == 1)).sum())),
        ]
        recall_rows = np.r_[
            np.ones(int(((y == 1) & (pred == 1)).sum())),
            np.zeros(int(((y == 1) & (pred == 0)).sum())),
        ]
        components = {
            "accuracy": (float(np.std(hit)), 1.0),
            "precision": (
                float(np.std(precision_rows)) if precision_rows.size else math.nan,
                float(pred.mean()),
            ),
            "recall": (
                float(np.std(recall_rows)) if recall_rows.size else math.nan,
                float(y.mean()),
            ),
            "auc": _auc_components(y, score),
        }
        return cls(calibrator, components)

    def calibrated(self, score: np.ndarray) -> np.ndarray:
        return score if self.calibrator is None else np.asarray(self.calibrator.predict(score))

    def estimate(self, pred: np.ndarray, score: np.ndarray) -> list[Estimate]:
        """Estimated accuracy, precision, recall and AUC of unlabelled rows."""
        if len(pred) == 0:
            return []
        p = self.calibrated(score)
        tp = float(p[pred == 1].sum())
        fp = float((1 - p[pred == 1]).sum())
        tn = float((1 - p[pred == 0]).sum())
        fn = float(p[pred == 0].sum())
        values = {
            "accuracy": (tp + tn) / len(pred),
            "precision": tp / (tp + fp) if tp + fp else math.nan,
            "recall": tp / (tp + fn) if tp + fn else math.nan,
            "auc": _estimated_auc(p, score),
        }
        out = []
        for name, value in values.items():
            if not math.isfinite(value):
                continue
            std, fraction = self.components[name]
            se = std / math.sqrt(len(pred) * fraction) if fraction > 0 else math.nan
            out.append(_band(name, value, se, 0.0, 1.0))
        return out


class FeatureMatrix:
    """Rows of {feature: value} and the prediction as a numeric matrix for the nanny model:
    the reference period's features; numbers as they are, text and true/false as category
    codes of the reference (unseen: missing), missing as NaN."""

    def __init__(self, reference: Sequence[dict[str, Any]]) -> None:
        names = sorted({k for row in reference for k in row})
        self.names = names
        self.codes: dict[str, dict[str, int]] = {}
        for name in names:
            values = [row.get(name) for row in reference]
            if any(isinstance(v, str | bool) for v in values):
                seen = sorted({str(v) for v in values if v is not None})
                self.codes[name] = {v: i for i, v in enumerate(seen)}

    def categorical(self) -> list[bool]:
        return [n in self.codes for n in self.names] + [False]

    def build(self, rows: Sequence[dict[str, Any]], pred: np.ndarray) -> np.ndarray:
        out = np.full((len(rows), len(self.names) + 1), np.nan)
        for j, name in enumerate(self.names):
            codes = self.codes.get(name)
            for i, row in enumerate(rows):
                v = row.get(name)
                if v is None:
                    continue
                if codes is not None:
                    out[i, j] = codes.get(str(v), np.nan)
                elif isinstance(v, int | float):
                    out[i, j] = float(v)
        out[:, -1] = pred
        return out


def _nanny(
    x: np.ndarray, target: np.ndarray, categorical: list[bool]
) -> HistGradientBoostingRegressor:
    model = HistGradientBoostingRegressor(
        categorical_features=categorical if any(categorical) else None, random_state=0
    )
    return model.fit(x, target)


@dataclass
class DLE:
    """Fitted on the reference period's features, predictions and outcomes."""

    matrix: FeatureMatrix
    mae_model: HistGradientBoostingRegressor
    mse_model: HistGradientBoostingRegressor
    mae_std: float
    sq_std: float
    sq_mean: float

    @classmethod
    def fit(cls, features: Sequence[dict[str, Any]], pred: np.ndarray, y: np.ndarray) -> DLE:
        if len(y) < MIN_REFERENCE:
            raise CannotEstimate(
                f"the reference period needs at least {MIN_REFERENCE} labelled rows, it has {len(y)}"
            )
        matrix = FeatureMatrix(features)
        x = matrix.build(features, pred)
        absolute, squared = np.abs(y - pred), (y - pred) ** 2
        cats = matrix.categorical()
        return cls(
            matrix,
            _nanny(x, absolute, cats),
            _nanny(x, squared, cats),
            float(np.std(absolute)),
            float(np.std(squared)),
            float(np.mean(squared)),
        )

    def estimate(self, features: Sequence[dict[str, Any]], pred: np.ndarray) -> list[Estimate]:
        """Estimated MAE and RMSE of unlabelled rows."""
        n = len(pred)
        if n == 0:
            return []
        x = self.matrix.build(features, pred)
        with threadpool_limits(ONE_THREAD):
            losses, squares = self.mae_model.predict(x), self.mse_model.predict(x)
        mae = float(np.mean(np.maximum(0.0, losses)))
        rmse = float(math.sqrt(np.mean(np.maximum(0.0, squares))))
        mae_se = self.mae_std / math.sqrt(n)
        rmse_se = math.sqrt(self.sq_std**2 / (4 * n * self.sq_mean)) if self.sq_mean else 0.0
        return [
            _band("mae", mae, mae_se, 0.0, math.inf),
            _band("rmse", rmse, rmse_se, 0.0, math.inf),
        ]
