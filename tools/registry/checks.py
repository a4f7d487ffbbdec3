"""Scheduled drift checks: one check per model, run by the scheduler every
`DRIFT_CHECK_INTERVAL_SECONDS`.

A check runs drift on the model's live version (production, else champion) with fresh
data and stores the report (so `model_status` and `model_drift` answer instantly). It
returns a `Finding` when dataset drift is detected, and a `model_drift_check_failed`
finding when the check itself cannot run (e.g. the data file is gone), so a broken check
is seen rather than silently passing. No finding means the condition is clear (the
incident engine can resolve what it opened earlier under the same key).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from tools.base import ToolError
from tools.registry.drift import DriftError
from tools.registry.drift.explain import describe_feature
from tools.registry.service import ModelRegistry

log = logging.getLogger(__name__)

MODEL_DRIFT = "model_drift"
CHECK_FAILED = "model_drift_check_failed"


@dataclass(frozen=True)
class Finding:
    """Something a monitor saw that may open or update an incident.

    key is the stable part of the fingerprint (same condition -> same key)."""

    kind: str
    key: str
    severity: str  # info | warning | critical
    title: str
    summary: str
    labels: dict[str, str] = field(default_factory=dict)
    evidence: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> Finding:
        """A finding from `to_dict`'s JSON (e.g. a drift check run in another process);
        ValueError naming what is wrong otherwise."""
        if not isinstance(data, dict):
            raise ValueError(f"a drift finding must be an object, got {type(data).__name__}")
        names = [f.name for f in fields(cls)]
        if set(data) != set(names):
            raise ValueError(f"a drift finding has the keys {names}, got {sorted(data)}")
        labels = data["labels"]
        if not isinstance(labels, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
        ):
            raise ValueError("a drift finding's labels must map text to text")
        for name in names:
            if name != "labels" and not isinstance(data[name], str):
                raise ValueError(f"a drift finding's {name} must be text, got {data[name]!r}")
        return cls(**data)


def check_model(
    registry: ModelRegistry, name: str, *, actor: str = "scheduler", plots: Path | None = None
) -> list[Finding]:
    """Run the drift check of one model's live version; [] when there is nothing to report.
    With `plots`, the PNG of the drifted features is drawn there too (the one `model_drift`
    shows, reused while the report is current), so whoever reads the finding later need
    not load matplotlib; a picture that cannot be drawn is logged and left to that reader."""
    try:
        alias, live = registry.live_version(name)
    except ToolError as exc:
        return [_failed(name, None, str(exc))]
    if live is None or registry.drift_spec(name, live) is None:
        return []  # nothing live, or no data registered: nothing to check
    try:
        outcome = registry.drift(name, live, refresh=True, actor=actor, trigger="scheduler")
    except ToolError as exc:
        return [_failed(name, live, str(exc))]
    report = outcome.report
    if not report.dataset_drift:
        return []
    if plots is not None:
        try:
            registry.plot(outcome.stored, plots)
        except (DriftError, OSError) as exc:
            log.warning("drift plot of %s v%s not drawn: %s", name, live, exc)
    drifted = report.drifted_features
    names = ", ".join(f.name for f in drifted)
    evidence = "\n".join(f"• {describe_feature(f)}" for f in drifted)
    return [
        Finding(
            kind=MODEL_DRIFT,
            key=f"{name}:v{live}",
            severity="warning",
            title=f"Data drift on {name} v{live} ({alias}): {report.n_drifted} of "
            f"{report.n_features} features",
            summary=(
                f"The current data of {name} v{live} has drifted from its reference: "
                f"{report.n_drifted} of {report.n_features} features ({report.drift_share:.0%} "
                f"≥ {report.drift_share_threshold:.0%}): {names}."
            ),
            labels={
                "alertname": "ModelDataDrift",
                "model": name,
                "version": str(live),
                "alias": alias or "",
                "report_id": str(outcome.stored.id),
            },
            evidence=evidence,
        )
    ]


def _failed(name: str, version: int | None, message: str) -> Finding:
    where = f"{name} v{version}" if version is not None else name
    return Finding(
        kind=CHECK_FAILED,
        key=f"{name}:v{version}" if version is not None else name,
        severity="warning",
        title=f"Drift check of {where} cannot run",
        summary=message,
        labels={
            "alertname": "ModelDriftCheckFailed",
            "model": name,
            "version": str(version) if version is not None else "",
        },
        evidence=message,
    )


def drift_checks(
    registry: ModelRegistry, plots: Path | None = None
) -> dict[str, Callable[[], list[Finding]]]:
    """One check function per registered model, by model name (for the scheduler)."""
    return {
        name: (lambda name=name: check_model(registry, name, plots=plots))  # type: ignore[misc]
        for name in registry.model_names()
    }


def check_drift(registry: ModelRegistry, plots: Path | None = None) -> list[Finding]:
    """Run every model's check once; all findings (and their plots under `plots`)."""
    findings: list[Finding] = []
    for check in drift_checks(registry, plots).values():
        findings.extend(check())
    return findings
