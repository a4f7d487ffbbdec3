"""Model drift checks from the model registry (`tools.registry.checks`), as findings.

A drift check reads fresh data and computes statistics, so it runs at most every
`DRIFT_CHECK_INTERVAL_SECONDS`, not every monitor cycle. Between runs the monitor reports
`NotDue`: "did not look", which keeps its incidents as they are (not "all clear").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.incidents.model import Finding, normalise_severity
from bot.monitors.suite import NotDue


class DriftMonitor:
    name = "drift"

    def __init__(self, registry: Callable[[], Any], min_interval: float = 3600.0) -> None:
        self._registry = registry
        self.min_interval = min_interval
        self._last: float | None = None

    def run(self, now: datetime) -> list[Finding]:
        from tools.registry.checks import check_drift

        if self._last is not None and time.monotonic() - self._last < self.min_interval:
            raise NotDue(
                f"next drift check in {self.min_interval - (time.monotonic() - self._last):.0f}s"
            )
        self._last = time.monotonic()
        return [adapt(item) for item in check_drift(self._registry())]


def adapt(item: Any) -> Finding:
    """A registry finding (kind, key, severity, title, summary, labels, evidence) as ours."""
    labels = {str(k): str(v) for k, v in (item.labels or {}).items()}
    alertname = labels.pop("alertname", "ModelDataDrift")
    identity = {k: labels[k] for k in ("model", "version") if labels.get(k)}
    fields = [(k, labels[k]) for k in ("model", "version", "alias") if labels.get(k)]
    summary = item.summary + (f"\n{item.evidence}" if item.evidence else "")
    return Finding(
        monitor="drift",
        alertname=alertname,
        title=item.title,
        severity=normalise_severity(item.severity),
        kind="model_drift",
        labels=identity,
        summary=summary,
        fields=fields,
        details={"report_id": labels.get("report_id"), "registry_kind": item.kind},
    )
