"""Incident triage: a LangGraph pipeline of evidence -> runbook -> actions -> summary.

Deterministic first: the evidence comes from the read-only tools that fit the incident's alert
family (`triage_plan.py`: PromQL around the alert's expression, disk usage for a full disk on
this host, the busiest processes for high CPU, the probe for a down endpoint...), the runbook
from the runbook index (alert name first, then text), and the suggested actions from the
remediation catalogue's rules, each dry-run before an approval is requested. The language
model, when there is one, only writes the summary from that evidence. Every tool output is
redacted before it is stored or shown to any model; the whole prompt is redacted again on its
way out. With the offline planner the summary is written from the evidence by code.

The types are in `triage_types.py`, the summary and the prompt in `triage_summary.py`.
A run is observed like an agent turn (graphs/observe.py): one trace whose root span is
`triage`, with an `execute_tool` span per evidence tool and a `chat` span for the model call.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.graph import END, START, StateGraph

from core.access import Caller
from core.clock import utcnow
from graphs.llm import describe_failure, is_offline, message_text, model_name
from graphs.observe import CHAT, TOOL, TRIAGE, current_trace, model_of, observed_turn, usage_of
from graphs.triage_changes import changes_evidence, revert_suggestion
from graphs.triage_plan import QUERY_TOOL, evidence_plan
from graphs.triage_summary import fill_prompt, offline_summary
from graphs.triage_types import (
    Evidence,
    IncidentInput,
    ProposedAction,
    TriageDeps,
    TriageResult,
    TriageState,
)
from tools.redact import redact, redact_data
from tools.remediation.catalogue import RemediationCatalogue
from tools.remediation.relevance import DiskNeed, disk_need
from tools.remediation.suggest import Suggestion, suggest

log = logging.getLogger(__name__)

MAX_EVIDENCE_TEXT = 3000
TRIAGE_CALLER = Caller(user="opsbot", via="scheduler")


def _clip(text: str) -> str:
    if len(text) <= MAX_EVIDENCE_TEXT:
        return text
    return text[:MAX_EVIDENCE_TEXT] + f"\n… ({len(text) - MAX_EVIDENCE_TEXT} more characters)"


# ---------------------------------------------------------------------- the graph
@dataclass(frozen=True)
class TriageNodes:
    """The four steps of triage, each one node of the graph: gather the evidence, find the
    runbook, suggest actions (each dry-run, each an approval), write the summary."""

    deps: TriageDeps

    def gather(self, state: TriageState) -> dict[str, Any]:
        incident = state["incident"]
        found: list[Evidence] = []
        for name, args in evidence_plan(incident):
            if name == QUERY_TOOL and any(e.tool == QUERY_TOOL and not e.ok for e in found):
                continue  # Prometheus failed this query: its range query would fail alike
            item = self._evidence(name, args)
            if item is not None:
                found.append(item)
        if self.deps.recent_changes is not None:
            found.append(changes_evidence(self.deps.recent_changes, incident))
        return {"evidence": found}

    def _evidence(self, name: str, args: dict[str, Any]) -> Evidence | None:
        """One read tool's result, redacted; None when the tool is not in this build."""
        tool = self.deps.toolbox.get(name)
        if tool is None:
            return None
        trace = current_trace()
        if trace is None:
            return self._run_tool(tool, name, args)
        with trace.span(TOOL, tool_name=name) as span:
            item = self._run_tool(tool, name, args)
            span.error = not item.ok
        return item

    def _run_tool(self, tool: Any, name: str, args: dict[str, Any]) -> Evidence:
        try:
            result = tool.invoke(args, TRIAGE_CALLER)
            return Evidence(
                name, args, result.ok, _clip(redact(result.text)), redact_data(result.data)
            )
        except Exception as exc:  # evidence is best effort; say what failed
            log.warning("triage evidence %s failed: %s", name, exc)
            return Evidence(name, args, False, f"{type(exc).__name__}: {redact(str(exc))}")

    def runbook(self, state: TriageState) -> dict[str, Any]:
        """The runbook to cite: the alert's own runbook_url first (its local copy when one is
        indexed), then the runbooks naming the alert, then by meaning
        (`tools/runbooks/choice.py`); the URL alone when the lookup is missing or fails."""
        from tools.runbooks.choice import runbook_url, url_choice  # (kept inside this node)

        incident = state["incident"]
        url = runbook_url(incident.details.get("runbook_url"))
        found = None
        if self.deps.runbook_lookup is not None:
            try:
                found = self.deps.runbook_lookup(
                    incident.alertname, f"{incident.title}. {incident.summary}", url
                )
            except Exception as exc:
                log.warning("runbook lookup failed: %s", exc)
        if found is None and url is not None:
            found = url_choice(incident.alertname, url).to_dict()
        return {"runbook": found}

    def actions(self, state: TriageState) -> dict[str, Any]:
        if self.deps.catalogue is None:
            return {"actions": [], "dropped": []}
        suggestions, dropped = self._suggestions(state, self.deps.catalogue)
        proposed: list[ProposedAction] = []
        for suggestion in suggestions:
            action = self._requested(state["incident"], suggestion, dropped)
            if action is not None:
                proposed.append(action)
        return {"actions": proposed, "dropped": dropped}

    def _suggestions(
        self, state: TriageState, catalogue: RemediationCatalogue
    ) -> tuple[list[Suggestion], list[str]]:
        """The catalogue's rules for this incident, the revert of a likely-cause change
        first; and why the others were dropped."""
        incident = state["incident"]
        evidence = state.get("evidence", [])
        processes = None
        for item in evidence:
            if item.tool == "top_processes" and isinstance(item.data, list):
                processes = item.data
        labels = dict(incident.labels)
        if not incident.local:  # about another host: local files and processes are not it
            labels.pop("mountpoint", None)
            processes = None
        disk = _disk_need(labels.get("mountpoint"), evidence)
        suggestions, dropped = suggest(catalogue, incident.alertname, labels, processes, disk=disk)
        revert, why = revert_suggestion(catalogue, evidence)
        if revert is not None:  # first, in place of a generic rollback of the same thing
            name = revert.params.get("name")
            suggestions = [revert] + [
                s for s in suggestions if (s.action, s.params.get("name")) != (revert.action, name)
            ]
        if why is not None:
            dropped.append(why)
        return suggestions, dropped

    def _requested(
        self, incident: IncidentInput, suggestion: Suggestion, dropped: list[str]
    ) -> ProposedAction | None:
        """The suggestion as a proposed action with its pending approval; None (and the
        reason in `dropped`) when the approval could not be created."""
        action = _proposed(suggestion)
        if self.deps.request_approval is None:
            return action
        try:
            action.approval_id = self.deps.request_approval(incident, action)
        except Exception as exc:
            log.warning("could not request approval for %s: %s", suggestion.action, exc)
            dropped.append(f"{suggestion.action}: approval could not be created ({exc})")
            return None
        return action

    def summarise(self, state: TriageState) -> dict[str, Any]:
        incident = state["incident"]
        evidence = state.get("evidence", [])
        found = state.get("runbook")
        proposed = state.get("actions", [])
        dropped = state.get("dropped", [])
        fallback = offline_summary(incident, evidence, found, proposed, dropped)
        model = self.deps.model
        if model is None or is_offline(model) or self.deps.prompt is None:
            return {"summary": fallback, "writer": "offline", "error": None}
        prompt = fill_prompt(self.deps.prompt(), incident, evidence, found, proposed, dropped)
        began, started = utcnow(), time.monotonic()
        try:
            reply = model.invoke([HumanMessage(content=prompt)])
        except Exception as exc:
            _chat_span(began, started, model_name(model), None)
            reason = describe_failure(exc)
            log.warning("triage summary by the model failed: %s", reason)
            return {"summary": fallback, "writer": "offline", "error": reason}
        _chat_span(began, started, model_name(model), reply)
        text = message_text(reply).strip() or fallback
        return {"summary": redact(text), "writer": "model", "error": None}


def _chat_span(began: Any, started: float, name: str, reply: Any) -> None:
    """The summary's model call as a `chat` span of the triage's trace (`reply` None: it
    failed)."""
    trace = current_trace()
    if trace is None:
        return
    tokens_in, tokens_out = (None, None) if reply is None else usage_of(reply)
    model = name if reply is None else model_of(reply, name)
    seconds = time.monotonic() - started
    trace.add(
        CHAT, began, seconds, error=reply is None,
        model=model, input_tokens=tokens_in, output_tokens=tokens_out,
    )  # fmt: skip


def build_triage_graph(deps: TriageDeps) -> Any:
    nodes = TriageNodes(deps)
    graph = StateGraph(TriageState)
    graph.add_node("gather_evidence", nodes.gather)
    graph.add_node("find_runbook", nodes.runbook)
    graph.add_node("suggest_actions", nodes.actions)
    graph.add_node("summarise", nodes.summarise)
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
    with observed_turn(deps.recorder, model_name(deps.model), operation=TRIAGE):
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
