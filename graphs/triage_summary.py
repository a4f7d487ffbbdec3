"""The triage summary without a model (`offline_summary`: what is wrong, what the evidence
shows (`triage_findings.py`), the likely cause from the evidence, figures, runbook, suggested
actions) and the prompt a model writes it from (`fill_prompt`). The alert's own annotations
are never given as its cause. Both are redacted on the way out."""

from __future__ import annotations

from typing import Any

from graphs.triage_changes import cause_sentence
from graphs.triage_findings import CHANGES_TOOL, evidence_sentences
from graphs.triage_types import Evidence, IncidentInput, ProposedAction
from tools.format import human_bytes
from tools.infra import alert_families as fam
from tools.redact import redact


def _cause(incident: IncidentInput, evidence: list[Evidence]) -> str:
    """The likely cause, from the evidence, in one or two sentences: a change to what the
    incident is about leads; another recent change follows what the evidence says."""
    change, related = cause_sentence(evidence)
    if change is not None and related:
        return change
    found = _evidence_cause(incident, evidence)
    return f"{found} {change}" if change is not None else found


def _evidence_cause(incident: IncidentInput, evidence: list[Evidence]) -> str:
    by_tool = {e.tool: e for e in evidence if e.ok}
    family = fam.family_of(incident.alertname)
    if family == fam.DISK and "disk_usage" in by_tool:
        data = by_tool["disk_usage"].data or {}
        largest = data.get("largest") or [] if isinstance(data, dict) else []
        if largest:
            top = ", ".join(
                f"{d.get('path')} ({human_bytes(float(d.get('bytes') or 0))})" for d in largest[:3]
            )
            return f"The space is mostly in {top}."
    if family in (fam.CPU, fam.MEMORY) and "top_processes" in by_tool:
        procs = by_tool["top_processes"].data or []
        if isinstance(procs, list) and procs:
            top = procs[0]
            if family == fam.CPU:
                return (
                    f"The busiest process is PID {top.get('pid')} ({top.get('name')}) at "
                    f"{float(top.get('cpu_percent') or 0):.0f}% of one core."
                )
            return (
                f"The largest process is PID {top.get('pid')} ({top.get('name')}) with "
                f"{human_bytes(float(top.get('rss') or 0))} resident."
            )
    if family == fam.ENDPOINT and "check_endpoint" in by_tool:
        first = (
            by_tool["check_endpoint"].text.splitlines()[0] if by_tool["check_endpoint"].text else ""
        )
        return f"The probe now says: {first}"
    if family == fam.MODEL and "model_drift" in by_tool:
        return by_tool["model_drift"].text.splitlines()[0]
    failed = [e.tool for e in evidence if not e.ok]
    if failed:
        return f"Not determined: {', '.join(dict.fromkeys(failed))} could not run."
    if set(by_tool) - {CHANGES_TOOL}:
        return "Not determined beyond what the evidence above shows."
    return "Not determined: there is no evidence to determine it from."


def _runbook_line(runbook: dict[str, Any] | None) -> str:
    if not runbook:
        return "No runbook matches this alert."
    section = f" › {runbook['section']}" if runbook.get("section") else ""
    line = f"{runbook.get('title', '?')}{section} ({runbook.get('source', '?')})"
    if runbook.get("warning"):  # flagged at ingest: cited, never as the mitigation to follow
        line += f" — {runbook['warning']}"
    return line


def _action_text(action: ProposedAction) -> str:
    approval = f", approval {action.approval_id}" if action.approval_id else ""
    return f"{action.action} — {action.reason} (risk {action.risk}{approval})"


def _actions_line(actions: list[ProposedAction], dropped: list[str]) -> str:
    fixes = [a for a in actions if a.fixes]
    if fixes:
        line = "; ".join(_action_text(a) for a in fixes)
        idle = [a for a in actions if not a.fixes]
        return line + ("" if not idle else "; not the fix: " + "; ".join(map(_action_text, idle)))
    if actions:
        return "nothing in the remediation catalogue fixes this. Not the fix: " + "; ".join(
            _action_text(a) for a in actions
        )
    if dropped:
        return "none that can run now (" + "; ".join(dropped[:3]) + ")"
    return "none in the remediation catalogue fits this alert"


def offline_summary(
    incident: IncidentInput,
    evidence: list[Evidence],
    runbook: dict[str, Any] | None,
    actions: list[ProposedAction],
    dropped: list[str],
) -> str:
    figures = " · ".join(f"{k}: {v}" for k, v in incident.fields) or "none recorded"
    lines = [
        f"*What is wrong:* {incident.title}.",
        *([f"*{incident.alert_warning}*"] if incident.alert_warning else []),
        f"*Evidence:* {evidence_sentences(incident, evidence)}",
        f"*Likely cause:* {_cause(incident, evidence)}",
        f"*Figures:* {figures}",
        f"*Runbook:* {_runbook_line(runbook)}",
        f"*Suggested:* {_actions_line(actions, dropped)}",
    ]
    return redact("\n".join(lines))


def fill_prompt(
    template: str,
    incident: IncidentInput,
    evidence: list[Evidence],
    runbook: dict[str, Any] | None,
    actions: list[ProposedAction],
    dropped: list[str],
) -> str:
    figures = "\n".join(f"- {k}: {v}" for k, v in incident.fields)
    evidence_text = "\n\n".join(f"## {e.tool} {e.args}\n{e.text}" for e in evidence) or "(none)"
    runbook_text = _runbook_line(runbook)
    if runbook and runbook.get("excerpt"):
        runbook_text += "\n" + str(runbook["excerpt"])
    alert_text = incident.summary
    if incident.alert_warning:
        alert_text = f"{incident.alert_warning}\n{alert_text}"
    values = {
        "title": f"{incident.title} [{incident.alertname}, {incident.severity}]"
        + (" (untrusted alert text, see the evidence)" if incident.alert_warning else ""),
        "evidence": (alert_text + "\n" + figures + "\n\n" + evidence_text).strip(),
        "runbook": runbook_text,
        "actions": _actions_line(actions, dropped),
    }
    text = template
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value).replace("{{ " + key + " }}", value)
    return redact(text)  # a last pass over everything that leaves the process
