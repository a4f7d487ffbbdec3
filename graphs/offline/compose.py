"""Write the offline planner's answer from the tool results of this turn.

Tool texts are already written for people; this adds a one-line verdict first (what needs
attention), keeps each tool's figures, and says plainly what failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Outcome:
    name: str
    args: dict[str, Any]
    text: str
    data: Any
    ok: bool


def _host_lead(data: dict[str, Any]) -> str:
    levels: dict[str, str] = data.get("levels", {})
    bad = [f"{k} {v.upper()}" for k, v in levels.items() if v != "ok"]
    if not bad:
        return "The host looks healthy: every figure is within its threshold."
    return "Needs attention: " + ", ".join(bad) + "."


def _endpoint_lead(data: list[dict[str, Any]]) -> str:
    down = [d["name"] for d in data if not d.get("ok")]
    warn = [d["name"] for d in data if d.get("ok") and d.get("level") != "ok"]
    if down:
        return f"Down: {', '.join(down)}."
    if warn:
        return f"Up, with warnings: {', '.join(warn)}."
    return "All probed endpoints are up." if len(data) > 1 else ""


def _runbook_lead(data: Any) -> str:
    hits = data.get("hits", []) if isinstance(data, dict) else (data or [])
    if not hits:
        return (
            "No runbook matches this well, so I won't guess one. Try other words, "
            "or add a runbook for it to knowledge/runbooks/."
        )
    top = hits[0]
    section = f" › {top['section']}" if top.get("section") else ""
    return f"The closest runbook is *{top.get('title', '?')}*{section} ({top.get('source', '?')})."


def _drift_lead(outcome: Outcome) -> str:
    data = outcome.data if isinstance(outcome.data, dict) else {}
    if "dataset_drift" not in data:
        return ""
    name = outcome.args.get("name", "the model")
    drifted = [f["name"] for f in data.get("features", []) if f.get("drifted")]
    if data["dataset_drift"]:
        return (
            f"Yes, {name} is drifting: {len(drifted)} features drifted ({', '.join(drifted[:6])})."
        )
    if drifted:
        return f"{name} is not drifting overall, but {', '.join(drifted[:6])} drifted."
    return f"No drift for {name}."


LEADS = {
    "host_health": lambda o: _host_lead(o.data) if isinstance(o.data, dict) else "",
    "check_endpoint": lambda o: _endpoint_lead(o.data) if isinstance(o.data, list) else "",
    "search_runbooks": lambda o: _runbook_lead(o.data),
    "model_drift": _drift_lead,
}


def compose(outcomes: list[Outcome]) -> str:
    if not outcomes:
        return "I have nothing to report."
    parts: list[str] = []
    for outcome in outcomes:
        if not outcome.ok:
            parts.append(f"I could not run {outcome.name}: {outcome.text}")
            continue
        lead_fn = LEADS.get(outcome.name)
        lead = lead_fn(outcome) if lead_fn else ""
        body = outcome.text.strip()
        if outcome.name == "search_runbooks" and lead.startswith("No runbook"):
            body = ""
        parts.append("\n".join(p for p in (lead, body) if p))
    return "\n\n".join(parts)
