"""opsbot against the real Prometheus 2.42 and Alertmanager 0.25 (issue 20), not emulators:

- Prometheus scrapes `opsbot run`'s /metrics (the exposition passes `promtool check
  metrics`), and opsbot's PromQL client and `query_metrics` tool read it back: instant and
  range queries, metric names;
- an alerting rule fires, Alertmanager posts it to the bearer-protected webhook, opsbot opens
  one incident for the group however many notifications repeat, and resolves it when the rule
  stops firing.

Each test skips with the reason where the binaries are absent (scripts/test_binaries.sh
unpacks Debian's).
"""

from __future__ import annotations

import json
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.access import Caller
from core.clock import utcnow
from tests.bot_process import OpsbotRun, free_port, opsbot
from tests.realclients.stack import Alertmanager, Prometheus, binary
from tools.infra import prometheus
from tools.infra.metric_names import MetricNames
from tools.infra.tools import InfraConfig, build_infra_tools

pytestmark = pytest.mark.slow

TOKEN = "am-e2e-token-0123456789"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "no-runbooks").mkdir(exist_ok=True)
    return {
        "OPSBOT_DATA_DIR": str(tmp_path / "data"),
        "PORT": str(free_port()),
        "KNOWLEDGE_DIR": str(tmp_path / "no-runbooks"),
        "LOG_LEVEL": "WARNING",
        "CHECK_INTERVAL_SECONDS": "3600",  # no host checks in the way
        **extra,
    }


def _incidents(tmp_path: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    listed = opsbot("incidents", "list", "--status", "all", "--json", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    return list(json.loads(listed.stdout))


def _wait(check: Any, what: str, timeout: float, detail: Any) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(1)
    raise AssertionError(f"{what} within {timeout:g}s\n{detail()}")


def test_prometheus_scrapes_opsbot_and_opsbot_reads_prometheus(tmp_path: Path) -> None:
    binary("prometheus")
    env = _env(tmp_path)
    bot = OpsbotRun(tmp_path, env)
    try:
        bot.wait_healthy(int(env["PORT"]))
        exposition = httpx.get(f"http://127.0.0.1:{env['PORT']}/metrics").text
        checked = subprocess.run(
            [binary("promtool"), "check", "metrics"], input=exposition, text=True,
            capture_output=True, timeout=60,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "process_resident_memory_bytes" in exposition  # the standard collectors

        with Prometheus(tmp_path / "prom", targets={"opsbot": f"127.0.0.1:{env['PORT']}"}) as prom:
            prom.wait_query('up{job="opsbot"} == 1')
            time.sleep(3)  # a few scrapes, so a range has points
            samples = prometheus.query(prom.url, 'up{job="opsbot"}')
            series = prometheus.query_range(
                prom.url, 'up{job="opsbot"}', utcnow(), timedelta(minutes=1), timedelta(seconds=1)
            )
            names = MetricNames(prom.url)()
            tool = {t.name: t for t in build_infra_tools(InfraConfig(prometheus_url=prom.url))}
            caller = Caller("U1", "cli")
            ranged = tool["query_metrics"].invoke(
                {"query": "opsbot_up or up", "range": "30m"}, caller
            )
            bad = tool["query_metrics"].invoke({"query": "sum(rate(up[5m])"}, caller)
    finally:
        bot.stop()
    assert [s.value for s in samples] == [1.0]
    assert samples[0].labels["instance"] == f"127.0.0.1:{env['PORT']}"
    assert len(series) == 1 and len(series[0].points) >= 3
    assert {p[1] for p in series[0].points} == {1.0}
    assert "up" in names and any(name.startswith("opsbot_") for name in names)
    assert ranged.ok and "over the last 30m" in ranged.text and "▁" in ranged.text
    assert not bad.ok and "bad_data" in bad.text  # the real parser's own message


def test_alertmanager_notifications_make_one_incident_that_resolves(tmp_path: Path) -> None:
    binary("prometheus")
    binary("prometheus-alertmanager")
    env = _env(tmp_path, ALERTMANAGER_TOKEN=TOKEN)
    webhook = f"http://127.0.0.1:{env['PORT']}/alerts/alertmanager"
    stop_at = int(time.time()) + 40  # the rule fires until then, then resolves
    rule = {
        "alert": "OpsbotE2EErrors",
        "expr": f"vector(3) and on() (vector(time()) < {stop_at})",
        "labels": {"severity": "critical", "service": "checkout"},
        "annotations": {
            "summary": "Checkout errors are high",
            "description": "3 errors per second on checkout",
            "runbook_url": "https://runbooks.example.com/checkout-errors",
        },
    }
    bot = OpsbotRun(tmp_path, env)
    try:
        bot.wait_healthy(int(env["PORT"]))
        with (
            Alertmanager(tmp_path / "am", webhook, TOKEN, repeat="3s") as am,
            Prometheus(tmp_path / "prom", rules=[rule], alertmanager=am.url) as prom,
        ):

            def detail() -> str:
                return f"{bot.log()}\n{am.output()[-2000:]}\n{prom.output()[-1000:]}"

            def opened() -> list[dict[str, Any]]:
                return [i for i in _incidents(tmp_path, env) if i["alertname"] == "OpsbotE2EErrors"]

            found = _wait(opened, "no incident for the alert", 60, detail)
            time.sleep(8)  # Alertmanager repeats the group every 3 s meanwhile
            again = opened()
            resolved = _wait(
                lambda: [i for i in opened() if i["status"] == "resolved"],
                "the incident did not resolve", max(30, stop_at - time.time() + 30), detail,
            )  # fmt: skip
            am_log = am.output()
    finally:
        bot.stop()
    assert len(found) == 1 and len(again) == 1 and len(resolved) == 1
    incident = resolved[0]
    assert incident["severity"] == "critical" and incident["count"] == 1  # repeats are not new
    assert "Checkout errors are high" in incident["title"]
    assert incident["last_seen"] > incident["first_seen"]  # the repeats were seen
    assert "Notify for alerts failed" not in am_log  # every notification was accepted


def _webhook_sent(am: Alertmanager) -> bool:
    """Alertmanager has delivered at least one webhook notification, none failed."""
    text = httpx.get(f"{am.url}/metrics").text
    sent = failed = 0.0
    for line in text.splitlines():
        if line.startswith('alertmanager_notifications_total{integration="webhook"}'):
            sent = float(line.split()[-1])
        if line.startswith('alertmanager_notifications_failed_total{integration="webhook"'):
            failed += float(line.split()[-1])
    assert failed == 0, text
    return sent >= 1


def test_one_alert_through_prometheus_and_alertmanager_is_one_incident(tmp_path: Path) -> None:
    """PROMETHEUS_URL set (opsbot reads Prometheus's alerts itself) and Prometheus forwarding
    the same alert through Alertmanager, which adds an external label: one incident."""
    binary("prometheus")
    binary("prometheus-alertmanager")
    rule = {
        "alert": "OpsbotE2EBothPaths",
        "expr": "vector(1)",
        "labels": {"severity": "warning", "service": "search"},
        "annotations": {"summary": "Search is degraded"},
    }
    env = _env(tmp_path, ALERTMANAGER_TOKEN=TOKEN)
    webhook = f"http://127.0.0.1:{env['PORT']}/alerts/alertmanager"
    with (
        Alertmanager(tmp_path / "am", webhook, TOKEN) as am,
        Prometheus(tmp_path / "prom", rules=[rule], alertmanager=am.url,
                   external_labels={"cluster": "eu-1"}) as prom,
    ):  # fmt: skip
        env |= {
            "PROMETHEUS_URL": prom.url,
            "CHECK_INTERVAL_SECONDS": "2",
            "MONITOR_SUSTAIN_SAMPLES": "1",
            "HOST_DISK_PCT": "100", "HOST_CPU_PCT": "100", "HOST_MEM_PCT": "100",
            "INCIDENT_CORRELATION_MINUTES": "0",
            "HOST_SWAP_PCT": "100", "ANOMALY_SERIES": "",
        }  # fmt: skip
        bot = OpsbotRun(tmp_path, env)
        try:
            bot.wait_healthy(int(env["PORT"]))

            def mine() -> list[dict[str, Any]]:
                found = _incidents(tmp_path, env)
                return [i for i in found if i["alertname"] == "OpsbotE2EBothPaths"]

            def detail() -> str:
                return f"{bot.log()}\n{am.output()[-1500:]}"

            _wait(mine, "no incident for the alert", 60, detail)
            _wait(lambda: _webhook_sent(am), "Alertmanager sent nothing", 60, detail)
            time.sleep(6)  # a few more checks of Prometheus's alerts, and a repeat or two
            found = mine()
        finally:
            bot.stop()
    assert len(found) == 1, found
