"""Verdicts of the model registry's read tools: list_models and model_status."""

from __future__ import annotations

from typing import Any

from graphs.offline.verdicts.base import INFO, OK, WARN, Outcome, Verdict, as_dict, as_list
from graphs.offline.verdicts.drift import NO_ROLLBACK


def _drift_words(stored: dict[str, Any] | None) -> str:
    if not stored:
        return "not checked yet"
    drifted = stored.get("drifted") or []
    share = f"{stored.get('n_drifted', len(drifted))} of {stored.get('n_features', '?')} features"
    if stored.get("dataset_drift"):
        return f"drifting ({share}: {', '.join(drifted[:6])})"
    return f"no dataset drift ({share} drifted)" if drifted else "no drift"


def models(outcome: Outcome, _question: str) -> Verdict:
    items = [m for m in as_list(outcome.data) if isinstance(m, dict)]
    if not items:
        return Verdict(INFO, "No models are registered yet.", detail_lines=0)
    drifting = [m["name"] for m in items if (m.get("live_drift") or {}).get("dataset_drift")]
    evidence = [
        f"{m['name']}: "
        + (", ".join(f"{a} → v{v}" for a, v in (m.get("aliases") or {}).items()) or "no aliases")
        + f"; live version {_drift_words(m.get('live_drift'))}"
        for m in items[:5]
    ]
    if drifting:
        return Verdict(
            WARN,
            f"{len(items)} model(s) registered; the live version of {', '.join(drifting)} "
            f"{'is' if len(drifting) == 1 else 'are'} drifting.",
            evidence,
            f"ask `is {drifting[0]} drifting?` for the features that moved.",
        )
    return Verdict(OK, f"{len(items)} model(s) registered; no live version is drifting.", evidence)


def status(outcome: Outcome, _question: str) -> Verdict:
    data = as_dict(outcome.data)
    model = as_dict(data.get("model"))
    name = model.get("name") or outcome.args.get("name", "the model")
    live, alias = data.get("live_version"), data.get("live_alias")
    if live is None:
        return Verdict(
            WARN,
            f"{name} has no production (or champion) alias: nothing is live.",
            next_step=f"point production at a version: `promote {name} v<N> to production`.",
        )
    stored = as_dict(data.get("drift")).get(f"v{live}")
    head = f"{name}: {alias} → v{live} (of {model.get('n_versions', '?')} versions)"
    others = ", ".join(f"{a} → v{v}" for a, v in (model.get("aliases") or {}).items() if a != alias)
    evidence = [f"also {others}"] if others else []
    evidence.append(f"v{live} is {_drift_words(stored)}")
    if stored and stored.get("dataset_drift"):
        return Verdict(
            WARN,
            f"{head}; v{live} is drifting.",
            evidence,
            f"ask `is {name} drifting?` for the features that moved; {NO_ROLLBACK}",
        )
    return Verdict(OK, head + ".", evidence)
