"""Metric differences between two versions, in words: which way is better for each metric.

MLflow has no server-side version diff; comparing is two reads and a subtraction. What a
person needs on top is the direction: a lower RMSE is better, a lower AUC is worse. The
direction comes from the metric's name (common loss/error names are lower-is-better,
scores are higher-is-better); unknown names are shown without a verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

LOWER_IS_BETTER = (
    "rmse", "mse", "mae", "mape", "smape", "loss", "logloss", "log_loss", "error", "err",
    "brier", "latency", "wape", "rmsle", "fpr", "fnr", "cost",
)  # fmt: skip
HIGHER_IS_BETTER = (
    "accuracy", "acc", "auc", "roc_auc", "pr_auc", "f1", "precision", "recall", "r2",
    "map", "ndcg", "tpr", "specificity", "sensitivity", "score", "ap", "kappa",
)  # fmt: skip


def direction(metric: str) -> int:
    """-1 when lower is better, +1 when higher is better, 0 when unknown."""
    words = [w for w in metric.lower().replace("-", "_").replace(".", "_").split("_") if w]
    name = metric.lower()
    if name in LOWER_IS_BETTER or any(w in LOWER_IS_BETTER for w in words):
        return -1
    if name in HIGHER_IS_BETTER or any(w in HIGHER_IS_BETTER for w in words):
        return 1
    return 0


def fmt(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if value != 0 and (abs(value) >= 10_000 or abs(value) < 0.001):
        return f"{value:.3g}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    return f"{value:.4g}"


@dataclass(frozen=True)
class MetricDelta:
    name: str
    base: float | None  # the version compared against (e.g. current production)
    other: float | None  # the version being looked at (e.g. the rollback target)
    verdict: str  # better | worse | same | changed | only_base | only_other

    @property
    def delta(self) -> float | None:
        if self.base is None or self.other is None:
            return None
        return self.other - self.base

    @property
    def delta_pct(self) -> float | None:
        if self.delta is None or not self.base:
            return None
        return self.delta / abs(self.base) * 100

    def describe(self) -> str:
        if self.base is None:
            return f"{self.name}: {fmt(self.other)} (not recorded for the other version)"
        if self.other is None:
            return f"{self.name}: not recorded (other version: {fmt(self.base)})"
        if self.verdict == "same":
            return f"{self.name}: {fmt(self.other)} (same)"
        sign = "+" if (self.delta or 0) > 0 else ""
        pct = f", {sign}{self.delta_pct:.1f}%" if self.delta_pct is not None else ""
        word = f", {self.verdict}" if self.verdict in ("better", "worse") else ""
        return (
            f"{self.name}: {fmt(self.other)} vs {fmt(self.base)} "
            f"({sign}{fmt(self.delta)}{pct}{word})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "base": self.base,
            "other": self.other,
            "delta": self.delta,
            "delta_pct": self.delta_pct,
            "verdict": self.verdict,
        }


def metric_diff(base: dict[str, float], other: dict[str, float]) -> list[MetricDelta]:
    """`other` compared with `base`, metric by metric (base's order, then other's extras)."""
    out: list[MetricDelta] = []
    for name in list(base) + [k for k in other if k not in base]:
        a, b = base.get(name), other.get(name)
        if a is None:
            verdict = "only_other"
        elif b is None:
            verdict = "only_base"
        elif math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12):
            verdict = "same"
        else:
            sign = direction(name)
            if sign == 0:
                verdict = "changed"
            else:
                verdict = "better" if (b - a) * sign > 0 else "worse"
        out.append(MetricDelta(name, a, b, verdict))
    return out


def diff_summary(deltas: list[MetricDelta]) -> str:
    """'better on rmse, mae; worse on r2' (empty when nothing comparable changed)."""
    better = [d.name for d in deltas if d.verdict == "better"]
    worse = [d.name for d in deltas if d.verdict == "worse"]
    parts = []
    if better:
        parts.append("better on " + ", ".join(better))
    if worse:
        parts.append("worse on " + ", ".join(worse))
    return "; ".join(parts)
