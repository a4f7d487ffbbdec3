"""Fairness by segment: a binary classifier's metrics per group of a sensitive feature, and gaps.

Pure functions over plain rows or arrays (no storage): the predictions store, the monitor and
the model card call `fairness_report` / `fairness_from_rows` with what they hold (the monitor's
findings and the card's section: tools/modelperf/fairness_check.py). The figures
are fairlearn's: `MetricFrame` with `selection_rate`, `true_positive_rate`,
`false_positive_rate` and scikit-learn's `accuracy_score` per group; the gaps are its
`difference()` between groups, so demographic parity difference (DPD) and equalized odds
difference (EOD, the worse of the TPR and FPR differences) equal
`fairlearn.metrics.demographic_parity_difference` / `equalized_odds_difference` on the same rows.

Where we differ from calling fairlearn directly, and say so in the result:
- a group with fewer than `min_group_size` rows is reported as "too few rows" and left out of
  the gaps (a gap from 3 rows is noise);
- a group with no actual positives has no TPR (fairlearn returns 0 for it), one with no actual
  negatives has no FPR; the gap is taken over the groups where the rate exists;
- one group only (a constant feature) has no gap, which is not the same as a gap of 0;
- rows whose label, prediction or feature value is missing are left out and counted.
fairlearn, scikit-learn and pandas load on the first computation, not on import.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.errors import Invalid

DEFAULT_MIN_GROUP_SIZE = 30
RATES = ("selection_rate", "tpr", "fpr", "accuracy")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


@dataclass(frozen=True)
class GroupMetrics:
    """One group of one sensitive feature. Rates are None when too few rows or undefined."""

    group: str
    rows: int
    positives: int  # actual positives
    selection_rate: float | None = None
    tpr: float | None = None
    fpr: float | None = None
    accuracy: float | None = None
    too_few: bool = False


@dataclass(frozen=True)
class FeatureFairness:
    """Per-group metrics of one sensitive feature and the gaps between its groups."""

    feature: str
    groups: tuple[GroupMetrics, ...]
    dpd: float | None = None  # demographic parity difference (selection rate)
    eod: float | None = None  # equalized odds difference: max(TPR difference, FPR difference)
    tpr_difference: float | None = None
    fpr_difference: float | None = None
    accuracy_difference: float | None = None
    missing: int = 0  # rows left out for a missing value of this feature
    notes: tuple[str, ...] = ()

    @property
    def compared(self) -> tuple[GroupMetrics, ...]:
        return tuple(g for g in self.groups if not g.too_few)


@dataclass(frozen=True)
class FairnessThresholds:
    """The largest gaps allowed; None = not checked."""

    max_dpd: float | None = None
    max_eod: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_dpd", "max_eod"):
            value = getattr(self, name)
            if value is not None and not (0.0 <= value <= 1.0):
                raise Invalid(f"{name} must be between 0 and 1, not {value}")


@dataclass(frozen=True)
class Breach:
    feature: str
    metric: str  # "dpd" | "eod"
    value: float
    limit: float

    def text(self) -> str:
        name = {"dpd": "demographic parity difference", "eod": "equalized odds difference"}
        return f"{self.feature}: {name[self.metric]} {self.value:.3f} > {self.limit:.3f}"


@dataclass(frozen=True)
class FairnessReport:
    rows: int  # rows given
    min_group_size: int
    features: tuple[FeatureFairness, ...] = field(default_factory=tuple)
    dropped: int = 0  # rows left out for a missing or unreadable label or prediction

    def feature(self, name: str) -> FeatureFairness:
        for item in self.features:
            if item.feature == name:
                return item
        raise Invalid(
            f"no sensitive feature {name!r}; there are {[f.feature for f in self.features]}"
        )

    def breaches(self, thresholds: FairnessThresholds) -> list[Breach]:
        out: list[Breach] = []
        for item in self.features:
            for metric, limit in (("dpd", thresholds.max_dpd), ("eod", thresholds.max_eod)):
                value = getattr(item, metric)
                if limit is not None and value is not None and value > limit + 1e-12:
                    out.append(Breach(item.feature, metric, value, limit))
        return out

    def text(self) -> str:
        """Plain text for chat and the model card: one table per feature, then its gaps."""
        lines = [
            f"Fairness over {self.rows} rows (groups under {self.min_group_size} rows not compared)"
        ]
        if self.dropped:
            lines.append(f"{self.dropped} rows left out: missing label or prediction")
        for item in self.features:
            lines.append("")
            lines.append(f"{item.feature}:")
            lines.append(
                f"  {'group':<16} {'rows':>6} {'selected':>9} {'TPR':>6} {'FPR':>6} {'acc':>6}"
            )
            for g in item.groups:
                if g.too_few:
                    lines.append(f"  {g.group[:16]:<16} {g.rows:>6}  too few rows")
                    continue
                cells = " ".join(
                    _pct(getattr(g, k)).rjust(w) for k, w in zip(RATES, (9, 6, 6, 6), strict=True)
                )
                lines.append(f"  {g.group[:16]:<16} {g.rows:>6} {cells}")
            gaps = [
                f"DPD {_num(item.dpd)}",
                f"EOD {_num(item.eod)}",
                f"TPR diff {_num(item.tpr_difference)}",
                f"FPR diff {_num(item.fpr_difference)}",
            ]
            lines.append("  gaps: " + ", ".join(gaps))
            if item.missing:
                lines.append(f"  {item.missing} rows without a {item.feature} value left out")
            lines.extend(f"  note: {note}" for note in item.notes)
        return "\n".join(lines)


def fairness_report(
    y_true: Sequence[Any],
    y_pred: Sequence[Any],
    features: Mapping[str, Sequence[Any]],
    *,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> FairnessReport:
    """Per-group metrics and gaps for each sensitive feature. Labels and predictions are binary
    (0/1, booleans, "yes"/"no"...); None or NaN marks a missing value. Invalid for anything else."""
    n = len(y_true)
    if len(y_pred) != n:
        raise Invalid(f"{n} labels but {len(y_pred)} predictions")
    if not features:
        raise Invalid("no sensitive feature given")
    for name, values in features.items():
        if len(values) != n:
            raise Invalid(f"{n} labels but {len(values)} values of feature {name!r}")
    if min_group_size < 1:
        raise Invalid(f"min_group_size must be at least 1, not {min_group_size}")
    truth = [_binary(v, "label", i) for i, v in enumerate(y_true)]
    pred = [_binary(v, "prediction", i) for i, v in enumerate(y_pred)]
    usable = [i for i in range(n) if truth[i] is not None and pred[i] is not None]
    out = []
    for name, values in features.items():
        keep = [i for i in usable if not _missing(values[i])]
        out.append(
            _feature(
                name,
                [int(truth[i] or 0) for i in keep],
                [int(pred[i] or 0) for i in keep],
                [str(values[i]) for i in keep],
                min_group_size,
                missing=len(usable) - len(keep),
            )
        )
    return FairnessReport(n, min_group_size, tuple(out), dropped=n - len(usable))


def fairness_from_rows(
    rows: Iterable[Mapping[str, Any]],
    features: Sequence[str],
    *,
    actual: str = "actual",
    prediction: str = "prediction",
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> FairnessReport:
    """The same from rows (dicts): `actual`, `prediction` and each feature by key; a row without
    a key counts as a missing value."""
    items = list(rows)
    return fairness_report(
        [r.get(actual) for r in items],
        [r.get(prediction) for r in items],
        {name: [r.get(name) for r in items] for name in features},
        min_group_size=min_group_size,
    )


def _feature(
    name: str, truth: list[int], pred: list[int], groups: list[str], min_size: int, missing: int
) -> FeatureFairness:
    counts: dict[str, int] = {}
    for g in groups:
        counts[g] = counts.get(g, 0) + 1
    big = sorted(g for g, c in counts.items() if c >= min_size)
    small = sorted(g for g, c in counts.items() if c < min_size)
    notes: list[str] = []
    positives = {g: 0 for g in counts}
    for g, t in zip(groups, truth, strict=True):
        positives[g] += t
    rates: dict[str, dict[str, float]] = {}
    if big:
        rates = _by_group(name, truth, pred, groups, set(big))
    result: list[GroupMetrics] = []
    for g in big:
        r = rates[g]
        no_pos, no_neg = positives[g] == 0, positives[g] == counts[g]
        result.append(
            GroupMetrics(
                g,
                counts[g],
                positives[g],
                selection_rate=r["selection_rate"],
                tpr=None if no_pos else r["tpr"],
                fpr=None if no_neg else r["fpr"],
                accuracy=r["accuracy"],
            )
        )
        if no_pos:
            notes.append(f"group {g} has no actual positives: no TPR")
        if no_neg:
            notes.append(f"group {g} has no actual negatives: no FPR")
    result += [GroupMetrics(g, counts[g], positives[g], too_few=True) for g in small]
    if small:
        notes.append(
            f"{len(small)} group(s) under {min_size} rows not compared: {', '.join(small)}"
        )
    if len(big) < 2:
        notes.append(
            "only one group to compare: no gap" if big else "no group is large enough: no gap"
        )
        return FeatureFairness(name, tuple(result), missing=missing, notes=tuple(notes))
    gaps = {k: _gap([getattr(g, k) for g in result]) for k in RATES}
    tpr, fpr = gaps["tpr"], gaps["fpr"]
    eod = max((v for v in (tpr, fpr) if v is not None), default=None)
    return FeatureFairness(
        name,
        tuple(result),
        dpd=gaps["selection_rate"],
        eod=eod,
        tpr_difference=tpr,
        fpr_difference=fpr,
        accuracy_difference=gaps["accuracy"],
        missing=missing,
        notes=tuple(notes),
    )


def _by_group(
    name: str, truth: list[int], pred: list[int], groups: list[str], keep: set[str]
) -> dict[str, dict[str, float]]:
    """fairlearn's MetricFrame over the rows of the groups that are large enough."""
    import numpy as np
    from fairlearn.metrics import (
        MetricFrame,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score

    idx = [i for i, g in enumerate(groups) if g in keep]
    frame = MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "tpr": true_positive_rate,
            "fpr": false_positive_rate,
            "accuracy": accuracy_score,
        },
        y_true=np.asarray([truth[i] for i in idx]),
        y_pred=np.asarray([pred[i] for i in idx]),
        sensitive_features={name: np.asarray([groups[i] for i in idx], dtype=object)},
    )
    table = frame.by_group
    return {str(g): {k: float(table.loc[g, k]) for k in RATES} for g in table.index}


def _gap(values: list[float | None]) -> float | None:
    """MetricFrame.difference(method="between_groups"): the largest minus the smallest, over
    the groups where the rate exists; None with fewer than two."""
    present = [v for v in values if v is not None]
    return max(present) - min(present) if len(present) >= 2 else None


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _binary(value: Any, what: str, index: int) -> int | None:
    if _missing(value):
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float) and value in (0, 1):
        return int(value)
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return _binary(value.item(), what, index)
    text = str(value).strip().lower()
    if text in _TRUE:
        return 1
    if text in _FALSE:
        return 0
    raise Invalid(f"row {index}: {what} {value!r} is not binary (0/1, true/false, yes/no)")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
