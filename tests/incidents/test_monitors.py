"""Monitors against the real host, real HTTP endpoints and a Prometheus API on 127.0.0.1:
thresholds must be sustained, the disk forecast needs a real trend, probes redact secrets."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta

import psutil
import pytest

from bot.monitors.endpoints import EndpointConfig, EndpointMonitor
from bot.monitors.forecast import forecast_full, linear_fit
from bot.monitors.host import HostConfig, HostMonitor
from bot.monitors.prometheus import PrometheusMonitor
from bot.monitors.samples import SampleStore
from bot.monitors.suite import MonitorSuite, NotDue
from core.access import Caller
from core.clock import utcnow
from core.incidents import CRITICAL, WARNING
from tests.incidents.httpd import Answer, Scripted
from tools.infra.levels import Thresholds
from tools.infra.tools import build_infra_tools


@pytest.fixture
def store(db) -> SampleStore:  # type: ignore[no-untyped-def]
    return SampleStore(db)


def host_monitor(store: SampleStore, **config: object) -> HostMonitor:
    defaults: dict[str, object] = {
        "thresholds": Thresholds(cpu=1000, memory=100, swap=100, disk=1, inodes=100),
        "interval": 60.0,
        "sustain": 3,
        "forecast_hours": 0,
    }
    return HostMonitor(store, HostConfig(**(defaults | config)))  # type: ignore[arg-type]


def only(findings, alertname):  # type: ignore[no-untyped-def]
    return [f for f in findings if f.alertname == alertname]


def test_disk_threshold_must_be_sustained(store: SampleStore) -> None:
    monitor = host_monitor(store)
    now = utcnow()
    assert only(monitor.run(now), "HostDiskFull") == []
    assert only(monitor.run(now + timedelta(seconds=60)), "HostDiskFull") == []
    (finding,) = only(monitor.run(now + timedelta(seconds=120)), "HostDiskFull")
    assert finding.labels == {"host": monitor.last_report.hostname, "mountpoint": "/"}
    assert finding.severity == CRITICAL  # at or over the threshold: CRIT, as host_health says
    assert ("sustained", "3 checks") in finding.fields
    assert finding.title.startswith("Disk / is ") and "(threshold 1%)" in finding.title


def test_one_sample_is_one_check_not_one_checks(store: SampleStore) -> None:
    (finding,) = only(host_monitor(store, sustain=1).run(utcnow()), "HostDiskFull")
    assert ("sustained", "1 check") in finding.fields
    assert "for 1 checks" not in finding.summary and "1 check" in finding.summary


def test_inodes_follow_host_inodes_pct_not_host_disk_pct(make_runtime, tmp_path) -> None:  # type: ignore[no-untyped-def]
    stat = os.statvfs("/")
    if not stat.f_files or stat.f_files == stat.f_ffree:
        pytest.skip("the root filesystem reports no inodes in use (e.g. btrfs)")
    quiet = {
        "host_cpu_pct": 100,
        "host_mem_pct": 100,
        "host_swap_pct": 100,
        "incident_correlation_minutes": 0,  # a busy CPU must not absorb the disk
    }
    common = {"monitor_sustain_samples": 1, "disk_forecast_hours": 0, **quiet}

    def check(data_dir: str, **thresholds: float) -> tuple[set[str], dict[str, str]]:
        (tmp_path / data_dir).mkdir()
        runtime = make_runtime(data_dir=tmp_path / data_dir, **common, **thresholds)
        runtime.incidents.disable_triage()
        alerts = {f.alertname for f in runtime.incidents.run_checks(only={"host"}).findings}
        (health,) = [
            t for t in build_infra_tools(runtime.infra_config()) if t.name == "host_health"
        ]
        levels = health.invoke({}, Caller("test", "cli")).data["levels"]
        return alerts, levels

    alerts, levels = check("inodes-low", host_disk_pct=100, host_inodes_pct=0.001)
    assert "HostInodesExhausted" in alerts and "HostDiskFull" not in alerts
    assert levels["inodes /"] == "crit" and levels["disk /"] != "crit"

    alerts, levels = check("disk-low", host_disk_pct=0.001, host_inodes_pct=100)
    assert "HostDiskFull" in alerts and "HostInodesExhausted" not in alerts
    assert levels["disk /"] == "crit" and levels["inodes /"] != "crit"


def test_a_gap_in_the_samples_breaks_the_run(store: SampleStore) -> None:
    monitor = host_monitor(store, sustain=2)
    now = utcnow()
    monitor.run(now)
    # the next sample comes an hour later (the process was down): not "sustained"
    assert only(monitor.run(now + timedelta(hours=1)), "HostDiskFull") == []
    assert only(monitor.run(now + timedelta(hours=1, seconds=60)), "HostDiskFull") != []


def test_disk_fill_forecast_from_stored_samples(store: SampleStore) -> None:
    monitor = host_monitor(store, thresholds=Thresholds(cpu=1000, memory=100, swap=100, disk=100, inodes=100), forecast_hours=6, sustain=1)  # fmt: skip
    disk = psutil.disk_usage("/")
    rate = disk.free / (3 * 3600)  # bytes per second: full in about 3 hours
    now = utcnow()
    for minutes in range(30, 0, -2):  # half an hour of history, rising steadily
        at = now - timedelta(minutes=minutes)
        store.record(at, {"disk.used:/": disk.used - rate * minutes * 60})
    (finding,) = only(monitor.run(now), "HostDiskFillingUp")
    assert finding.severity == WARNING  # 3 h is more than a quarter of the 6 h horizon
    assert finding.title.startswith("Disk / on ")
    assert re.search(r"will be full in (2h 5\dm|3h|3h [0-4]m) at the current rate", finding.title)
    assert "R² 1.00" in dict(finding.fields)["fit"]


def test_forecast_needs_a_real_upward_trend() -> None:
    start = utcnow()
    at = [start + timedelta(minutes=m) for m in range(0, 30, 2)]
    rising = [(t, 1e9 + i * 1e6) for i, t in enumerate(at)]
    flat_noise = [(t, 1e9 + (1e6 if i % 2 else -1e6)) for i, t in enumerate(at)]
    falling = [(t, 1e9 - i * 1e6) for i, t in enumerate(at)]
    forecast = forecast_full(rising, free_bytes=1e9)
    assert forecast is not None and forecast.r2 > 0.99
    assert forecast.hours_to_full == pytest.approx(1e9 / (1e6 / 120) / 3600)
    assert forecast_full(flat_noise, free_bytes=1e9) is None  # no trend (R² ~ 0)
    assert forecast_full(falling, free_bytes=1e9) is None
    assert forecast_full(rising[:4], free_bytes=1e9) is None  # too few samples
    assert forecast_full(rising, free_bytes=1e9, min_span_seconds=3600) is None  # too short
    assert linear_fit([(0, 1), (1, 3), (2, 5)])[:2] == (2.0, 1.0)
    with pytest.raises(ValueError, match="one x value"):
        linear_fit([(1, 1), (1, 2)])


@pytest.fixture
def endpoint() -> Iterator[Scripted]:
    server = Scripted({"/health": Answer(503, "busy", reason="Down api_key=ak_live_0123456789")})
    yield server
    server.stop()


def test_endpoint_down_must_be_sustained_and_secrets_are_redacted(  # type: ignore[no-untyped-def]
    store: SampleStore, endpoint: Scripted
) -> None:
    url = endpoint.url("/health", userinfo="probe:hunter2-password")
    monitor = EndpointMonitor(
        store, EndpointConfig(endpoints={"api": url}, timeout=2, sustain=2, interval=60)
    )
    now = utcnow()
    assert monitor.run(now) == []  # one failed probe is not an incident
    (finding,) = monitor.run(now + timedelta(seconds=60))
    assert finding.alertname == "EndpointDown" and finding.labels == {"endpoint": "api"}
    assert finding.severity == CRITICAL
    shown = repr(finding)
    assert "hunter2-password" not in shown and "ak_live_0123456789" not in shown
    assert "[REDACTED]" in dict(finding.fields)["url"]
    assert "HTTP 503" in finding.title
    endpoint.answers["/health"] = Answer(200, "ok")
    assert monitor.run(now + timedelta(seconds=120)) == []


def test_slow_endpoint(store: SampleStore, endpoint: Scripted) -> None:
    endpoint.answers["/slow"] = Answer(200, "ok", delay=0.3)
    monitor = EndpointMonitor(
        store,
        EndpointConfig(
            endpoints={"slow": endpoint.url("/slow")}, slow_ms=100, sustain=1, interval=60
        ),
    )
    (finding,) = monitor.run(utcnow())
    assert finding.alertname == "EndpointSlow" and finding.severity == WARNING


def test_prometheus_firing_alerts_become_findings() -> None:
    alerts = {
        "status": "success",
        "data": {
            "alerts": [
                {
                    "labels": {"alertname": "NodeFilesystemAlmostOutOfSpace", "instance": "db-1",
                               "mountpoint": "/", "severity": "critical"},
                    "annotations": {"summary": "Filesystem has less than 3% space left.",
                                    "runbook_url": "https://runbooks.prometheus-operator.dev/x"},
                    "state": "firing",
                    "activeAt": "2026-11-26T08:00:00Z",
                    "value": "2.1e+00",
                },
                {"labels": {"alertname": "Pending"}, "annotations": {}, "state": "pending"},
            ]
        },
    }  # fmt: skip
    server = Scripted({"/api/v1/alerts": Answer(200, alerts)})
    try:
        (finding,) = PrometheusMonitor(server.url("")).run(utcnow())
    finally:
        server.stop()
    assert finding.alertname == "NodeFilesystemAlmostOutOfSpace"
    assert finding.severity == CRITICAL and finding.source == "prometheus"
    assert "severity" not in finding.labels and finding.labels["instance"] == "db-1"
    assert finding.details["runbook_url"].startswith("https://runbooks")
    assert ("value", "2.1") in finding.fields  # not Go's "2.1e+00"


@pytest.mark.parametrize(
    ("sent", "shown"),
    [("1e+00", "1"), ("9.5e-01", "0.95"), ("1.2345678e+05", "123,456.78"), ("3e-04", "0.0003"),
     ("NaN", "NaN"), ("+Inf", "+Inf"), ("", ""), ("n/a", "n/a")],
)  # fmt: skip
def test_prometheus_values_read_as_people_write_them(sent: str, shown: str) -> None:
    from bot.monitors.prometheus import readable

    assert readable(sent) == shown


def test_suite_keeps_failures_and_skips_apart(store: SampleStore) -> None:
    class Broken:
        name = "broken"

        def run(self, now):  # type: ignore[no-untyped-def]
            raise ConnectionError("prometheus unreachable")

    class Later:
        name = "later"

        def run(self, now):  # type: ignore[no-untyped-def]
            raise NotDue("next run in 30 min")

    suite = MonitorSuite([Broken(), Later(), host_monitor(store)], store)
    runs = {r.name: r for r in suite.run(utcnow())}
    assert (
        not runs["broken"].ok and "ConnectionError: prometheus unreachable" in runs["broken"].error
    )
    assert not runs["later"].ok and runs["later"].error is None
    assert runs["host"].ok


def test_unreachable_prometheus_becomes_a_finding_and_clears_when_back(
    store: SampleStore,
) -> None:
    """Real HTTP: Prometheus answers garbage three cycles in a row, then answers again."""
    server = Scripted({"/api/v1/alerts": Answer(502, "<html>bad gateway</html>")})
    try:
        prom = PrometheusMonitor(server.url(""), timeout=2.0)
        suite = MonitorSuite([prom, host_monitor(store)], store, sustain=3)
        started = utcnow()
        health = []
        for minute in range(3):
            runs = {r.name: r for r in suite.run(started + timedelta(minutes=minute))}
            assert not runs["prometheus"].ok  # its own incidents are kept as they are
            health.append(runs["monitor-health"])
        assert all(h.ok for h in health)
        assert health[0].findings == [] and health[1].findings == []  # not yet sustained
        (finding,) = health[2].findings
        assert finding.alertname == "PrometheusUnreachable" and finding.severity == WARNING
        assert finding.labels == {"monitor": "prometheus"}
        assert finding.title.startswith(f"Prometheus at {server.url('')} is unreachable since ")
        assert started.strftime("%Y-%m-%d %H:%M UTC") in finding.title
        assert "could not read alerts" in finding.title
        assert ("failed runs", "3") in finding.fields
        # a check run for one monitor (opsbot check --only) leaves the streak alone
        only = suite.run(started + timedelta(minutes=3), only={"host"})
        assert "monitor-health" not in {r.name for r in only}
        server.answers["/api/v1/alerts"] = Answer(
            200, {"status": "success", "data": {"alerts": []}}
        )
        runs = {r.name: r for r in suite.run(started + timedelta(minutes=4))}
        assert runs["prometheus"].ok and runs["monitor-health"].findings == []
    finally:
        server.stop()


def test_a_failing_check_without_a_target_is_named_by_its_check(store: SampleStore) -> None:
    class Broken:
        name = "broken"

        def run(self, now):  # type: ignore[no-untyped-def]
            raise RuntimeError("token=hunter2-secret-value expired")

    suite = MonitorSuite([Broken()], store, sustain=1)
    (finding,) = next(r for r in suite.run(utcnow()) if r.name == "monitor-health").findings
    assert finding.alertname == "MonitorFailing"
    assert finding.title.startswith("The broken check has failed since ")
    assert "hunter2" not in finding.title  # errors are redacted like any tool output
