"""Settings of a drift run, validated up front so a bad option fails before any work.

Method and threshold overrides resolve exactly like Evidently's `DataDriftPreset`
(`resolve_stattest_threshold`): method per column > per type (num_method / cat_method) >
all columns (method) > the default rule; threshold per column > per type > all columns >
the chosen test's default threshold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from tools.registry.drift.catalogue import CAT, CATALOGUE, NUM, tests_for, type_word
from tools.registry.drift.errors import DriftError


@dataclass(frozen=True)
class QualityThresholds:
    """When a data-quality check says warn or drift (shares are fractions of rows)."""

    missing_warn: float = 0.05  # absolute change of the missing share, current - reference
    missing_drift: float = 0.20
    out_of_range_warn: float = 0.01  # share of current values outside the reference min..max
    out_of_range_drift: float = 0.10
    new_category_drift: float = 0.10  # share of current rows in unseen categories (any -> warn)

    def validate(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, int | float) or not 0 <= value <= 1 or math.isnan(value):
                raise DriftError(
                    f"quality threshold {item.name} must be a share in [0, 1], got {value!r}"
                )
        for low, high in (
            ("missing_warn", "missing_drift"),
            ("out_of_range_warn", "out_of_range_drift"),
        ):
            if getattr(self, low) > getattr(self, high):
                raise DriftError(f"quality threshold {low} must not exceed {high}")


@dataclass(frozen=True)
class DriftOptions:
    """How to run drift. Every field is optional; the defaults are Evidently 0.7's.

    columns: the columns to test (default: every common column that is numeric,
        boolean or text, except one named "datetime", which Evidently reserves).
    numerical / categorical: explicit column mapping (like Evidently's ColumnMapping);
        a list replaces inference for that type, as in Evidently.
    method, num_method, cat_method, per_column_method: test overrides (names in
        `catalogue.CATALOGUE`).
    threshold, num_threshold, cat_threshold, per_column_threshold: threshold overrides.
    drift_share: dataset drift when the share of drifted features is >= this.
    psi: also compute PSI per feature, with its own tiers psi_warn / psi_drift.
    p_warn_factor: a p-value test is "warn" when p < threshold * factor (0.05 -> 0.15).
    distance_warn_fraction: a distance test is "warn" when d >= threshold * fraction.
    skip_empty: a column with no usable values becomes a quality finding instead of an
        error (Evidently raises).
    strict_schema: added/removed columns or a type change become an error.
    histograms: keep compact histograms in the report (for plots and history).
    quality: thresholds of the data-quality checks.
    """

    columns: tuple[str, ...] | None = None
    numerical: tuple[str, ...] | None = None
    categorical: tuple[str, ...] | None = None
    method: str | None = None
    num_method: str | None = None
    cat_method: str | None = None
    per_column_method: Mapping[str, str] = field(default_factory=dict)
    threshold: float | None = None
    num_threshold: float | None = None
    cat_threshold: float | None = None
    per_column_threshold: Mapping[str, float] = field(default_factory=dict)
    drift_share: float = 0.5
    psi: bool = False
    psi_warn: float = 0.1
    psi_drift: float = 0.25
    p_warn_factor: float = 3.0
    distance_warn_fraction: float = 0.5
    skip_empty: bool = False
    strict_schema: bool = False
    histograms: bool = True
    quality: QualityThresholds = field(default_factory=QualityThresholds)

    def __post_init__(self) -> None:
        for name in ("columns", "numerical", "categorical"):
            value = getattr(self, name)
            if value is not None:
                if isinstance(value, str) or not isinstance(value, Sequence):
                    raise DriftError(f"option {name} must be a list of column names, got {value!r}")
                object.__setattr__(self, name, tuple(str(v) for v in value))
        object.__setattr__(self, "per_column_method", dict(self.per_column_method))
        object.__setattr__(self, "per_column_threshold", dict(self.per_column_threshold))
        if isinstance(self.quality, Mapping):
            object.__setattr__(self, "quality", QualityThresholds(**self.quality))
        self.validate()

    def validate(self) -> None:
        for name in ("method", "num_method", "cat_method"):
            _check_method(name, getattr(self, name))
        for column, method in self.per_column_method.items():
            _check_method(f"per_column_method[{column!r}]", method)
        for name in ("threshold", "num_threshold", "cat_threshold"):
            _check_threshold(name, getattr(self, name))
        for column, value in self.per_column_threshold.items():
            _check_threshold(f"per_column_threshold[{column!r}]", value)
        for name, test_type in (("num_method", NUM), ("cat_method", CAT)):
            method = getattr(self, name)
            if method is not None and test_type not in CATALOGUE[method].column_types:
                raise DriftError(
                    f"{name}={method!r} cannot test {type_word(test_type)} columns; allowed: "
                    f"{tests_for(test_type)}"
                )
        if not 0 < self.drift_share <= 1:
            raise DriftError(f"drift_share must be in (0, 1], got {self.drift_share!r}")
        if not 0 < self.psi_warn <= self.psi_drift:
            raise DriftError("psi thresholds must satisfy 0 < psi_warn <= psi_drift")
        if not self.p_warn_factor >= 1:
            raise DriftError(f"p_warn_factor must be >= 1, got {self.p_warn_factor!r}")
        if not 0 < self.distance_warn_fraction <= 1:
            raise DriftError(
                f"distance_warn_fraction must be in (0, 1], got {self.distance_warn_fraction!r}"
            )
        both = set(self.numerical or ()) & set(self.categorical or ())
        if both:
            raise DriftError(
                f"column(s) {', '.join(sorted(both))} are listed as both numerical and categorical"
            )
        self.quality.validate()

    def with_changes(self, **changes: Any) -> DriftOptions:
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise DriftError(
                f"unknown drift option(s): {', '.join(sorted(unknown))}; allowed: "
                f"{', '.join(f.name for f in fields(self))}"
            )
        return replace(self, **changes)

    def resolve_method(self, column: str, column_type: str) -> str | None:
        if column in self.per_column_method:
            return self.per_column_method[column]
        typed = self.num_method if column_type == NUM else self.cat_method
        return typed if typed is not None else self.method

    def resolve_threshold(self, column: str, column_type: str) -> float | None:
        if column in self.per_column_threshold:
            return float(self.per_column_threshold[column])
        typed = self.num_threshold if column_type == NUM else self.cat_threshold
        return typed if typed is not None else self.threshold

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for name in ("columns", "numerical", "categorical"):
            if out[name] is not None:
                out[name] = list(out[name])
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftOptions:
        return cls().with_changes(**dict(data)) if data else cls()


def _check_method(name: str, method: Any) -> None:
    if method is not None and method not in CATALOGUE:
        raise DriftError(f"{name}: unknown drift test {method!r}; allowed: {', '.join(CATALOGUE)}")


def _check_threshold(name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DriftError(f"{name} must be a finite number, got {value!r}")
    if value <= 0:
        raise DriftError(f"{name} must be > 0, got {value!r}")
