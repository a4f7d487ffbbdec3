"""Probes of the configured endpoints: down, slow, TLS certificate expiring.

Down and slow must be seen on N consecutive probes (stored as samples), so one dropped
packet does not open an incident; certificate expiry is a fact and is reported at once.
Probes run in parallel threads, so one hanging endpoint costs its timeout once, not per
endpoint.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from bot.monitors.samples import SampleStore
from core.incidents import CRITICAL, WARNING, Finding
from tools.infra.endpoints import ProbeResult, probe
from tools.redact import redact


@dataclass
class EndpointConfig:
    endpoints: dict[str, str] = field(default_factory=dict)
    timeout: float = 5.0
    tls_warn_days: int = 14
    slow_ms: float = 2000.0
    interval: float = 60.0
    sustain: int = 3


class EndpointMonitor:
    name = "endpoint"

    def __init__(self, store: SampleStore, config: EndpointConfig) -> None:
        self.store = store
        self.config = config

    def _probe_all(self) -> list[ProbeResult]:
        cfg = self.config
        items = list(cfg.endpoints.items())
        with ThreadPoolExecutor(max_workers=min(8, len(items))) as pool:
            return list(
                pool.map(
                    lambda kv: probe(kv[0], kv[1], cfg.timeout, cfg.tls_warn_days, cfg.slow_ms),
                    items,
                )
            )

    def run(self, now: datetime) -> list[Finding]:
        cfg = self.config
        if not cfg.endpoints:
            return []
        results = self._probe_all()
        values: dict[str, float] = {}
        for r in results:
            values[f"endpoint.down:{r.name}"] = 0.0 if r.ok else 1.0
            values[f"endpoint.slow:{r.name}"] = (
                1.0 if r.ok and r.latency_ms is not None and r.latency_ms >= cfg.slow_ms else 0.0
            )
        self.store.record(now, values)
        # 1.0 is "down" / "slow" on that probe
        over = self.store.sustained(dict.fromkeys(values, 1.0), now, cfg.sustain, cfg.interval)
        findings: list[Finding] = []
        for r in results:
            url = redact(r.url)
            labels = {"endpoint": r.name}
            if f"endpoint.down:{r.name}" in over:
                findings.append(
                    Finding(
                        monitor=self.name,
                        alertname="EndpointDown",
                        title=f"{r.name} is down: {redact(r.error or 'no answer')}",
                        severity=CRITICAL,
                        kind="endpoint",
                        labels=labels,
                        summary=f"{url} failed {cfg.sustain} probe(s) in a row.",
                        fields=[
                            ("url", url),
                            ("error", redact(r.error or "")),
                            ("status", str(r.status) if r.status is not None else "none"),
                        ],
                    )
                )
            elif f"endpoint.slow:{r.name}" in over:
                findings.append(
                    Finding(
                        monitor=self.name,
                        alertname="EndpointSlow",
                        title=f"{r.name} is slow: {r.latency_ms:g} ms",
                        severity=WARNING,
                        kind="endpoint",
                        labels=labels,
                        summary=f"{url} took over {cfg.slow_ms:g} ms on {cfg.sustain} probe(s) in a row.",
                        fields=[
                            ("url", url),
                            ("latency", f"{r.latency_ms:g} ms"),
                            ("limit", f"{cfg.slow_ms:g} ms"),
                        ],
                    )
                )
            if r.tls_days_left is not None and r.tls_days_left <= cfg.tls_warn_days:
                expired = r.tls_days_left <= 0
                findings.append(
                    Finding(
                        monitor=self.name,
                        alertname="TlsCertificateExpiring",
                        title=(
                            f"TLS certificate of {r.name} has expired"
                            if expired
                            else f"TLS certificate of {r.name} expires in {r.tls_days_left:g} days"
                        ),
                        severity=CRITICAL if expired or r.tls_days_left <= 3 else WARNING,
                        kind="endpoint",
                        labels=labels,
                        summary=f"The certificate served by {url} is valid until {r.tls_expires}.",
                        fields=[
                            ("expires", str(r.tls_expires)),
                            ("days left", f"{r.tls_days_left:g}"),
                            ("warn at", f"{cfg.tls_warn_days} days"),
                        ],
                    )
                )
        return findings
