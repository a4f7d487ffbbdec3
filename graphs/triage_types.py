"""What incident triage (`graphs/triage.py`) works on and returns: the incident, each piece of
evidence, a proposed action, the result, what it depends on, the graph's state, and the alert
families that choose the evidence and word the cause."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from core.incidents import UNTRUSTED
from graphs.observe import TurnRecorder
from tools.base import Toolbox
from tools.injection import warning
from tools.remediation.catalogue import RemediationCatalogue

if TYPE_CHECKING:
    from graphs.triage_changes import RecentChanges

DISK = {"HostDiskFull", "HostDiskFillingUp", "HostInodesExhausted"}
CPU = {"HostHighCpu"}
MEMORY = {"HostMemoryPressure", "HostSwapHigh"}
ENDPOINT = {"EndpointDown", "EndpointSlow", "TlsCertificateExpiring"}
MODEL = {"ModelDataDrift", "ModelPerformanceDrop"}
PROMPT = {"PromptRegression"}
ATTACHED_HEAD_LINES = 3  # of a tool's output posted as a file, shown in the note
# opsbot's own findings (bot/monitors/): no PromQL for them unless they carry an expression
OWN_ALERTS = DISK | CPU | MEMORY | ENDPOINT | MODEL | PROMPT | {
    "AnomalyQueryFailing", "MetricAnomaly", "HeartbeatMissing", "LogErrorBurst",
    "LogSourceUnreadable",
}  # fmt: skip


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

    def evidence_note(self, attached: Collection[str] = ()) -> str:
        """The evidence for the thread; the output of the `attached` tools (posted as files
        beside the note) is cut to its first lines."""
        parts = []
        for item in self.evidence:
            args = ", ".join(f"{k}={v!r}" for k, v in item.args.items())
            status = "" if item.ok else " (failed)"
            text = item.text
            if item.tool in attached and item.ok:
                head = text.splitlines()[:ATTACHED_HEAD_LINES]
                text = "\n".join(head) + "\n(the lines are in the attached file)"
            parts.append(f"*{item.tool}({args})*{status}\n{text}")
        return "Evidence gathered by triage:\n" + "\n\n".join(parts) if parts else ""


@dataclass
class TriageDeps:
    toolbox: Toolbox
    model: Any = None  # a LangChain chat model; None or the offline planner: code writes it
    # (alertname, summary and description, the alert's runbook_url) -> the runbook to cite
    runbook_lookup: Callable[[str, str, str | None], dict[str, Any] | None] | None = None
    catalogue: RemediationCatalogue | None = None
    request_approval: Callable[[IncidentInput, ProposedAction], str | None] | None = None
    prompt: Callable[[], str] | None = None
    recent_changes: RecentChanges | None = None  # the change log (graphs/triage_changes.py)
    recorder: TurnRecorder | None = None  # keeps each triage's spans (graphs/observe.py)


class TriageState(TypedDict, total=False):
    incident: IncidentInput
    evidence: list[Evidence]
    runbook: dict[str, Any] | None
    actions: list[ProposedAction]
    dropped: list[str]
    summary: str
    writer: str
    error: str | None
