"""What the triage evidence shows, in sentences for the offline summary: "query `…` returned
97.2 for instance=web-1:9100, mountpoint=/; over the last 1h between 88.1 and 97.2",
"disk_usage of / shows 93.0% used, 2.1 GiB free of 30.0 GiB", "the probe says: …"; and, when
nothing was gathered, why not (no tool applies; the tools it needs are not in this build; the
instance is another host). Never the alert's own annotations."""

from __future__ import annotations

from typing import Any

from graphs.triage_plan import HOUR, QUERY_TOOL, evidence_plan
from graphs.triage_types import Evidence, IncidentInput
from tools.format import human_bytes
from tools.infra import alert_families as fam
from tools.infra.promql import one_line
from tools.infra.this_host import HOST_LABELS

SHOWN_LABELS = ("instance", "mountpoint", "device", "namespace", "pod", "container",
                "deployment", "node", "persistentvolumeclaim", "job", "name", "service")  # fmt: skip
MAX_SENTENCES = 8
HOST_FAMILIES = {fam.DISK, fam.DISK_IO, fam.CPU, fam.MEMORY, fam.HOST, fam.HARDWARE}
CHANGES_TOOL = "what_changed"  # graphs/triage_changes.py: read for the cause, not listed here


def number(value: float) -> str:
    if value != value:  # NaN
        return "NaN"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "no output"


def _samples(item: Evidence) -> list[dict[str, Any]]:
    data = item.data if isinstance(item.data, list) else []
    return [s for s in data if isinstance(s, dict) and isinstance(s.get("value"), int | float)]


def _about(sample: dict[str, Any], incident: IncidentInput) -> bool:
    """Whether the series is the alert's: no identifying label of both says otherwise."""
    labels = sample.get("labels") or {}
    return all(
        labels[k] == incident.labels[k]
        for k in SHOWN_LABELS
        if k in labels and k in incident.labels
    )


def _key(labels: dict[str, str] | None) -> dict[str, str]:
    """A series' labels without its metric name (functions over time drop it)."""
    return {k: v for k, v in (labels or {}).items() if k != "__name__"}


def _series_name(labels: dict[str, str]) -> str:
    shown = [f"{k}={labels[k]}" for k in SHOWN_LABELS if labels.get(k)][:3]
    return ", ".join(shown) or "the single series"


def _points(sample: dict[str, Any]) -> list[float]:
    values = [
        p[1] for p in sample.get("points") or [] if isinstance(p, list | tuple) and len(p) == 2
    ]
    return [float(v) for v in values if isinstance(v, int | float) and v == v]


def _range_part(item: Evidence, chosen: dict[str, str] | None, incident: IncidentInput) -> str:
    """The chosen series over the window: its lowest and highest values."""
    window = item.args.get("range", HOUR)
    series = [s for s in (item.data or []) if isinstance(s, dict) and _points(s)]
    same = [s for s in series if chosen is not None and _key(s.get("labels")) == _key(chosen)]
    same = same or [s for s in series if _about(s, incident)]
    if not same:
        return f"; nothing over the last {window}"
    values = _points(same[0])
    low, high = number(min(values)), number(max(values))
    span = f"between {low} and {high}" if low != high else f"steady at {low}"
    return f"; over the last {window} {span}"


def _query_sentence(
    query: str, now: Evidence | None, over: Evidence | None, incident: IncidentInput
) -> str:
    text = f"query `{one_line(query)}`"
    chosen: dict[str, str] | None = None
    if now is not None:
        samples = _samples(now)
        ours = [s for s in samples if _about(s, incident)] or samples
        if not ours:
            text += " returned no series now"
        else:
            first = ours[0]
            chosen = dict(first.get("labels") or {})
            text += f" returned {number(float(first['value']))} for {_series_name(chosen)}"
            if len(ours) > 1:
                text += f" (and {len(ours) - 1} more series)"
    if over is not None:
        text += _range_part(over, chosen, incident)
    return text


def _queries(evidence: list[Evidence], incident: IncidentInput) -> list[str]:
    """One sentence per query: its value now and over the window of its range query."""
    now: dict[str, Evidence] = {}
    over: dict[str, Evidence] = {}
    for item in evidence:
        if item.tool != QUERY_TOOL or not item.ok:
            continue
        query = str(item.args.get("query", ""))
        (over if item.args.get("range") else now)[query] = item
    order = list(now) + [q for q in over if q not in now]
    return [_query_sentence(q, now.get(q), over.get(q), incident) for q in order]


def _disk(item: Evidence) -> str:
    data = item.data if isinstance(item.data, dict) else {}
    mount = data.get("mount") or {}
    return (
        f"disk_usage of {data.get('path', '?')} shows {float(mount.get('percent') or 0):.1f}% "
        f"used, {human_bytes(float(mount.get('free') or 0))} free of "
        f"{human_bytes(float(mount.get('total') or 0))} on {mount.get('mountpoint', '?')}"
    )


def _host(item: Evidence) -> str:
    data = item.data if isinstance(item.data, dict) else {}
    return (
        f"host_health of {data.get('hostname', 'this host')}: overall {data.get('overall', '?')}, "
        f"CPU {float(data.get('cpu_percent') or 0):.0f}%, memory "
        f"{float(data.get('memory_percent') or 0):.0f}%, load per core "
        f"{float(data.get('load_per_core') or 0):.2f}"
    )


def _processes(item: Evidence) -> str:
    procs = [p for p in (item.data or []) if isinstance(p, dict)][:3]
    by = item.args.get("by", "cpu")
    if not procs:
        return "top_processes found no process"
    if by == "memory":
        top = ", ".join(
            f"{p.get('name')} (PID {p.get('pid')}, {human_bytes(float(p.get('rss') or 0))})"
            for p in procs
        )
    else:
        top = ", ".join(
            f"{p.get('name')} (PID {p.get('pid')}, {float(p.get('cpu_percent') or 0):.0f}%)"
            for p in procs
        )
    return f"the top processes by {by} are {top}"


def _one(item: Evidence) -> str | None:
    if item.tool == "disk_usage":
        return _disk(item)
    if item.tool == "host_health":
        return _host(item)
    if item.tool == "top_processes":
        return _processes(item)
    if item.tool == "check_endpoint":
        return f"the probe says: {_first_line(item.text)}"
    if item.tool in (QUERY_TOOL, CHANGES_TOOL):
        return None
    return f"{item.tool}: {_first_line(item.text)}"


def _other_host(incident: IncidentInput) -> str | None:
    """Why the host tools were not used: the alert names another host."""
    if incident.local or fam.family_of(incident.alertname) not in HOST_FAMILIES:
        return None
    host = next((incident.labels[k] for k in HOST_LABELS if incident.labels.get(k)), None)
    if host is None:
        return None
    return f"{host} is not this host, so this host's disk and processes are not evidence"


def _nothing(incident: IncidentInput) -> str:
    planned = [name for name, _ in evidence_plan(incident)]
    other = _other_host(incident)
    if not planned:
        why = "no read-only tool applies to this alert"
    else:
        missing = sorted(set(planned))
        why = f"the tools that would show it are not available here ({', '.join(missing)})"
        if QUERY_TOOL in missing:
            why += "; PromQL needs PROMETHEUS_URL"
    return "none gathered: " + why + (f"; {other}" if other else "") + "."


def evidence_sentences(incident: IncidentInput, evidence: list[Evidence]) -> str:
    """What the evidence shows, one clause per tool, failures named; or why there is none."""
    gathered = [e for e in evidence if e.tool != CHANGES_TOOL]
    if not gathered:
        return _nothing(incident)
    shown = [e for e in gathered if e.ok]
    parts = _queries(shown, incident) + [s for e in shown if (s := _one(e)) is not None]
    failed: dict[str, str] = {}
    for item in gathered:
        if not item.ok and item.tool not in failed:
            failed[item.tool] = _first_line(item.text)
    parts += [f"{tool} could not run ({why})" for tool, why in failed.items()]
    if other := _other_host(incident):
        parts.append(other)
    clipped = parts[:MAX_SENTENCES]
    more = len(parts) - len(clipped)
    return "; ".join(clipped) + (f"; and {more} more" if more else "") + "."


__all__ = ["evidence_sentences", "number"]
