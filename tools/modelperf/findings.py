"""A model's performance drop as an incident finding (`ModelPerformanceDrop`), and back from
the JSON the check's child process prints (bot/monitors/model_performance.py).

Identity labels: the model and its live alias (a rollback moves the alias, so the incident
follows the model, not one version), and the retraining pipeline configured for the model
(MODEL_RETRAIN_PIPELINES) so that triage can suggest `trigger_pipeline` beside the rollback
(tools/remediation/suggest.py).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from core.incidents import Finding
from tools.modelperf.service import Checked

ALERTNAME = "ModelPerformanceDrop"


def drop_findings(checked: list[Checked], pipelines: dict[str, str]) -> list[Finding]:
    """One finding per model whose latest window is a drop."""
    found: list[Finding] = []
    for item in checked:
        report = item.report
        window = report.latest
        if window is None or not window.drops:
            continue
        labels = {"model": report.model, "alias": item.alias or "production"}
        if pipelines.get(report.model):
            labels["pipeline"] = pipelines[report.model]
        first = window.drops[0]
        how = "estimated " if first.estimated else ""
        title = f"{report.model} v{report.version}: {how}{first.metric} worse than its reference"
        lines = [d.text() for d in window.drops]
        summary = (
            f"Window from {window.start:%Y-%m-%d %H:%M} UTC: {window.rows} predictions, "
            f"{window.labelled} outcomes. " + "; ".join(lines)
        )
        fields = [
            ("model", report.model),
            ("version", f"v{report.version}"),
            ("alias", labels["alias"]),
            *((d.metric, f"{d.value:.4g} (ref {d.reference:.4g})") for d in window.drops),
        ]
        found.append(
            Finding(
                monitor="model_performance",
                alertname=ALERTNAME,
                title=title,
                severity="warning",
                kind="model_performance",
                labels=labels,
                summary=summary,
                fields=fields,
                details={"version": report.version, "estimated": first.estimated},
            )
        )
    return found


def to_json(finding: Finding) -> dict[str, Any]:
    return asdict(finding)


def from_json(data: dict[str, Any]) -> Finding:
    """A finding printed by `to_json`; ValueError when it is not one."""
    if not isinstance(data, dict):
        raise ValueError("a finding must be an object")
    try:
        fields = [(str(k), str(v)) for k, v in data.get("fields", [])]
        return Finding(**{**data, "fields": fields})
    except TypeError as exc:
        raise ValueError(f"not a finding: {exc}") from None
