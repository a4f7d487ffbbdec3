"""The drift report: plain dataclasses that round-trip through `to_dict()`/`from_dict()`.

The registry stores `DriftReport.to_dict()` as JSON per run, so "drift status" is a
read of the latest stored report and history is the list of them. Everything needed to
explain or plot a run later (summary statistics, compact histograms) is kept in the
report, so neither needs the raw data again.

`to_dict()` always carries the keys `drift --json` promises:
`{"dataset_drift": bool, "drift_share": float,
  "features": [{"name", "test", "statistic", "threshold", "drifted"}, ...]}`
and adds the fields documented on each class. Non-finite floats become `null` (JSON has
no NaN) and come back as NaN.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

OK, WARN, DRIFT = "ok", "warn", "drift"
SEVERITIES = (OK, WARN, DRIFT)
_ORDER = {OK: 0, WARN: 1, DRIFT: 2}
SCHEMA_VERSION = 1
ENGINE_ID = "opsbot-drift/1 (Evidently 0.7 default rule)"


def worst(levels: list[str]) -> str:
    """The most severe of ok < warn < drift (ok for an empty list)."""
    return max(levels, key=lambda level: _ORDER[level], default=OK)


def severity_rank(level: str) -> int:
    return _ORDER[level]


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN/inf -> None, numpy scalars -> Python, tuples -> lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return _clean(value.item())
    return value


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


@dataclass
class FeatureDrift:
    """The drift test of one column.

    name, column_type ("num" | "cat"), test (registry name: ks, chisquare, z, wasserstein,
    jensenshannon, psi, kl_div, hellinger), test_display (Evidently's display name), kind
    ("p_value" | "distance"), statistic (the p-value or distance), threshold, drifted (the
    Evidently decision), severity (ok | warn | drift), method_source ("default" when the
    rule chose the test, "override" when options did), n_ref / n_cur (non-missing values
    tested), n_unique (distinct values in both), psi / psi_severity (only when the PSI
    option is on), bonferroni_drifted (p-value tests: p < threshold / number of features),
    summary (means, spreads, shares used by the explanation), histogram (compact counts
    for plots: {"type": "hist", "edges", "ref", "cur"} or {"type": "bars", "labels",
    "ref", "cur"}).
    """

    name: str
    column_type: str
    test: str
    test_display: str
    kind: str
    statistic: float
    threshold: float
    drifted: bool
    severity: str
    n_ref: int
    n_cur: int
    n_unique: int
    method_source: str = "default"
    psi: float | None = None
    psi_severity: str | None = None
    bonferroni_drifted: bool | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    histogram: dict[str, Any] | None = None

    def to_dict(self, include_histogram: bool = True) -> dict[str, Any]:
        out = _clean(asdict(self))
        if not include_histogram:
            out.pop("histogram", None)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureDrift:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["statistic"] = _float(data.get("statistic"))
        kwargs["threshold"] = _float(data.get("threshold"))
        if data.get("psi") is not None:
            kwargs["psi"] = float(data["psi"])
        kwargs.setdefault("summary", {})
        return cls(**kwargs)


@dataclass
class QualityFinding:
    """A data-quality observation.

    check is one of: column_removed, column_added, dtype_change, missing_share,
    out_of_range, new_category, constant, empty (a column with no usable values, only
    with skip_empty=True). column is the column concerned (None for
    table-wide findings); severity ok | warn | drift; message is one sentence for
    people; details holds the figures (shares, counts, example values).
    """

    check: str
    column: str | None
    severity: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return _clean(asdict(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QualityFinding:
        return cls(
            check=str(data["check"]),
            column=data.get("column"),
            severity=str(data["severity"]),
            message=str(data["message"]),
            details=dict(data.get("details") or {}),
        )


@dataclass
class DriftReport:
    """One drift run: reference vs current.

    dataset_drift: drift_share >= drift_share_threshold (Evidently's rule, default 0.5).
    drift_share: share of tested features that drifted. n_features / n_drifted: counts.
    severity: "drift" when dataset_drift; "warn" when any feature or quality finding is at
    warn or drift; else "ok". features: one FeatureDrift per tested column, in the order
    of the reference data. quality: QualityFinding list, most severe first.
    reference / current: where the data came from; n_ref_rows / n_cur_rows: their sizes.
    created_at: ISO-8601 UTC time of the run; duration_s: seconds the run took, loading included;
    options: the DriftOptions used (as a dict); engine and schema_version identify the
    rule and the shape of this dict.
    """

    dataset_drift: bool
    drift_share: float
    drift_share_threshold: float
    n_features: int
    n_drifted: int
    severity: str
    features: list[FeatureDrift]
    quality: list[QualityFinding]
    reference: str
    current: str
    n_ref_rows: int
    n_cur_rows: int
    created_at: str
    duration_s: float = 0.0
    options: dict[str, Any] = field(default_factory=dict)
    engine: str = ENGINE_ID
    schema_version: int = SCHEMA_VERSION

    @property
    def drifted_features(self) -> list[FeatureDrift]:
        return [f for f in self.features if f.drifted]

    def feature(self, name: str) -> FeatureDrift:
        for item in self.features:
            if item.name == name:
                return item
        raise KeyError(
            f"no feature {name!r} in this report; it has: {[f.name for f in self.features]}"
        )

    def to_dict(self, include_histograms: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "dataset_drift": self.dataset_drift,
            "drift_share": self.drift_share,
            "features": [f.to_dict(include_histograms) for f in self.features],
        }
        for item in fields(self):
            if item.name not in out:
                value = getattr(self, item.name)
                out[item.name] = [q.to_dict() for q in value] if item.name == "quality" else value
        return _clean(out)

    def summary_dict(self) -> dict[str, Any]:
        """Exactly the `drift --json` shape, nothing more."""
        return _clean(
            {
                "dataset_drift": self.dataset_drift,
                "drift_share": self.drift_share,
                "features": [
                    {
                        "name": f.name,
                        "test": f.test,
                        "statistic": f.statistic,
                        "threshold": f.threshold,
                        "drifted": f.drifted,
                    }
                    for f in self.features
                ],
            }
        )

    def to_json(self, include_histograms: bool = True, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(include_histograms), allow_nan=False, **kwargs)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftReport:
        version = int(data.get("schema_version", SCHEMA_VERSION))
        if version > SCHEMA_VERSION:
            raise ValueError(
                f"drift report schema_version {version} is newer than this code reads "
                f"({SCHEMA_VERSION})"
            )
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["features"] = [FeatureDrift.from_dict(f) for f in data.get("features", [])]
        kwargs["quality"] = [QualityFinding.from_dict(q) for q in data.get("quality", [])]
        kwargs["drift_share"] = _float(data.get("drift_share"))
        kwargs.setdefault("options", {})
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str) -> DriftReport:
        return cls.from_dict(json.loads(text))
