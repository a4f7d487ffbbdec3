"""Evidence for external alerts, end to end with real tools: PromQL over real HTTP to a local
Prometheus-API emulator, a real probe of a local HTTP server, real psutil and real files. For
a node-exporter filesystem alert about this host, a kube-state-metrics pod alert, a blackbox
probe alert and an alert about another host: the plan, the triage run and its summary, which
says what the evidence shows and never repeats the alert's annotations as its cause."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graphs.triage import run_triage
from graphs.triage_plan import evidence_plan
from graphs.triage_summary import offline_summary
from graphs.triage_types import Evidence, IncidentInput, TriageDeps
from tests.emulators.prometheus import PrometheusEmulator, prometheus_emulator
from tests.incidents.httpd import Answer, Scripted
from tools.base import Toolbox
from tools.infra.this_host import is_this_host
from tools.infra.tools import InfraConfig, build_infra_tools

NODE_EXPR = (
    'node_filesystem_avail_bytes{job="node",fstype!=""} / '
    'node_filesystem_size_bytes{job="node",fstype!=""} * 100 < 5'
)
POD_EXPR = (
    'max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", '
    'job="kube-state-metrics"}[5m]) >= 1'
)
DESCRIPTION = "Filesystem on the host has only 2.8% available space left."  # the annotation


@pytest.fixture
def prom() -> Iterator[PrometheusEmulator]:
    with prometheus_emulator() as emulator:
        yield emulator


@pytest.fixture
def site() -> Iterator[Scripted]:
    server = Scripted({"/health": Answer(503, "down", reason="Service Unavailable")})
    yield server
    server.stop()


def alert(name: str, expr: str | None = None, **labels: str) -> IncidentInput:
    """An Alertmanager alert as triage gets it: about this host when its labels say so."""
    details = {"expr": expr} if expr else {}
    return IncidentInput(
        1, f"{name} firing", name, "alertmanager", "warning", labels=labels,
        summary=DESCRIPTION, details=details, local=is_this_host(labels),
    )  # fmt: skip


def deps(prometheus_url: str | None = None, **endpoints: str) -> TriageDeps:
    config = InfraConfig(prometheus_url=prometheus_url, endpoints=endpoints, process_interval=0.1)
    return TriageDeps(toolbox=Toolbox(build_infra_tools(config)))


RANGE = {"range": "1h", "step": "300"}


def falling(before: float, now: float) -> Callable[[float], float]:
    """A series at `before` until half an hour ago and at `now` since: its value now and its
    last hour's range are both known whenever the test runs."""
    turn = time.time() - 1800
    return lambda t: now if t >= turn else before


def sent(prom: PrometheusEmulator) -> list[tuple[str, str]]:
    """(path, query) of every request Prometheus got."""
    return [(path, params.get("query", "")) for path, params in prom.requests]


def tools_of(evidence: list[Evidence]) -> list[str]:
    return [e.tool for e in evidence]


# ---------------------------------------------------------------------- the plans
def test_plan_for_a_filesystem_alert_about_this_host(tmp_path: Path) -> None:
    incident = alert("NodeFilesystemAlmostOutOfSpace", NODE_EXPR, instance="127.0.0.1:9100",
                     mountpoint=str(tmp_path), job="node")  # fmt: skip
    assert incident.local
    assert evidence_plan(incident) == [
        ("disk_usage", {"path": str(tmp_path), "top": 8}),
        ("host_health", {}),
        ("query_metrics", {"query": NODE_EXPR}),
        ("query_metrics", {"query": NODE_EXPR, **RANGE}),
        ("search_logs", {"level": "error", "since": "30m", "limit": 10}),
    ]


def test_plan_for_a_pod_alert_without_its_expression() -> None:
    incident = alert("KubePodCrashLooping", namespace="shop", pod="checkout-7d9f8",
                     instance="10.244.1.7:8080", job="kube-state-metrics")  # fmt: skip
    incident.kind = "prometheus"  # the Prometheus path: /api/v1/alerts carries no expression
    query = 'kube_pod_status_phase{namespace="shop",pod="checkout-7d9f8"} == 1'
    assert evidence_plan(incident) == [
        ("query_metrics", {"query": query}),
        ("query_metrics", {"query": query, **RANGE}),
    ]


def test_plan_for_a_probe_alert_probes_the_probed_url() -> None:
    incident = alert("BlackboxProbeFailed", "probe_success == 0",
                     instance="https://shop.example.com/health", job="blackbox")  # fmt: skip
    plan = evidence_plan(incident)
    assert plan[0] == ("check_endpoint", {"target": "https://shop.example.com/health"})
    assert ("query_metrics", {"query": "probe_success == 0"}) in plan
    assert not {"host_health", "disk_usage", "top_processes"} & {tool for tool, _ in plan}


def test_plan_for_another_host_reads_nothing_of_this_one() -> None:
    incident = alert("HostOutOfDiskSpace", instance="db-7.example.net:9100", mountpoint="/data")
    assert not incident.local
    plan = evidence_plan(incident)
    selector = 'instance="db-7.example.net:9100",mountpoint="/data"'
    assert plan[0] == ("query_metrics", {"query": (
        f"100 * (1 - node_filesystem_avail_bytes{{{selector}}} / "
        f"node_filesystem_size_bytes{{{selector}}})")})  # fmt: skip
    assert {tool for tool, _ in plan} == {"query_metrics", "search_logs"}


def test_own_findings_keep_their_host_evidence_and_get_no_promql() -> None:
    incident = IncidentInput(1, "Disk / is 95% full", "HostDiskFull", "host", "warning",
                             labels={"mountpoint": "/"})  # fmt: skip
    assert evidence_plan(incident) == [
        ("disk_usage", {"path": "/", "top": 8}),
        ("host_health", {}),
        ("search_logs", {"level": "error", "since": "30m", "limit": 10}),
    ]


# ---------------------------------------------------------------------- end to end
def test_filesystem_alert_about_this_host(prom: PrometheusEmulator, tmp_path: Path) -> None:
    big = tmp_path / "backups"
    big.mkdir()
    (big / "dump.sql").write_bytes(b"x" * 3_000_000)
    labels = {"instance": "127.0.0.1:9100", "mountpoint": str(tmp_path), "job": "node"}
    prom.series[NODE_EXPR] = [
        ({**labels, "device": "/dev/sda1"}, falling(4.9, 2.8)),
        ({"instance": "10.0.0.9:9100", "mountpoint": "/", "job": "node"}, lambda t: 1.5),
    ]  # the second series is another host's
    result = run_triage(
        deps(prom.url), alert("NodeFilesystemAlmostOutOfSpace", NODE_EXPR, **labels)
    )
    assert tools_of(result.evidence) == ["disk_usage", "host_health"] + ["query_metrics"] * 2
    assert sent(prom) == [("/api/v1/query", NODE_EXPR), ("/api/v1/query_range", NODE_EXPR)]
    assert prom.requests[1][1]["step"] == "300"
    summary = result.summary
    assert (
        f"returned 2.8 for instance=127.0.0.1:9100, mountpoint={tmp_path}, device=/dev/sda1; "
        "over the last 1h between 2.8 and 4.9"
    ) in summary  # the alert's own series, not the other host's 1.5
    assert f"disk_usage of {tmp_path} shows " in summary and "% used, " in summary
    assert f"*Likely cause:* The space is mostly in {big} (2.9 MiB)" in summary
    assert DESCRIPTION not in summary


def test_pod_alert_from_kube_state_metrics(prom: PrometheusEmulator) -> None:
    labels = {"namespace": "shop", "pod": "checkout-7d9f8", "container": "app",
              "instance": "10.244.1.7:8080", "job": "kube-state-metrics"}  # fmt: skip
    prom.series[POD_EXPR] = [({**labels, "reason": "CrashLoopBackOff"}, lambda t: 1.0)]
    result = run_triage(deps(prom.url), alert("KubePodCrashLooping", POD_EXPR, **labels))
    assert tools_of(result.evidence) == ["query_metrics"] * 2  # nothing of this host
    assert (
        "returned 1 for instance=10.244.1.7:8080, namespace=shop, pod=checkout-7d9f8; "
        "over the last 1h steady at 1"
    ) in result.summary
    assert "*Likely cause:* Not determined beyond what the evidence above shows." in result.summary
    assert DESCRIPTION not in result.summary


def test_blackbox_probe_alert_probes_the_url(prom: PrometheusEmulator, site: Scripted) -> None:
    url = site.url("/health")
    labels = {"instance": url, "job": "blackbox"}
    prom.series["probe_success == 0"] = [(labels, lambda t: 0.0)]
    result = run_triage(
        deps(prom.url, shop=url), alert("BlackboxProbeFailed", "probe_success == 0", **labels)
    )
    assert tools_of(result.evidence) == ["check_endpoint"] + ["query_metrics"] * 2
    assert [path for path, _ in site.hits] == ["/health"]  # really probed
    assert f"the probe says: shop ({url}) is DOWN: HTTP 503 Service Unavailable" in result.summary
    assert f"returned 0 for instance={url}, job=blackbox" in result.summary
    assert "*Likely cause:* The probe now says: shop" in result.summary


def test_alert_about_another_host(prom: PrometheusEmulator) -> None:
    labels = {"instance": "db-7.example.net:9100", "mountpoint": "/data"}
    incident = alert("HostOutOfDiskSpace", **labels)
    query = evidence_plan(incident)[0][1]["query"]
    prom.series[query] = [(labels, falling(91.0, 97.2))]
    result = run_triage(deps(prom.url), incident)
    assert tools_of(result.evidence) == ["query_metrics"] * 2
    assert (
        "returned 97.2 for instance=db-7.example.net:9100, mountpoint=/data; over the last 1h "
        "between 91 and 97.2"
    ) in result.summary
    assert "db-7.example.net:9100 is not this host, so this host's disk and processes are not " \
        "evidence" in result.summary  # fmt: skip
    # without Prometheus there is no evidence at all, and the summary says so plainly
    bare = run_triage(deps(), incident)
    assert bare.evidence == []
    assert (
        "*Evidence:* none gathered: the tools that would show it are not available here "
        "(query_metrics, search_logs); PromQL needs PROMETHEUS_URL; db-7.example.net:9100 is not "
        "this host"
    ) in bare.summary
    assert "*Likely cause:* Not determined: there is no evidence to determine it from." in (
        bare.summary
    )
    assert DESCRIPTION not in bare.summary


def test_a_series_gone_now_and_a_refused_query_are_said(prom: PrometheusEmulator) -> None:
    incident = alert("KubePodCrashLooping", POD_EXPR, pod="p")
    result = run_triage(deps(prom.url), incident)  # no such series: Prometheus answers none
    assert "returned no series now; nothing over the last 1h" in result.summary
    prom.errors[POD_EXPR] = "parse error at char 12"
    result = run_triage(deps(prom.url), incident)
    (failed,) = result.evidence  # the range query would be refused alike: not sent
    assert not failed.ok
    assert "query_metrics could not run (" in result.summary
    assert "parse error at char 12" in result.summary
    assert "*Likely cause:* Not determined: query_metrics could not run." in result.summary


def test_prometheus_down_is_said() -> None:
    result = run_triage(deps("http://127.0.0.1:9"), alert("KubePodCrashLooping", POD_EXPR))
    assert [e.ok for e in result.evidence] == [False]  # once: the range query is not sent
    assert "query_metrics could not run (could not reach Prometheus at http://127.0.0.1:9" in (
        result.summary
    )


def test_the_summary_never_echoes_the_annotations() -> None:
    """The old summary said "Likely cause: <description>" with no evidence at all."""
    incident = alert("MysqlTooManyConnections(>80%)", instance="db-7.example.net:9104")
    incident.title = "MySQL too many connections (> 80%)"
    text = offline_summary(incident, [], None, [], [])
    assert DESCRIPTION not in text
    assert "*Evidence:* none gathered" in text
    assert "*Likely cause:* Not determined: there is no evidence to determine it from." in text
