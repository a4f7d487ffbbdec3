"""Verdicts of the host and service tools: host_health, top_processes, disk_usage,
check_endpoint, query_metrics."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from graphs.offline.verdicts.base import (
    BAD,
    INFO,
    OK,
    WARN,
    Outcome,
    Verdict,
    as_dict,
    as_list,
    asks_about,
)
from graphs.offline.verdicts.runbooks import runbook_ref
from tools.format import human_bytes, pct

TLS_WORDS = re.compile(r"(?i)\b(tls|ssl|https|certs?|certificates?|certficates?|x509)\b")
_LEVEL = {"crit": BAD, "warn": WARN}
SLOW_MS = 2000.0  # tools.infra.endpoints.probe's slow_ms
_KIND_OF = {"disk": "disk", "inodes": "inodes", "cpu": "cpu", "load": "cpu"}


def _flagged(levels: dict[str, str]) -> list[tuple[str, str]]:
    """(figure, level) of every figure over its threshold, critical first."""
    bad = [(k, v) for k, v in levels.items() if v in _LEVEL]
    return sorted(bad, key=lambda kv: kv[1] != "crit")


def _host_figure(name: str, data: dict[str, Any]) -> str:
    thresholds = data.get("thresholds") or {}
    if name.startswith(("disk ", "inodes ")):
        kind, mount = name.split(" ", 1)
        disk: dict[str, Any] = next(
            (d for d in data.get("disks", []) if d.get("mountpoint") == mount), {}
        )
        if kind == "inodes":
            return f"inodes on {mount} {pct(disk.get('inodes_percent', 0))} used"
        limit = f" (threshold {thresholds['disk']:g}%)" if "disk" in thresholds else ""
        return (
            f"disk {mount} {pct(disk.get('percent', 0))} used, "
            f"{human_bytes(disk.get('free', 0))} free{limit}"
        )
    if name == "cpu":
        return f"CPU {pct(data.get('cpu_percent', 0))} (threshold {thresholds.get('cpu', 0):g}%)"
    if name == "load":
        return f"load {float(data.get('load_per_core', 0)):.2f} per core"
    if name == "memory":
        return (
            f"memory {pct(data.get('memory_percent', 0))} used, "
            f"{human_bytes(data.get('memory_available', 0))} available"
        )
    if name == "swap":
        return f"swap {pct(data.get('swap_percent', 0))} used"
    return name


def _host_next(name: str) -> str:
    kind = _KIND_OF.get(name.split(" ", 1)[0], name)
    if kind == "disk":
        mount = name.split(" ", 1)[1]
        return f"ask `disk usage of {mount}` to see what fills it; {runbook_ref('disk')}."
    if kind in ("cpu", "memory"):
        by = "memory" if kind == "memory" else "cpu"
        return f"ask `top processes by {by}` to see who uses it; {runbook_ref(kind)}."
    return f"{runbook_ref(kind)}." if kind in ("inodes", "swap") else "check again in a minute."


def host(outcome: Outcome, _question: str) -> Verdict:
    data = as_dict(outcome.data)
    name = data.get("hostname", "the host")
    flagged = _flagged(data.get("levels") or {})
    if not flagged:
        disks = data.get("disks") or []
        fullest = max(disks, key=lambda d: d.get("percent", 0), default=None)
        evidence = [_host_figure("cpu", data), _host_figure("memory", data)]
        if fullest:
            evidence.append(_host_figure(f"disk {fullest['mountpoint']}", data))
        return Verdict(
            OK, f"The host {name} is healthy: every figure is within its threshold.", evidence
        )
    words = ", ".join(f"{k} {v.upper()}" for k, v in flagged)
    level = BAD if flagged[0][1] == "crit" else WARN
    return Verdict(
        level,
        f"{name} needs attention: {words}.",
        [_host_figure(k, data) for k, _ in flagged[:3]],
        _host_next(flagged[0][0]),
    )


def processes(outcome: Outcome, _question: str) -> Verdict:
    procs = [p for p in as_list(outcome.data) if isinstance(p, dict)]
    by = outcome.args.get("by", "cpu")
    if not procs:
        return Verdict(INFO, "No processes could be read.")
    top = procs[0]
    if by == "memory":
        what = f"{human_bytes(top.get('rss', 0))} resident ({pct(top.get('memory_percent', 0))})"
    else:
        what = f"{float(top.get('cpu_percent') or 0):.1f}% of one core"
    evidence = [
        f"PID {p.get('pid')} {p.get('name')}: "
        + (
            human_bytes(p.get("rss", 0))
            if by == "memory"
            else f"{float(p.get('cpu_percent') or 0):.1f}% CPU"
        )
        for p in procs[:3]
    ]
    return Verdict(
        INFO,
        f"The top process by {by} is PID {top.get('pid')} ({top.get('name')}) with {what}.",
        evidence,
    )


def disk(outcome: Outcome, _question: str) -> Verdict:
    data = as_dict(outcome.data)
    mount = as_dict(data.get("mount"))
    where = mount.get("mountpoint", data.get("path", "?"))
    level = _LEVEL.get(str(mount.get("level")), OK)
    inodes = _LEVEL.get(str(mount.get("inodes_level")), OK)
    used = (
        f"{where} is {pct(mount.get('percent', 0))} used, "
        f"{human_bytes(mount.get('free', 0))} free of {human_bytes(mount.get('total', 0))}"
    )
    largest = [d for d in data.get("largest", []) if d.get("bytes")][:3]
    evidence = [f"{d['path']}: {human_bytes(d['bytes'])}" for d in largest]
    if not data.get("complete", True):
        evidence.append("sizes are partial: the scan stopped early")
    if level == OK and inodes == OK:
        return Verdict(OK, f"Disk is fine: {used}.", evidence)
    if level == OK:
        return Verdict(
            inodes,
            f"{where} is running out of inodes ({pct(mount.get('inodes_percent', 0))} used), "
            "not bytes.",
            evidence,
            f"{runbook_ref('inodes')}.",
        )
    step = (
        f"the space is mostly in {largest[0]['path']}: clean it or move it; {runbook_ref('disk')}."
        if largest
        else f"{runbook_ref('disk')}."
    )
    return Verdict(level, f"Disk is filling up: {used}.", evidence, step)


def _tls_line(probe: dict[str, Any], question: str) -> str | None:
    url = str(probe.get("url", ""))
    if not asks_about(question, TLS_WORDS):
        return None
    if urlsplit(url).scheme == "http":
        return f"{probe.get('name')} is plain http ({url}): there is no TLS certificate to check."
    if probe.get("tls_days_left") is not None:
        return (
            f"{probe.get('name')}'s TLS certificate expires {probe.get('tls_expires')} "
            f"({float(probe['tls_days_left']):g} days left)"
            + (f"; it does not verify: {probe['tls_error']}" if probe.get("tls_error") else "")
            + "."
        )
    if probe.get("tls_error"):
        return f"{probe.get('name')}'s TLS certificate could not be read: {probe['tls_error']}."
    return None


def endpoints(outcome: Outcome, question: str) -> Verdict:
    probes = [p for p in as_list(outcome.data) if isinstance(p, dict)]
    if not probes:
        return Verdict(INFO, "No endpoint was probed.")
    down = [p for p in probes if not p.get("ok")]
    slow = [p for p in probes if p.get("ok") and p.get("level") != "ok"]
    tls = [line for line in (_tls_line(p, question) for p in probes) if line]
    evidence = [
        f"{p.get('name')}: "
        + (
            f"DOWN, {p.get('error')}"
            if not p.get("ok")
            else f"HTTP {p.get('status')} in {float(p.get('latency_ms') or 0):g} ms"
        )
        for p in (down + slow + [p for p in probes if p not in down and p not in slow])[:4]
    ]
    if down:
        names = ", ".join(str(p.get("name")) for p in down)
        head = f"{names} {'is' if len(down) == 1 else 'are'} down ({down[0].get('error')})."
        step = (
            f"check the service behind {down[0].get('name')} (a configured service can be "
            f"restarted with an approval: `restart <service>`); {runbook_ref('endpoint_down')}."
        )
        return Verdict(BAD, " ".join([head, *tls]), evidence, step)
    if slow:
        reasons = [_warning(p) for p in slow]
        head = "Up, with warnings: " + "; ".join(r for r, _ in reasons) + "."
        step = f"{runbook_ref(reasons[0][1])}."
        return Verdict(WARN, " ".join([head, *tls]), evidence, step)
    head = "All probed endpoints are up." if len(probes) > 1 else f"{probes[0].get('name')} is up."
    return Verdict(OK, " ".join([head, *tls]), evidence)


def _warning(probe: dict[str, Any]) -> tuple[str, str]:
    """Why an endpoint that answers is marked WARN, and the runbook kind for it."""
    name = probe.get("name")
    if probe.get("tls_error"):
        return f"{name}'s certificate does not verify ({probe['tls_error']})", "tls"
    left = probe.get("tls_days_left")
    if left is not None and not _slow(probe):  # WARN, answering fast: the expiry is near
        return f"{name}'s TLS certificate expires in {float(left):g} days", "tls"
    return f"{name} is slow ({float(probe.get('latency_ms') or 0):g} ms)", "endpoint_slow"


def _slow(probe: dict[str, Any]) -> bool:
    return float(probe.get("latency_ms") or 0) >= SLOW_MS


def metrics(outcome: Outcome, _question: str) -> Verdict:
    query = outcome.args.get("query", "the query")
    if isinstance(outcome.data, str):
        return Verdict(INFO, f"`{query}` is the string {outcome.data!r}.", detail_lines=0)
    if isinstance(outcome.data, int | float):
        return Verdict(INFO, f"`{query}` = {outcome.data:g}.", detail_lines=0)
    samples = [s for s in as_list(outcome.data) if isinstance(s, dict)]
    window = outcome.args.get("range")
    over = f" over the last {window}" if window else ""
    if not samples:
        return Verdict(INFO, f"`{query}` returned no series{over}.", detail_lines=0)
    if "points" in samples[0]:
        return _series_verdict(query, over, samples)
    top = max(samples, key=lambda s: float(s.get("value") or 0))
    labels = ", ".join(f"{k}={v}" for k, v in sorted((top.get("labels") or {}).items()))
    return Verdict(
        INFO,
        f"`{query}` returned {len(samples)} series; the highest is "
        f"{float(top.get('value') or 0):g}" + (f" ({labels})." if labels else "."),
    )


def _series_verdict(query: str, over: str, series: list[dict[str, Any]]) -> Verdict:
    """A range answer: the series whose last point is highest, and how it moved."""
    lasts = [(float(s["points"][-1][1]), s) for s in series if s.get("points")]
    if not lasts:
        return Verdict(INFO, f"`{query}` has no points{over}.", detail_lines=0)
    last, top = max(lasts, key=lambda pair: pair[0] if pair[0] == pair[0] else float("-inf"))
    first = float(top["points"][0][1])
    labels = ", ".join(f"{k}={v}" for k, v in sorted((top.get("labels") or {}).items()))
    where = f" ({labels})" if labels else ""
    return Verdict(
        INFO,
        f"`{query}`{over}: {len(series)} series; the highest now is {last:g}{where}, "
        f"from {first:g} at the start of the window.",
    )
