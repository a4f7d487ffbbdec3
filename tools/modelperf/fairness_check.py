"""Fairness by segment as a monitor check and as a section of the model card.

The configured sensitive features of each model (MODEL_FAIRNESS_FEATURES) are measured on the
predictions of its live version made within `window` whose outcomes have arrived
(tools/modelperf/fairness.py, fairlearn's figures). A feature whose demographic parity or
equalized odds difference is over its threshold is a `ModelFairnessGap` finding, one per model
and feature: its identity labels are the model and the feature (a new version keeps the
incident), the figures (gaps, per-group rates) are in its fields. A feature that cannot be
judged (too few rows per group, no outcomes yet, the predictions do not carry it) is reported
as `Unjudged`, never as a finding, and never as "all clear" (the monitor keeps its incident).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.errors import Invalid, NotFound
from core.incidents import WARNING, Finding
from tools.modelperf.fairness import (
    DEFAULT_MIN_GROUP_SIZE,
    FairnessReport,
    FairnessThresholds,
    FeatureFairness,
)
from tools.modelperf.service import ModelPerf

ALERTNAME = "ModelFairnessGap"
MONITOR = "model_fairness"


@dataclass(frozen=True)
class FairnessConfig:
    """What is checked: sensitive features per model, the thresholds, the smallest group
    compared and how far back the predictions go."""

    features: dict[str, tuple[str, ...]] = field(default_factory=dict)
    thresholds: FairnessThresholds = field(default_factory=FairnessThresholds)
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    window: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class Unjudged:
    """A model's feature the check could not judge, and why (too few rows, no outcomes)."""

    model: str
    feature: str
    reason: str

    def text(self) -> str:
        return f"{self.model} {self.feature}: {self.reason}"


@dataclass
class FairnessCheck:
    findings: list[Finding] = field(default_factory=list)
    unjudged: list[Unjudged] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [asdict(f) for f in self.findings],
            "unjudged": [asdict(u) for u in self.unjudged],
        }

    @classmethod
    def from_json(cls, data: Any) -> FairnessCheck:
        """What `to_json` printed; ValueError (a clear message) for anything else."""
        from tools.modelperf.findings import from_json

        if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
            raise ValueError('a fairness check must be an object {"findings": [...], ...}')
        try:
            unjudged = [Unjudged(**u) for u in data.get("unjudged", [])]
        except TypeError as exc:
            raise ValueError(f"not an unjudged feature: {exc}") from None
        return cls([from_json(f) for f in data["findings"]], unjudged)


def feature_finding(
    model: str, version: int, item: FeatureFairness, thresholds: FairnessThresholds
) -> Finding | None:
    """The `ModelFairnessGap` finding of one feature when a gap is over its threshold."""
    probe = FairnessReport(0, 0, (item,))
    breaches = probe.breaches(thresholds)
    if not breaches:
        return None
    groups = [
        (
            f"{item.feature}={g.group}",
            "too few rows" if g.too_few else _rates(g.rows, g.selection_rate, g.tpr, g.fpr),
        )
        for g in item.groups
    ]
    fields = [("model", model), ("version", f"v{version}"), ("feature", item.feature)]
    fields += [(b.metric, f"{b.value:.3f} (max {b.limit:.3f})") for b in breaches]
    return Finding(
        monitor=MONITOR,
        alertname=ALERTNAME,
        title=f"Model {model} v{version}: fairness gap over threshold ({breaches[0].text()})",
        severity=WARNING,
        kind="model_fairness",
        labels={"model": model, "feature": item.feature},
        summary="\n".join(b.text() for b in breaches) + "\n\n" + probe.text().split("\n", 1)[1],
        fields=fields + groups,
        details={"version": version, "breaches": [asdict(b) for b in breaches]},
    )


def _rates(rows: int, *rates: float | None) -> str:
    names = ("selected", "TPR", "FPR")
    shown = ", ".join(
        f"{n} {'n/a' if r is None else f'{r:.1%}'}" for n, r in zip(names, rates, strict=True)
    )
    return f"{rows} rows, {shown}"


def _unjudged(model: str, item: FeatureFairness) -> Unjudged | None:
    if item.dpd is not None or item.eod is not None:
        return None
    return Unjudged(model, item.feature, "; ".join(item.notes) or "no gap to measure")


def measure(
    perf: ModelPerf, config: FairnessConfig, model: str, now: datetime
) -> tuple[FairnessReport, int]:
    """The fairness report of `model`'s live version on its configured features."""
    features = config.features.get(model)
    if not features:
        raise NotFound(f"no sensitive feature is configured for {model} (MODEL_FAIRNESS_FEATURES)")
    return perf.fairness(
        model, list(features), since=now - config.window, min_group_size=config.min_group_size
    )


def check_fairness(perf: ModelPerf, config: FairnessConfig, now: datetime) -> FairnessCheck:
    """Every configured model's features: the gaps over threshold as findings, and what could
    not be judged."""
    out = FairnessCheck()
    for model, features in config.features.items():
        try:
            report, version = measure(perf, config, model, now)
        except (NotFound, Invalid) as exc:
            out.unjudged += [Unjudged(model, f, str(exc)) for f in features]
            continue
        for item in report.features:
            finding = feature_finding(model, version, item, config.thresholds)
            if finding is not None:
                out.findings.append(finding)
            elif (unjudged := _unjudged(model, item)) is not None:
                out.unjudged.append(unjudged)
    return out


def fairness_card(
    perf: ModelPerf, config: FairnessConfig, model: str, now: datetime
) -> tuple[str, dict[str, Any]] | None:
    """The model card's fairness section (text, data); None when no feature is configured
    for `model`. When it cannot be computed the text says why."""
    if not config.features.get(model):
        return None
    days = config.window.total_seconds() / 86400
    try:
        report, version = measure(perf, config, model, now)
    except (NotFound, Invalid) as exc:
        return f"Fairness: not measured: {exc}", {"error": str(exc)}
    lines = [f"Fairness of v{version} (predictions of the last {days:g}d):", report.text()]
    breaches = report.breaches(config.thresholds)
    limits = config.thresholds
    lines.append(
        "Over threshold: " + "; ".join(b.text() for b in breaches)
        if breaches
        else f"No gap over threshold (max DPD {_limit(limits.max_dpd)}, "
        f"max EOD {_limit(limits.max_eod)})."
    )
    data = {"version": version, "breaches": [asdict(b) for b in breaches]} | asdict(report)
    return "\n".join(lines), data


def _limit(value: float | None) -> str:
    return "not checked" if value is None else f"{value:.3f}"


def card_section(
    perf: Callable[[], ModelPerf], config: FairnessConfig
) -> Callable[[str], tuple[str, dict[str, Any]] | None]:
    """`fairness_card` as a model card section (tools/registry/tools.py:CardSection); the
    predictions store is reached on first use."""
    from core.clock import utcnow

    return lambda model: fairness_card(perf(), config, model, utcnow())
