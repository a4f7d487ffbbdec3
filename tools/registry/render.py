"""Registry results as text for people (chat, console, CLI) and as JSON-able data.

Figures keep their units and names; the verdict comes first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.clock import iso, utcnow
from tools.format import human_duration, text_table
from tools.registry.compare import diff_summary, fmt
from tools.registry.drift import explain
from tools.registry.drift.explain import strength
from tools.registry.drift.report import FeatureDrift
from tools.registry.drift_store import StoredReport
from tools.registry.entities import ModelInfo, VersionInfo
from tools.registry.history import AliasChange
from tools.registry.views import DriftOutcome, ModelStatus

MAX_METRICS = 4


def aliases_text(aliases: dict[str, int]) -> str:
    return ", ".join(f"{a} → v{v}" for a, v in aliases.items()) or "no aliases"


def age(when: Any) -> str:
    if when is None:
        return "?"
    seconds = max(0.0, (utcnow() - when).total_seconds())
    return human_duration(seconds) + " ago" if seconds >= 1 else "just now"


def drift_word(stored: StoredReport | None) -> str:
    if stored is None:
        return "not checked"
    r = stored.report
    if r.dataset_drift:
        return f"DRIFT ({r.n_drifted}/{r.n_features})"
    if r.n_drifted:
        return f"ok ({r.n_drifted}/{r.n_features} drifted)"
    return "ok"


# ---------------------------------------------------------------------- list
def models_text(models: list[ModelInfo], drift: dict[str, StoredReport], backend: str) -> str:
    if not models:
        return f"No models are registered in {backend} yet."
    rows = [
        [
            m.name,
            m.n_versions,
            f"v{m.latest_version}" if m.latest_version else "–",
            aliases_text(m.aliases),
            drift_word(drift.get(m.name)),
        ]
        for m in models
    ]
    table = text_table(["model", "versions", "latest", "aliases", "live drift"], rows)
    return f"{len(models)} model(s) in {backend}:\n{table}"


def models_data(models: list[ModelInfo], drift: dict[str, StoredReport]) -> list[dict[str, Any]]:
    out = []
    for m in models:
        item = m.to_dict()
        stored = drift.get(m.name)
        item["live_drift"] = stored.to_dict() if stored else None
        out.append(item)
    return out


# ---------------------------------------------------------------------- status
def _metric_names(versions: list[VersionInfo]) -> list[str]:
    names: list[str] = []
    for v in versions:
        for key in v.metrics:
            if key not in names:
                names.append(key)
    return names[:MAX_METRICS]


def status_text(status: ModelStatus) -> str:
    m = status.model
    live = (
        f"{status.live_alias} → v{status.live_version}"
        if status.live_version is not None
        else "no production (or champion) alias"
    )
    head = f"{m.name}: {m.n_versions} version(s); {live}"
    others = {a: v for a, v in m.aliases.items() if a != status.live_alias}
    if others:
        head += "; also " + aliases_text(others)
    lines = [head]
    if m.description:
        lines.append(m.description)
    if not status.versions:
        lines.append("No versions registered yet.")
        return "\n".join(lines)
    metrics = _metric_names(status.versions)
    rows = []
    for v in status.versions:
        rows.append(
            [
                f"v{v.version}",
                v.status,
                ", ".join(v.aliases) or "–",
                (iso(v.created_at) or "?")[:10],
                *[fmt(v.metrics.get(k)) for k in metrics],
                drift_word(status.drift.get(v.version)),
            ]
        )
    lines.append(text_table(["version", "status", "aliases", "created", *metrics, "drift"], rows))
    logged = [f"v{v.version} ← {v.model_id}" for v in status.versions if v.model_id]
    if logged:
        lines.append("From MLflow logged models: " + ", ".join(logged))
    if status.live_version is not None and status.comparisons:
        lines.append(f"Compared with v{status.live_version} ({status.live_alias}):")
        for number, deltas in status.comparisons.items():
            changed = [d for d in deltas if d.verdict not in ("same",)]
            if not deltas:
                lines.append(f"• v{number}: no metrics to compare")
                continue
            summary = diff_summary(deltas) or "no better/worse verdict"
            detail = "; ".join(d.describe() for d in changed[:MAX_METRICS]) or "same metrics"
            lines.append(f"• v{number}: {summary} ({detail})")
    live_drift = status.drift.get(status.live_version) if status.live_version else None
    if live_drift is not None:
        lines.append(
            f"Latest drift check of v{live_drift.version}: {live_drift.headline()} "
            f"({age(live_drift.created_at)})."
        )
    elif status.live_version is not None:
        lines.append(f"Drift of v{status.live_version} has not been checked yet.")
    if status.history:
        last = status.history[-1]
        lines.append("Last alias change: " + last.describe())
    return "\n".join(lines)


def status_data(status: ModelStatus) -> dict[str, Any]:
    return {
        "model": status.model.to_dict(),
        "live_alias": status.live_alias,
        "live_version": status.live_version,
        "versions": [v.to_dict() for v in status.versions],
        "metric_diff_vs_live": {
            f"v{k}": [d.to_dict() for d in deltas] for k, deltas in status.comparisons.items()
        },
        "drift": {f"v{k}": s.to_dict() for k, s in status.drift.items()},
        "alias_history": [c.to_dict() for c in status.history],
    }


# ---------------------------------------------------------------------- drift
def _short(described: str, path: str | None) -> str:
    """The data description with the file's folder left out (people need the file name)."""
    if not path:
        return described
    folder = str(Path(path).parent)
    return described.replace(folder + "/", "", 1) if folder not in ("", ".") else described


def drift_text(outcome: DriftOutcome, live_alias: str | None = None) -> str:
    stored = outcome.stored
    report = stored.report
    label = f" ({live_alias})" if live_alias else ""
    lines = [f"{stored.model} v{stored.version}{label}: " + explain(report)]
    when = (
        f"stored report from {age(stored.created_at)} ({iso(stored.created_at)})"
        if outcome.reused
        else f"checked now in {report.duration_s:.2f}s"
    )
    lines.append(
        f"Reference: {_short(report.reference, outcome.spec.reference.path)}; current: "
        f"{_short(report.current, outcome.spec.current.path)}; {when}. "
        "Rule: Evidently's default "
        f"per-feature tests, dataset drift when ≥ {report.drift_share_threshold:.0%} of "
        "features drift."
    )
    return "\n".join(lines)


def reference_facts(feature: FeatureDrift) -> dict[str, Any]:
    """What the reference data holds of one column, from the report's summary: how many
    distinct values (when known), the one value when there is only one, and the share of
    current rows with a value the reference never holds. A drifting calendar column whose
    reference holds one value (a reference window of one month) is read from these."""
    summary = feature.summary or {}
    ref = summary.get("ref") if isinstance(summary.get("ref"), dict) else None
    facts: dict[str, Any] = {}
    if "n_categories" in summary:
        facts["reference_distinct"] = int(summary["n_categories"]) - int(
            summary.get("n_new_values") or 0
        )
        facts["new_share"] = float(summary.get("new_share") or 0.0)
    elif ref is not None and ref.get("min") is not None and ref.get("min") == ref.get("max"):
        facts["reference_distinct"] = 1
    if facts.get("reference_distinct") == 1:
        if ref is not None and ref.get("min") is not None:
            facts["reference_value"] = fmt(float(ref["min"]))
        else:
            only = [c for c in summary.get("top_changes", []) if c.get("ref_share") == 1.0]
            if only:
                facts["reference_value"] = str(only[0]["value"])
    return facts


def drift_data(outcome: DriftOutcome) -> dict[str, Any]:
    """The `drift --json` keys first (drifted features first, most drifted on top), then
    context fields the chat front ends use."""
    stored = outcome.stored
    report = stored.report
    summary = report.summary_dict()
    by_name = {f.name: f for f in report.features}
    summary["features"].sort(
        key=lambda item: (not item["drifted"], -strength(by_name[item["name"]]))
    )
    for item in summary["features"]:
        item.update(reference_facts(by_name[item["name"]]))
    return summary | {
        "drift_share_threshold": report.drift_share_threshold,
        "model": stored.model,
        "version": stored.version,
        "n_features": report.n_features,
        "n_drifted": report.n_drifted,
        "severity": report.severity,
        "report_id": stored.id,
        "created_at": iso(stored.created_at),
        "reused": outcome.reused,
        "reference": report.reference,
        "current": report.current,
    }


def history_text(name: str, changes: list[AliasChange]) -> str:
    if not changes:
        return f"No alias changes recorded for {name}."
    return f"Alias history of {name} (oldest first):\n" + "\n".join(
        "• " + c.describe() for c in changes
    )
