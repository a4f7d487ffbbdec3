"""The evidence plan of triage: which read-only tool calls show the incident's problem.

The alert's family (`tools/infra/alert_families.py`) chooses them:
- PromQL (`query_metrics`, only when PROMETHEUS_URL is set) for alerts from Prometheus or
  Alertmanager: the alert's own expression when it came with one (`details["expr"]`), else the
  family's metric narrowed by the alert's identifying labels (instance, job, namespace, pod,
  device, mountpoint...); each as an instant query and as a range query over the last hour at
  a coarse step (`range="1h"`, `step="300"`).
- The host tools only when the incident is about this host (`IncidentInput.local`):
  `disk_usage` of the alert's mountpoint, `top_processes` for CPU and memory, `host_health`.
- `check_endpoint` for probe alerts: blackbox's `instance` label is the probed URL.
- opsbot's own model and prompt alerts: the model's drift and status, the prompt's version.
Tools not in this build are skipped by triage (`TriageNodes.gather`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphs.triage_types import OWN_ALERTS, IncidentInput
from tools.infra import alert_families as fam
from tools.infra.promql import matchers, selector

Call = tuple[str, dict[str, Any]]
QUERY_TOOL = "query_metrics"
EXTERNAL_KINDS = {"alertmanager", "prometheus"}
LOGS_KINDS = {"host", "endpoint", "alertmanager"}
TARGET = ("instance", "job")
HOUR = "1h"  # the range query's window...
STEP_SECONDS = "300"  # ...at a coarse step: 13 points
_Template = Callable[[Mapping[str, str]], str | None]


def _disk(labels: Mapping[str, str]) -> str:
    keys = ("instance", "mountpoint", "device")
    avail = selector("node_filesystem_avail_bytes", labels, keys)
    size = selector("node_filesystem_size_bytes", labels, keys)
    return f"100 * (1 - {avail} / {size})"


def _cpu(labels: Mapping[str, str]) -> str:
    idle = selector("node_cpu_seconds_total", labels, ("instance",), 'mode="idle"')
    return f"100 * (1 - avg by (instance) (rate({idle}[5m])))"


def _memory(labels: Mapping[str, str]) -> str:
    available = selector("node_memory_MemAvailable_bytes", labels, ("instance",))
    total = selector("node_memory_MemTotal_bytes", labels, ("instance",))
    return f"100 * (1 - {available} / {total})"


def _workload(labels: Mapping[str, str]) -> str | None:
    if labels.get("pod"):
        return selector("kube_pod_status_phase", labels, ("namespace", "pod")) + " == 1"
    for kind in ("deployment", "statefulset", "daemonset"):
        if labels.get(kind):
            return selector(f"kube_{kind}_status_replicas_available", labels, ("namespace", kind))
    return None


def _volume(labels: Mapping[str, str]) -> str | None:
    keys = ("namespace", "persistentvolumeclaim")
    if not matchers(labels, keys):
        return None
    available = selector("kubelet_volume_stats_available_bytes", labels, keys)
    capacity = selector("kubelet_volume_stats_capacity_bytes", labels, keys)
    return f"100 * (1 - {available} / {capacity})"


def _node(labels: Mapping[str, str]) -> str | None:
    if labels.get("node"):
        return selector("kube_node_status_condition", labels, ("node",), 'status="true"') + " == 1"
    return _up(labels)


def _probe(labels: Mapping[str, str]) -> str | None:
    return selector("probe_success", labels, TARGET) if matchers(labels, TARGET) else None


def _up(labels: Mapping[str, str]) -> str | None:
    return selector("up", labels, TARGET) if matchers(labels, TARGET) else None


def _host_metric(template: _Template) -> _Template:
    """A node-exporter metric only when the alert names its instance (else every host's)."""
    return lambda labels: template(labels) if labels.get("instance") else _up(labels)


TEMPLATES: dict[str, _Template] = {
    fam.DISK: lambda labels: _disk(labels) if matchers(labels, ("instance",)) else None,
    fam.CPU: _host_metric(_cpu),
    fam.MEMORY: _host_metric(_memory),
    fam.ENDPOINT: _probe,
    fam.KUBE_WORKLOAD: _workload,
    fam.KUBE_STORAGE: _volume,
    fam.KUBE_CLUSTER: _node,
}


def base_query(incident: IncidentInput, family: str) -> str | None:
    """The PromQL that shows the alert: its own expression, else its family's metric narrowed
    by its labels, else whether its target is up, else the alert's own firing series."""
    expr = incident.details.get("expr")
    if isinstance(expr, str) and expr.strip():
        return expr.strip()
    if incident.kind not in EXTERNAL_KINDS or incident.alertname in OWN_ALERTS:
        return None  # opsbot's own findings: the host tools are the evidence
    labels = incident.labels
    found = TEMPLATES.get(family, _up)(labels)
    if found:
        return found
    name = incident.alertname.replace("\\", "").replace('"', "")
    return f'ALERTS{{alertname="{name}",alertstate="firing"}}'


def promql_calls(incident: IncidentInput, family: str) -> list[Call]:
    query = base_query(incident, family)
    if query is None:
        return []
    return [
        (QUERY_TOOL, {"query": query}),
        (QUERY_TOOL, {"query": query, "range": HOUR, "step": STEP_SECONDS}),
    ]


def _host_calls(family: str, labels: Mapping[str, str]) -> list[Call]:
    if family == fam.DISK:
        return [("disk_usage", {"path": labels.get("mountpoint", "/"), "top": 8}),
                ("host_health", {})]  # fmt: skip
    if family in (fam.CPU, fam.MEMORY):
        by = "cpu" if family == fam.CPU else "memory"
        return [("host_health", {}), ("top_processes", {"by": by, "limit": 5})]
    if family in (fam.DISK_IO, fam.HOST, fam.HARDWARE):
        calls: list[Call] = [("host_health", {})]
    else:
        calls = []
    if labels.get("mountpoint"):
        calls.insert(0, ("disk_usage", {"path": labels["mountpoint"], "top": 8}))
    return calls


def probe_target(labels: Mapping[str, str]) -> str | None:
    """What a probe alert probed: opsbot's `endpoint`, blackbox's `instance` (the URL), or a
    `target`/`url` label."""
    for key in ("endpoint", "target", "url"):
        if labels.get(key):
            return labels[key]
    instance = labels.get("instance", "")
    return instance if "://" in instance else None


def _own_calls(family: str, labels: Mapping[str, str]) -> list[Call]:
    if family == fam.MODEL and labels.get("model"):
        args: dict[str, Any] = {"name": labels["model"]}
        if str(labels.get("version", "")).isdigit():
            args["version"] = int(labels["version"])
        return [("model_drift", args), ("model_status", {"name": labels["model"]})]
    if family == fam.PROMPT and labels.get("prompt"):
        label = labels.get("label") or "production"
        return [("show_prompt", {"name": labels["prompt"], "label": label})]
    return []


def evidence_plan(incident: IncidentInput) -> list[Call]:
    """The read-only tool calls that show this alert's kind of problem."""
    family = fam.family_of(incident.alertname)
    labels = incident.labels
    plan = _host_calls(family, labels) if incident.local else []
    if family == fam.ENDPOINT and (target := probe_target(labels)):
        plan.append(("check_endpoint", {"target": target}))
    plan += _own_calls(family, labels)
    if incident.alertname == "LLMRegression" and labels.get("prompt"):  # its calls per version
        plan.append(("prompt_metrics", {"prompt": labels["prompt"], "since": "24h"}))
    plan += promql_calls(incident, family)
    if incident.kind in LOGS_KINDS and family not in (fam.MODEL, fam.PROMPT):
        # the errors logged around the onset (only when LOG_SOURCES is set: else no such tool)
        plan.append(("search_logs", {"level": "error", "since": "30m", "limit": 10}))
    return plan


__all__ = ["HOUR", "QUERY_TOOL", "base_query", "evidence_plan", "probe_target", "promql_calls"]
