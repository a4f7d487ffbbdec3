"""What monitors report and how it is identified.

A `Finding` is one problem a monitor saw in this cycle. Its `labels` are its identity (the
alert name and what it is about: a mount point, an endpoint, a model); the figures that
change from one check to the next go in `fields`, never in the labels, so the fingerprint
stays stable while the numbers move. Monitors produce findings (one `MonitorRun` each per
cycle); the incident engine consumes them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

INFO, WARNING, CRITICAL = "info", "warning", "critical"
SEVERITY_ORDER = {INFO: 0, WARNING: 1, CRITICAL: 2}
# The incident detail that says why its alert text (title, description) holds instruction-like
# content (tools.injection): set where incidents come in, shown wherever they are quoted.
UNTRUSTED = "untrusted"


def normalise_severity(value: str | None) -> str:
    """Map the many spellings alerting systems use onto info / warning / critical."""
    text = (value or "").strip().lower()
    if text in ("critical", "crit", "page", "error", "high", "p1", "p0", "fatal", "emergency"):
        return CRITICAL
    if text in ("info", "informational", "low", "none", "notice", "debug", "p4", "p5"):
        return INFO
    return WARNING


def worse(a: str, b: str) -> str:
    return a if SEVERITY_ORDER.get(a, 1) >= SEVERITY_ORDER.get(b, 1) else b


def digest(value: Any) -> str:
    """A short, stable hash of JSON-able data (sorted keys, no whitespace)."""
    raw = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def fingerprint(source: str, alertname: str, labels: dict[str, Any]) -> str:
    return digest({"source": source, "alertname": alertname, "labels": labels})


@dataclass
class Finding:
    monitor: str  # the check that produced it: host, disk_forecast, endpoint, drift, prometheus
    alertname: str  # matches the shipped runbooks: HostDiskFull, EndpointDown, ...
    title: str
    severity: str
    kind: str  # host | endpoint | model_drift | prometheus
    labels: dict[str, str] = field(default_factory=dict)  # identity only
    summary: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)  # figures that show it
    source: str = "monitor"
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.source, self.alertname, self.labels)


@dataclass
class MonitorRun:
    """One monitor's part of a cycle. `ok=False` means it could not look, which is not
    the same as "all clear": its incidents are neither cleared nor resolved."""

    name: str
    findings: list[Finding] = field(default_factory=list)
    ok: bool = True
    error: str | None = None
    seconds: float = 0.0
