"""Alerts Prometheus is firing (when PROMETHEUS_URL is set), as findings.

Each firing alert is identified by its full label set, as Prometheus and Alertmanager do.
Pending alerts (still inside their `for:` period) are not reported yet.

Each finding also carries the alert's identity across sources (`details["identity"]`, see
`bot.incidents.identity`): its labels as Alertmanager receives them, that is with Prometheus's
`external_labels` (read from `/api/v1/status/config` on every check), so the same alert
forwarded through Alertmanager is recognised and opens one incident, not two.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime

from bot.incidents.identity import alert_identity, with_external
from core.errors import Unavailable
from core.incidents import Finding, normalise_severity
from tools.infra import prometheus

log = logging.getLogger(__name__)


def readable(value: object) -> str:
    """Prometheus sends an alert's value as Go formats a float ("1e+00", "9.5e-01"): shown
    as a person writes it ("1", "0.95"); anything that is not a number is kept as sent."""
    try:
        number = float(str(value))
    except ValueError:
        return str(value if value is not None else "")
    if not math.isfinite(number):
        return str(value)
    if number.is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    if abs(number) >= 100:
        return f"{number:,.2f}"
    return f"{number:.4g}"


class PrometheusMonitor:
    name = "prometheus"

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout
        self.target = f"Prometheus at {url}"  # named when it cannot be reached
        self.external: dict[str, str] = {}  # the last external_labels read

    def _external_labels(self) -> dict[str, str]:
        """Prometheus's external labels; the last ones read when it cannot say now."""
        try:
            self.external = prometheus.external_labels(self.url, self.timeout)
        except Unavailable as exc:
            log.warning(
                "external labels of %s unknown (%s); using the last read: %s",
                self.target,
                exc,
                self.external,
            )
        return self.external

    def run(self, now: datetime) -> list[Finding]:
        findings = []
        alerts = prometheus.alerts(self.url, self.timeout)
        external = self._external_labels() if alerts else self.external
        for alert in alerts:
            if alert.get("state") != "firing":
                continue
            labels = {str(k): str(v) for k, v in (alert.get("labels") or {}).items()}
            annotations = alert.get("annotations") or {}
            alertname = labels.get("alertname", "PrometheusAlert")
            identity = {k: v for k, v in labels.items() if k != "severity"}
            details: dict[str, str] = {"identity": alert_identity(with_external(labels, external))}
            if annotations.get("runbook_url"):
                details["runbook_url"] = str(annotations["runbook_url"])
            fields = [("value", readable(alert.get("value")))]
            if alert.get("activeAt"):
                fields.append(("active since", str(alert["activeAt"])))
            findings.append(
                Finding(
                    monitor=self.name,
                    alertname=alertname,
                    title=str(annotations.get("summary") or f"{alertname} is firing"),
                    severity=normalise_severity(labels.get("severity")),
                    kind="prometheus",
                    labels=identity,
                    summary=str(annotations.get("description") or ""),
                    fields=fields,
                    source="prometheus",
                    details=details,
                )
            )
        return findings
