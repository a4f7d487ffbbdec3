"""Incident triage: a LangGraph pipeline of evidence -> runbook -> actions -> summary.

Deterministic first: the evidence comes from the read-only tools that fit the incident's
alert (disk usage for a full disk, the busiest processes for high CPU, the probe for a down
endpoint...), the runbook from the runbook index (alert name first, then text), and the
suggested actions from the remediation catalogue's rules, each dry-run before an approval is
requested. The language model, when there is one, only writes the summary from that
evidence. Every tool output is redacted before it is stored or shown to any model; the whole
prompt is redacted again on its way out. With the offline planner the summary is written
from the evidence by code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from langchain_core.messages import HumanMessage
from langgraph.graph import END, START, StateGraph

from core.access import Caller
from core.incidents import UNTRUSTED
from graphs.llm import describe_failure, is_offline, message_text
from graphs.triage_changes import (
    RecentChanges,
    cause_sentence,
    changes_evidence,
    revert_suggestion,
)
from tools.base import Toolbox
from tools.format import human_bytes
from tools.injection import warning
from tools.redact import redact, redact_data
from tools.remediation.catalogue import RemediationCatalogue
from tools.remediation.relevance import DiskNeed, disk_need
from tools.remediation.suggest import Suggestion, suggest

log = logging.getLogger(__name__)

MAX_EVIDENCE_TEXT = 3000
TRIAGE_CALLER = Caller(user="opsbot", via="scheduler")

DISK = {"HostDiskFull", "HostDiskFillingUp", "HostInodesExhausted"}
CPU = {"HostHighCpu"}
MEMORY = {"HostMemoryPressure", "HostSwapHigh"}
ENDPOINT = {"EndpointDown", "EndpointSlow", "TlsCertificateExpiring"}
MODEL = {"ModelDataDrift", "ModelPerformanceDrop"}
PROMPT = {"PromptRegression"}


@dataclass
class IncidentInput:
    id: int
    title: str
    alertname: str
    kind: str
    severity: str
    labels: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    fields: list[list[str]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    local: bool = True  # about this host (monitor findings), so local tools are evidence
    started_at: datetime | None = None  # the onset: changes before it are candidate causes

    @property
    def alert_warning(self) -> str | None:
        """The warning for the alert's own text (title, summary) when it was flagged as
        instruction-like where the incident came in (`core.incidents.UNTRUSTED`)."""
        reason = self.details.get(UNTRUSTED)
        return warning(str(reason), "the alert's text") if reason else None


@dataclass
class Evidence:
    tool: str
    args: dict[str, Any]
    ok: bool
    text: str  # redacted
    data: Any = None  # redacted


@dataclass
class ProposedAction:
    action: str
    params: dict[str, Any]
    reason: str
    preview: str
    risk: str
    approval_id: str | None = None
    fixes: bool = True  # False: a valid action that is irrelevant to this incident


@dataclass
class TriageResult:
    summary: str
    runbook: dict[str, Any] | None
    evidence: list[Evidence]
    actions: list[ProposedAction]
    dropped: list[str]
    writer: str  # "offline" or "model"
    error: str | None = None

    def evidence_note(self) -> str:
        parts = []
        for item in self.evidence:
            args = ", ".join(f"{k}={v!r}" for k, v in item.args.items())
            status = "" if item.ok else " (failed)"
            parts.append(f"*{item.tool}({args})*{status}\n{item.text}")
        return "Evidence gathered by triage:\n" + "\n\n".join(parts) if parts else ""


@dataclass
class TriageDeps:
    toolbox: Toolbox
    model: Any = None  # a LangChain chat model; None or the offline planner: code writes it
    runbook_lookup: Callable[[str, str], dict[str, Any] | None] | None = None
    catalogue: RemediationCatalogue | None = None
    request_approval: Callable[[IncidentInput, ProposedAction], str | None] | None = None
    prompt: Callable[[], str] | None = None
    recent_changes: RecentChanges | None = None  # the change log (graphs/triage_changes.py)


class TriageState(TypedDict, total=False):
    incident: IncidentInput
    evidence: list[Evidence]
    runbook: dict[str, Any] | None
    actions: list[ProposedAction]
    dropped: list[str]
    summary: str
    writer: str
    error: str | None


# ---------------------------------------------------------------------- evidence plan
def evidence_plan(incident: IncidentInput) -> list[tuple[str, dict[str, Any]]]:
    """The read-only tool calls that show this kind of problem."""
    name = incident.alertname
    labels = incident.labels
    plan: list[tuple[str, dict[str, Any]]] = []
    if name in DISK and incident.local:
        plan.append(("disk_usage", {"path": labels.get("mountpoint", "/"), "top": 8}))
        plan.append(("host_health", {}))
    elif name in CPU and incident.local:
        plan += [("host_health", {}), ("top_processes", {"by": "cpu", "limit": 5})]
    elif name in MEMORY and incident.local:
        plan += [("host_health", {}), ("top_processes", {"by": "memory", "limit": 5})]
    elif name in ENDPOINT and labels.get("endpoint"):
        plan.append(("check_endpoint", {"target": labels["endpoint"]}))
    elif name in MODEL and labels.get("model"):
        args: dict[str, Any] = {"name": labels["model"]}
        if str(labels.get("version", "")).isdigit():
            args["version"] = int(labels["version"])
        plan += [("model_drift", args), ("model_status", {"name": labels["model"]})]
    elif name in PROMPT and labels.get("prompt"):
        plan.append(("show_prompt", {"name": labels["prompt"], "label": "production"}))
    elif labels.get("mountpoint") and incident.local:
        plan.append(("disk_usage", {"path": labels["mountpoint"], "top": 8}))
    if incident.kind in {"host", "endpoint", "alertmanager"} and name not in MODEL | PROMPT:
        # the errors logged around the onset (only when LOG_SOURCES is set: else no such tool)
        plan.append(("search_logs", {"level": "error", "since": "30m", "limit": 10}))
    return plan


def _clip(text: str) -> str:
    if len(text) <= MAX_EVIDENCE_TEXT:
        return text
    return text[:MAX_EVIDENCE_TEXT] + f"\n… ({len(text) - MAX_EVIDENCE_TEXT} more characters)"


# ---------------------------------------------------------------------- summary writing
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
    name = incident.alertname
    if name in DISK and "disk_usage" in by_tool:
        data = by_tool["disk_usage"].data or {}
        largest = data.get("largest") or [] if isinstance(data, dict) else []
        if largest:
            top = ", ".join(
                f"{d.get('path')} ({human_bytes(float(d.get('bytes') or 0))})" for d in largest[:3]
            )
            return f"The space is mostly in {top}."
    if (name in CPU or name in MEMORY) and "top_processes" in by_tool:
        procs = by_tool["top_processes"].data or []
        if isinstance(procs, list) and procs:
            top = procs[0]
            if name in CPU:
                return (
                    f"The busiest process is PID {top.get('pid')} ({top.get('name')}) at "
                    f"{float(top.get('cpu_percent') or 0):.0f}% of one core."
                )
            return (
                f"The largest process is PID {top.get('pid')} ({top.get('name')}) with "
                f"{human_bytes(float(top.get('rss') or 0))} resident."
            )
    if name in ENDPOINT and "check_endpoint" in by_tool:
        first = (
            by_tool["check_endpoint"].text.splitlines()[0] if by_tool["check_endpoint"].text else ""
        )
        return f"The probe now says: {first}"
    if name in MODEL and "model_drift" in by_tool:
        return by_tool["model_drift"].text.splitlines()[0]
    failed = [e.tool for e in evidence if not e.ok]
    if failed:
        return f"Not determined: {', '.join(failed)} could not run."
    if incident.summary and incident.alert_warning:  # never the alert's own words as a cause
        return "Not determined from the evidence (the alert's description is flagged as untrusted)."
    if incident.summary:
        return incident.summary.strip().splitlines()[0]
    return "Not determined from the evidence available."


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


# ---------------------------------------------------------------------- the graph
def build_triage_graph(deps: TriageDeps) -> Any:
    def gather(state: TriageState) -> dict[str, Any]:
        incident = state["incident"]
        evidence: list[Evidence] = []
        for name, args in evidence_plan(incident):
            tool = deps.toolbox.get(name)
            if tool is None:
                continue
            try:
                result = tool.invoke(args, TRIAGE_CALLER)
                item = Evidence(
                    name, args, result.ok, _clip(redact(result.text)), redact_data(result.data)
                )
            except Exception as exc:  # evidence is best effort; say what failed
                log.warning("triage evidence %s failed: %s", name, exc)
                item = Evidence(name, args, False, f"{type(exc).__name__}: {redact(str(exc))}")
            evidence.append(item)
        if deps.recent_changes is not None:
            evidence.append(changes_evidence(deps.recent_changes, incident))
        return {"evidence": evidence}

    def runbook(state: TriageState) -> dict[str, Any]:
        incident = state["incident"]
        found = None
        if deps.runbook_lookup is not None:
            try:
                found = deps.runbook_lookup(
                    incident.alertname, f"{incident.title}. {incident.summary}"
                )
            except Exception as exc:
                log.warning("runbook lookup failed: %s", exc)
        if found is None and incident.details.get("runbook_url"):
            url = str(incident.details["runbook_url"])
            found = {"title": f"{incident.alertname} runbook", "section": None, "source": url}
        return {"runbook": found}

    def actions(state: TriageState) -> dict[str, Any]:
        incident = state["incident"]
        if deps.catalogue is None:
            return {"actions": [], "dropped": []}
        processes = None
        for item in state.get("evidence", []):
            if item.tool == "top_processes" and isinstance(item.data, list):
                processes = item.data
        labels = dict(incident.labels)
        if not incident.local:  # about another host: local files and processes are not it
            labels.pop("mountpoint", None)
            processes = None
        disk = _disk_need(labels.get("mountpoint"), state.get("evidence", []))
        suggestions, dropped = suggest(
            deps.catalogue, incident.alertname, labels, processes, disk=disk
        )
        revert, why = revert_suggestion(deps.catalogue, state.get("evidence", []))
        if revert is not None:  # first, in place of a generic rollback of the same thing
            name = revert.params.get("name")
            suggestions = [revert] + [
                s for s in suggestions if (s.action, s.params.get("name")) != (revert.action, name)
            ]
        if why is not None:
            dropped.append(why)
        proposed: list[ProposedAction] = []
        for suggestion in suggestions:
            action = _proposed(suggestion)
            if deps.request_approval is not None:
                try:
                    action.approval_id = deps.request_approval(incident, action)
                except Exception as exc:
                    log.warning("could not request approval for %s: %s", suggestion.action, exc)
                    dropped.append(f"{suggestion.action}: approval could not be created ({exc})")
                    continue
            proposed.append(action)
        return {"actions": proposed, "dropped": dropped}

    def summarise(state: TriageState) -> dict[str, Any]:
        incident = state["incident"]
        evidence = state.get("evidence", [])
        found = state.get("runbook")
        proposed = state.get("actions", [])
        dropped = state.get("dropped", [])
        fallback = offline_summary(incident, evidence, found, proposed, dropped)
        model = deps.model
        if model is None or is_offline(model) or deps.prompt is None:
            return {"summary": fallback, "writer": "offline", "error": None}
        prompt = fill_prompt(deps.prompt(), incident, evidence, found, proposed, dropped)
        try:
            reply = model.invoke([HumanMessage(content=prompt)])
        except Exception as exc:
            reason = describe_failure(exc)
            log.warning("triage summary by the model failed: %s", reason)
            return {"summary": fallback, "writer": "offline", "error": reason}
        text = message_text(reply).strip() or fallback
        return {"summary": redact(text), "writer": "model", "error": None}

    graph = StateGraph(TriageState)
    graph.add_node("gather_evidence", gather)
    graph.add_node("find_runbook", runbook)
    graph.add_node("suggest_actions", actions)
    graph.add_node("summarise", summarise)
    graph.add_edge(START, "gather_evidence")
    graph.add_edge("gather_evidence", "find_runbook")
    graph.add_edge("find_runbook", "suggest_actions")
    graph.add_edge("suggest_actions", "summarise")
    graph.add_edge("summarise", END)
    return graph.compile()


def _disk_need(mount: str | None, evidence: list[Evidence]) -> DiskNeed | None:
    """How much `mount` must lose to get under the disk threshold, from the evidence
    (disk_usage for the space and where it is, host_health for the threshold)."""
    if not mount:
        return None
    usage = next((e.data for e in evidence if e.tool == "disk_usage" and e.ok), None)
    host = next((e.data for e in evidence if e.tool == "host_health" and e.ok), None)
    if not isinstance(usage, dict) or not isinstance(host, dict):
        return None
    fs = usage.get("mount") or {}
    threshold = (host.get("thresholds") or {}).get("disk")
    largest = [
        (str(d.get("path")), int(d.get("bytes") or 0))
        for d in usage.get("largest") or []
        if d.get("bytes")
    ]
    return disk_need(
        str(fs.get("mountpoint") or mount),
        int(fs.get("used") or 0) + int(fs.get("free") or 0),
        int(fs.get("used") or 0),
        float(threshold) if threshold is not None else None,
        largest,
    )


def _proposed(item: Suggestion) -> ProposedAction:
    return ProposedAction(
        action=item.action,
        params=dict(item.params),
        reason=item.reason,
        preview=redact(item.preview),
        risk=item.risk,
        fixes=item.fixes,
    )


def run_triage(deps: TriageDeps, incident: IncidentInput, graph: Any = None) -> TriageResult:
    compiled = graph if graph is not None else build_triage_graph(deps)
    state = compiled.invoke({"incident": incident})
    return TriageResult(
        summary=state.get("summary", ""),
        runbook=state.get("runbook"),
        evidence=state.get("evidence", []),
        actions=state.get("actions", []),
        dropped=state.get("dropped", []),
        writer=state.get("writer", "offline"),
        error=state.get("error"),
    )


__all__ = [
    "Evidence",
    "IncidentInput",
    "ProposedAction",
    "TriageDeps",
    "TriageResult",
    "build_triage_graph",
    "evidence_plan",
    "offline_summary",
    "run_triage",
]
