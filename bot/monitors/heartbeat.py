"""A heartbeat alert (Alertmanager's Watchdog) that stopped arriving is an incident: the
alerting pipeline (Prometheus, its rules, Alertmanager, the webhook) is broken somewhere.
A heartbeat never seen since opsbot started is not reported (it may not be set up)."""

from __future__ import annotations

from datetime import datetime

from bot.incidents.heartbeats import HeartbeatStore
from core.incidents import CRITICAL, Finding


class HeartbeatMonitor:
    name = "heartbeat"

    def __init__(self, store: HeartbeatStore, names: tuple[str, ...], timeout: float) -> None:
        self.store = store
        self.names = names
        self.timeout = timeout

    def run(self, now: datetime) -> list[Finding]:
        findings = []
        for name, seen in sorted(self.store.last_seen(self.names).items()):
            silent = (now - seen).total_seconds()
            if silent <= self.timeout:
                continue
            minutes = int(silent // 60)
            findings.append(
                Finding(
                    monitor=self.name,
                    alertname="HeartbeatMissing",
                    title=f"The {name} heartbeat has not arrived for {minutes} min",
                    severity=CRITICAL,
                    kind="alertmanager",
                    labels={"heartbeat": name},
                    summary=(
                        f"Alertmanager sends {name} all the time; it last arrived at "
                        f"{seen:%Y-%m-%d %H:%M UTC}. Alerts may not be reaching anyone: check "
                        "Prometheus, its alerting rules, Alertmanager and its webhook to opsbot."
                    ),
                    fields=[
                        ("last arrived", f"{seen:%Y-%m-%d %H:%M:%S UTC}"),
                        ("silent for", f"{minutes} min"),
                        ("expected within", f"{int(self.timeout // 60)} min"),
                    ],
                )
            )
        return findings
